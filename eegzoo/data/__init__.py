"""Data: mne objects to model-ready tensors, registered real datasets (fetched, verified,
cached) and a SIMULATED motor-imagery dataset."""

from eegzoo.data.datasets import load_dataset

from eegzoo.data.epochs import EEGDataset, from_epochs, from_raw, moabb_dataset, read_raw, select_events
from eegzoo.data.preparation import exponential_moving_standardize, expected_input, match_channels
from eegzoo.data.fetch import DatasetWarning, data_home, fetch_dataset
from eegzoo.data.simulated import BCI_IV_2A_CHANNELS, simulate_session, simulated_motor_imagery

__all__ = [
    "BCI_IV_2A_CHANNELS",
    "DatasetWarning",
    "EEGDataset",
    "data_home",
    "expected_input",
    "exponential_moving_standardize",
    "fetch_dataset",
    "from_epochs",
    "from_raw",
    "load_dataset",
    "match_channels",
    "moabb_dataset",
    "read_raw",
    "select_events",
    "simulate_session",
    "simulated_motor_imagery",
]
