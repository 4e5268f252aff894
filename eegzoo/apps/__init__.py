"""Applications on top of the library: the command line, the demo, experiment runs, plots."""
