"""eegzoo.sklearn.EEGZooClassifier: a scikit-learn citizen for any zoo model."""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

from eegzoo.data.simulated import simulated_motor_imagery
from eegzoo.sklearn import EEGZooClassifier, data_sized_model


@pytest.fixture(scope="module")
def sessions():
    return simulated_motor_imagery(1, 12, seed=4)[1]


def _two_class_arrays(n=40, n_chans=4, n_times=200, seed=0):
    """Class 'right' has 4x the variance on channel 0: separable by any variance model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_chans, n_times)) * 10e-6
    y = np.array(["left", "right"] * (n // 2))
    X[y == "right", 0] *= 4
    return X, y


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
        estimator_checks.check_mixin_order,
        estimator_checks.check_valid_tag_types,
        estimator_checks.check_estimator_tags_renamed,
        estimator_checks.check_estimators_unfitted,
    ],
    ids=lambda c: c.__name__,
)
def test_scikit_learn_api_checks(check):
    # check_estimator itself skips estimators whose input is 3-D (its data are 2-D tables);
    # these are its checks that need no data, or only an unfitted estimator.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check("EEGZooClassifier", EEGZooClassifier())


def test_fit_predict_score_on_arrays_with_string_labels():
    X, y = _two_class_arrays()
    clf = EEGZooClassifier("fblightconvnet", sfreq=100.0, epochs=40, lr=1e-2, batch_size=16, seed=0)
    assert clf.fit(X, y) is clf
    assert list(clf.classes_) == ["left", "right"]
    assert clf.module_.n_chans == 4 and clf.module_.n_times == 200 and clf.module_.n_outputs == 2
    assert clf.module_.win_len == 100  # one-second windows, sized from the data
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 2) and np.allclose(proba.sum(1), 1, atol=1e-6)
    assert set(clf.predict(X)) <= {"left", "right"}
    X_test, y_test = _two_class_arrays(seed=1)
    assert clf.score(X_test, y_test) >= 0.9
    assert not clf.module_.training


def test_clone_refit_is_bit_identical_and_params_round_trip():
    X, y = _two_class_arrays(n=20)
    clf = EEGZooClassifier(sfreq=100.0, epochs=3, seed=5, model_kwargs={"n_filters_spat": 8, "heads": 4})
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    a, b = clf.fit(X, y).predict_proba(X), twin.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    clf.set_params(seed=6, epochs=2)
    assert clf.get_params()["seed"] == 6 and clf.get_params()["epochs"] == 2
    with pytest.raises(ValueError, match="Invalid parameter 'sed'"):
        clf.set_params(sed=1)


def test_epochs_in_a_pipeline_and_cross_validation(sessions):
    epochs = sessions["T"]
    clf = EEGZooClassifier("fblightconvnet", epochs=25, lr=3e-3, batch_size=16, seed=0)
    clf.fit(epochs)  # labels from the event names
    assert list(clf.classes_) == ["feet", "left_hand", "right_hand", "tongue"]
    assert clf.ch_names_ == epochs.ch_names and clf.module_.chs_info[0]["ch_name"] == "Fz"
    assert clf.score(sessions["E"], _labels(sessions["E"])) > 0.5  # chance 0.25
    # channel order is matched by name
    reordered = sessions["E"].copy().reorder_channels(sessions["E"].ch_names[::-1])
    np.testing.assert_allclose(clf.predict_proba(reordered), clf.predict_proba(sessions["E"]), atol=1e-5)
    scores = cross_val_score(make_pipeline(EEGZooClassifier(sfreq=250.0, epochs=2, seed=0)), epochs.get_data(), _labels(epochs), cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def _labels(epochs: mne.BaseEpochs) -> np.ndarray:
    names = {code: name for name, code in epochs.event_id.items()}
    return np.array([names[c] for c in epochs.events[:, 2]])


def test_bad_input_is_named(sessions):
    X, y = _two_class_arrays(n=10)
    with pytest.raises(ValueError, match=r"needs its sampling rate: EEGZooClassifier\(..., sfreq=250.0\)"):
        EEGZooClassifier().fit(X, y)
    with pytest.raises(ValueError, match=r"array \(n_trials, n_chans, n_times\); got an array of shape \(10, 800\)"):
        EEGZooClassifier(sfreq=100.0).fit(X.reshape(10, -1), y)
    with pytest.raises(ValueError, match="single class"):
        EEGZooClassifier(sfreq=100.0).fit(X, np.zeros(10))
    with pytest.raises(ValueError, match="X has 10 trials but y has 9 labels"):
        EEGZooClassifier(sfreq=100.0).fit(X, y[:9])
    with pytest.raises(NotFittedError):
        EEGZooClassifier(sfreq=100.0).predict(X)
    clf = EEGZooClassifier(sfreq=100.0, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"trials of shape \(4, 150\); the model was fitted on \(n_chans, n_times\) = \(4, 200\)"):
        clf.predict(X[:, :, :150])
    fitted_on_epochs = EEGZooClassifier(epochs=1).fit(sessions["T"])
    with pytest.raises(ValueError, match=r"lacks channel\(s\) \['Cz'\]"):
        fitted_on_epochs.predict(sessions["E"].copy().drop_channels(["Cz"]))
    with pytest.raises(ValueError, match="sampled at 125.0 Hz but the model was fitted at 250.0 Hz"):
        fitted_on_epochs.predict(sessions["E"].copy().resample(125.0))


def test_data_sized_model_lets_overrides_win():
    model = data_sized_model("fblightconvnet", 28, 50, 100.0, 2, win_len=25)
    assert (model.n_chans, model.n_times, model.win_len) == (28, 50, 25)
    assert data_sized_model("lightconvnet-bciiv2a", 6, 896, 256.0, 2).win_len == 224
