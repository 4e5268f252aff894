"""Files and the Hub: safetensors weights, saved model folders, Hub I/O, model cards, export."""
