"""Data: mne objects to model-ready tensors, and a SIMULATED motor-imagery dataset."""

from eegzoo.data.epochs import EEGDataset, exponential_moving_standardize, from_epochs, from_raw, moabb_dataset, read_raw
from eegzoo.data.simulated import BCI_IV_2A_CHANNELS, simulate_session, simulated_motor_imagery

__all__ = [
    "BCI_IV_2A_CHANNELS",
    "EEGDataset",
    "exponential_moving_standardize",
    "from_epochs",
    "from_raw",
    "moabb_dataset",
    "read_raw",
    "simulate_session",
    "simulated_motor_imagery",
]
