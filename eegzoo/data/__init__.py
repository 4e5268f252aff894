"""Data: mne objects to model-ready tensors, registered real datasets (fetched, verified,
cached) and a SIMULATED motor-imagery dataset."""

from eegzoo.data.datasets import load_dataset

from eegzoo.data.epochs import EEGDataset, exponential_moving_standardize, from_epochs, from_raw, moabb_dataset, read_raw
from eegzoo.data.fetch import DatasetWarning, data_home, fetch_dataset
from eegzoo.data.simulated import BCI_IV_2A_CHANNELS, simulate_session, simulated_motor_imagery

__all__ = [
    "BCI_IV_2A_CHANNELS",
    "DatasetWarning",
    "EEGDataset",
    "data_home",
    "exponential_moving_standardize",
    "fetch_dataset",
    "from_epochs",
    "from_raw",
    "load_dataset",
    "moabb_dataset",
    "read_raw",
    "simulate_session",
    "simulated_motor_imagery",
]
