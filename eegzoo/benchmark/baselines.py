"""The classic pipelines EEG decoding papers compare against, as scikit-learn pipelines on
``(n_trials, n_chans, n_times)`` arrays in volts. Each is built fresh for a dataset's
sampling rate (``make(sfreq)``) and is deterministic."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline


class BandPass(TransformerMixin, BaseEstimator):
    """Zero-phase FIR band-pass (``mne.filter.filter_data``, mne's default design) of each
    trial. Trials shorter than the filter are padded by mne (a warning it gives is silenced:
    short trials are the dataset's, not a mistake)."""

    def __init__(self, sfreq: float = 250.0, l_freq: float | None = 8.0, h_freq: float | None = 30.0):
        self.sfreq = sfreq
        self.l_freq = l_freq
        self.h_freq = h_freq

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> "BandPass":
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        import mne

        h_freq = None if self.h_freq is None or self.h_freq >= self.sfreq / 2 else self.h_freq
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return mne.filter.filter_data(np.asarray(X, dtype=np.float64), self.sfreq, self.l_freq, h_freq, verbose=False)


class WindowMeans(TransformerMixin, BaseEstimator):
    """Mean amplitude of each channel in ``n_windows`` consecutive windows, flattened: the
    slow-potential features of the BCI Competition II era (readiness potentials, SCPs)."""

    def __init__(self, n_windows: int = 10):
        self.n_windows = n_windows

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> "WindowMeans":
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        parts = np.array_split(np.arange(X.shape[-1]), min(self.n_windows, X.shape[-1]))
        return np.concatenate([X[..., idx].mean(-1) for idx in parts], axis=1) * 1e6  # µV: well-scaled features


@dataclass(frozen=True)
class Baseline:
    """A named classic pipeline: ``make(sfreq)`` builds a fresh, unfitted one."""

    name: str
    description: str
    make: Callable[[float], Pipeline]


def _csp_lda(sfreq: float) -> Pipeline:
    from mne.decoding import CSP
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    return Pipeline([("bandpass", BandPass(sfreq, 8.0, 30.0)), ("csp", CSP(n_components=4, log=True)),
                     ("lda", LinearDiscriminantAnalysis())])


def _ts_lr(sfreq: float) -> Pipeline:
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace
    from sklearn.linear_model import LogisticRegression

    return Pipeline([("bandpass", BandPass(sfreq, 8.0, 30.0)), ("cov", Covariances("oas")),
                     ("tangent", TangentSpace(metric="riemann")), ("lr", LogisticRegression(max_iter=1000))])


def _means_slda(sfreq: float) -> Pipeline:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    return Pipeline([("lowpass", BandPass(sfreq, None, 5.0)), ("means", WindowMeans(10)),
                     ("lda", LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"))])


BASELINES: dict[str, Baseline] = {
    b.name: b
    for b in (
        Baseline("csp-lda", "8-30 Hz band-pass, 4 CSP log-variance features (mne.decoding.CSP), LDA", _csp_lda),
        Baseline("ts-lr", "8-30 Hz band-pass, OAS covariance, Riemannian tangent space (pyriemann), logistic regression", _ts_lr),
        Baseline("means-slda", "5 Hz low-pass, mean amplitude in 10 windows per channel, shrinkage LDA (slow potentials)", _means_slda),
    )
}
