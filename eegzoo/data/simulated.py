"""SIMULATED motor-imagery EEG for offline demos and tests (no download, no real recordings).

Physiologically grounded, not white noise: mne's spherical head model with dipoles in the
left/right hand, medial foot and bilateral tongue areas of sensorimotor cortex, each
carrying mu (8-13 Hz) and beta (18-26 Hz) rhythms. Imagining a movement desynchronises
these rhythms over the corresponding cortex (event-related desynchronisation, ERD: left
hand -> right hemisphere, right hand -> left hemisphere, feet -> vertex, tongue ->
bilateral lateral areas) with mild surround synchronisation (ERS) elsewhere. Spatially
correlated 1/f background activity from many random dipoles and sensor noise complete the
signal, on the 22 BCI Competition IV 2a channels (standard 10-20 montage) at 250 Hz.

Every object returned here is labelled as simulated (``raw.info["description"]``).
"""

from __future__ import annotations

import mne
import numpy as np
import scipy.signal

BCI_IV_2A_CHANNELS = (
    "Fz", "FC3", "FC1", "FCz", "FC2", "FC4", "C5", "C3", "C1", "Cz", "C2",
    "C4", "C6", "CP3", "CP1", "CPz", "CP2", "CP4", "P1", "Pz", "P2", "POz",
)
CLASSES = {"left_hand": 1, "right_hand": 2, "feet": 3, "tongue": 4}
# The standard 10-20 positions; mne >= 1.13 names the montage "colin27_1020".
_MONTAGE = "colin27_1020" if "colin27_1020" in mne.channels.get_builtin_montages() else "standard_1020"
DESCRIPTION = "SIMULATED motor imagery (eegzoo.data.simulated_motor_imagery); not a recording"

# Sources: name -> (electrode it lies under, depth in m)
_SOURCES = {
    "left_hand": ("C3", 0.020),
    "right_hand": ("C4", 0.020),
    "feet": ("Cz", 0.030),
    "left_tongue": ("C5", 0.025),
    "right_tongue": ("C6", 0.025),
}
# Class -> power change per source (negative = ERD, positive = ERS), before subject scaling.
_MODULATION = {
    "left_hand": {"right_hand": -0.6, "left_hand": 0.15, "feet": 0.1},
    "right_hand": {"left_hand": -0.6, "right_hand": 0.15, "feet": 0.1},
    "feet": {"feet": -0.6, "left_hand": 0.2, "right_hand": 0.2},
    "tongue": {"left_tongue": -0.6, "right_tongue": -0.6, "left_hand": 0.15, "right_hand": 0.15},
}


def _leadfield(info: mne.Info, sphere: mne.bem.ConductorModel, rr: np.ndarray, nn: np.ndarray) -> np.ndarray:
    src = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), sphere=sphere, verbose=False)
    fwd = mne.make_forward_solution(info, trans=None, src=src, bem=sphere, eeg=True, meg=False, verbose=False)
    fwd = mne.convert_forward_solution(fwd, force_fixed=True, surf_ori=True, verbose=False)
    return fwd["sol"]["data"]  # (n_chans, n_sources)


def _band_noise(rng: np.random.Generator, n: int, sfreq: float, low: float, high: float) -> np.ndarray:
    sos = scipy.signal.butter(4, [low, high], btype="bandpass", fs=sfreq, output="sos")
    sig = scipy.signal.sosfiltfilt(sos, rng.standard_normal(n))
    return sig / sig.std()


def _pink_noise(rng: np.random.Generator, shape: tuple[int, int], sfreq: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(shape), axis=-1)
    freqs = np.fft.rfftfreq(shape[-1], 1 / sfreq)
    spectrum /= np.sqrt(np.maximum(freqs, 1.0))  # power ~ 1/f
    sig = np.fft.irfft(spectrum, n=shape[-1], axis=-1)
    return sig / sig.std(axis=-1, keepdims=True)


def _envelope(n: int, sfreq: float, onsets: np.ndarray, gains: np.ndarray, duration: float, ramp: float = 0.4) -> np.ndarray:
    """1 everywhere, ``1 + gain`` during each imagery period, with smooth cosine ramps."""
    env = np.ones(n)
    ramp_n, dur_n = int(ramp * sfreq), int(duration * sfreq)
    shape = np.ones(dur_n)
    shape[:ramp_n] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp_n))
    shape[-ramp_n:] = shape[:ramp_n][::-1]
    for onset, gain in zip(onsets, gains):
        start = int(onset * sfreq)
        stop = min(start + dur_n, n)
        env[start:stop] += gain * shape[: stop - start]
    return env


def simulate_session(
    subject: int, session: str, n_trials_per_class: int = 36, seed: int = 0, sfreq: float = 250.0
) -> mne.io.RawArray:
    """One continuous SIMULATED session with ``Annotations`` marking each imagery trial
    (description = class name, duration 4 s from the cue)."""
    subject_rng = np.random.default_rng([seed, subject])  # what stays fixed for a subject
    rng = np.random.default_rng([seed, subject, 0 if session == "T" else 1])
    info = mne.create_info(list(BCI_IV_2A_CHANNELS), sfreq, "eeg")
    info.set_montage(_MONTAGE)
    sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    center = np.asarray(sphere["r0"])
    positions = info.get_montage().get_positions()["ch_pos"]

    rr, nn = [], []
    for electrode, depth in _SOURCES.values():
        direction = positions[electrode] - center
        direction /= np.linalg.norm(direction)
        jitter = subject_rng.normal(0, 0.003, 3)
        rr.append(positions[electrode] - depth * direction + jitter)
        nn.append(direction)
    task_leadfield = _leadfield(info, sphere, np.array(rr), np.array(nn))
    # Background: many random cortical dipoles give spatially correlated activity.
    n_bg = 40
    directions = subject_rng.normal(size=(n_bg, 3))
    directions[:, 2] = np.abs(directions[:, 2]) + 0.3  # upper hemisphere
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radius = 0.065
    bg_leadfield = _leadfield(info, sphere, center + radius * directions, directions)

    # Trial timing: 2 s fixation, cue, 4 s imagery, 1.5-2.5 s rest.
    labels = np.repeat(list(CLASSES), n_trials_per_class)
    rng.shuffle(labels)
    trial_starts = np.cumsum(np.r_[2.0, rng.uniform(7.5, 8.5, len(labels) - 1)])
    cues = trial_starts + 2.0
    n_samples = int((trial_starts[-1] + 9.0) * sfreq)

    strength = subject_rng.uniform(0.75, 1.0)  # how well this subject modulates rhythms
    source_gain = subject_rng.uniform(0.8, 1.2, len(_SOURCES)) * (1.0 if session == "T" else rng.uniform(0.9, 1.1))
    sources = np.zeros((len(_SOURCES), n_samples))
    for i, name in enumerate(_SOURCES):
        for (low, high), weight in (((8.0, 13.0), 1.0), ((18.0, 26.0), 0.6)):
            gains = np.array([strength * _MODULATION[label].get(name, 0.0) for label in labels])
            gains *= rng.uniform(0.7, 1.3, len(gains))  # trial-to-trial variability
            amplitude = np.sqrt(np.clip(_envelope(n_samples, sfreq, cues + 0.5, gains, 3.5), 0.05, None))
            sources[i] += weight * source_gain[i] * amplitude * _band_noise(rng, n_samples, sfreq, low, high)

    background = bg_leadfield @ _pink_noise(rng, (n_bg, n_samples), sfreq)
    task = task_leadfield @ sources
    task *= 1.0 / task.std()
    background *= 1.6 / background.std()
    sensor_noise = 0.3 * rng.standard_normal(task.shape)
    data = (task + background + sensor_noise) * 10e-6  # ~10 microvolts, in volts (mne's unit)

    raw = mne.io.RawArray(data, info, verbose=False)
    raw.info["description"] = DESCRIPTION
    raw.info["subject_info"] = {"his_id": f"simulated-{subject:02d}"}
    raw.set_annotations(mne.Annotations(onset=cues, duration=4.0, description=list(labels)))
    return raw


def simulated_motor_imagery(
    n_subjects: int = 1, n_trials: int = 36, seed: int = 0, sessions: tuple[str, ...] = ("T", "E")
) -> dict[int, dict[str, mne.Epochs]]:
    """SIMULATED 4-class motor imagery in the layout of BCI Competition IV 2a.

    Returns ``{subject: {"T": epochs, "E": epochs}}`` (training and evaluation sessions):
    ``mne.Epochs`` of 4 s from the cue (1000 samples at 250 Hz, 22 channels, volts), built
    from a continuous simulated recording whose ``Annotations`` mark the trials;
    ``event_id`` = left_hand 1, right_hand 2, feet 3, tongue 4. ``n_trials`` is per class and
    session. Deterministic for a ``seed``.
    """
    if n_subjects < 1 or n_trials < 1:
        raise ValueError("n_subjects and n_trials must be >= 1.")
    out: dict[int, dict[str, mne.Epochs]] = {}
    for subject in range(1, n_subjects + 1):
        out[subject] = {}
        for session in sessions:
            raw = simulate_session(subject, session, n_trials, seed)
            events, _ = mne.events_from_annotations(raw, event_id=CLASSES, verbose=False)
            epochs = mne.Epochs(
                raw, events, CLASSES, tmin=0.0, tmax=4.0 - 1 / raw.info["sfreq"], baseline=None,
                preload=True, verbose=False,
            )
            out[subject][session] = epochs
    return out
