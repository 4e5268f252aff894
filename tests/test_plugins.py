"""Plugins through the 'eegzoo.models' entry-point group, with real dist-info metadata."""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import pytest
import torch

import eegzoo
from eegzoo import EEGZooPluginWarning, RegistryError, create_model, list_models, model_spec

PLUGINS = Path(__file__).parent / "plugins"


def install_plugin(site: Path, package: str, entry: str) -> None:
    """Lay out an installed distribution: the package plus a dist-info with entry points."""
    shutil.copytree(PLUGINS / package, site / package)
    dist = site / f"{package}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[eegzoo.models]\n{entry} = {package}:register\n")


@pytest.fixture
def site(tmp_path):
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("eegzoo_") and m.endswith("plugin")]:
        del sys.modules[name]
    eegzoo.reload_registry()


def test_plugin_adds_architecture_and_spec(site):
    install_plugin(site, "eegzoo_tinyplugin", "tiny")
    eegzoo.reload_registry()
    assert "tinynet-small" in list_models()
    assert list_models(tag="plugin-test") == ["tinynet-small"]
    model = create_model("tinynet-small", hidden=3)
    assert model(torch.randn(2, 4, 200)).shape == (2, 2)
    assert model_spec("tinynet-small").architecture == "tinynet"
    assert "fblightconvnet" in list_models()


def test_broken_plugins_warn_and_are_skipped(site):
    install_plugin(site, "eegzoo_brokenplugin", "broken")
    install_plugin(site, "eegzoo_badspecplugin", "badspec")
    install_plugin(site, "eegzoo_tinyplugin", "tiny")
    with pytest.warns(EEGZooPluginWarning) as record:
        eegzoo.reload_registry()
    messages = [str(w.message) for w in record]
    assert any("plugin 'broken'" in m and "eegzoo_module_that_does_not_exist" in m for m in messages)
    assert any("plugin 'badspec'" in m and "heads=5 must divide n_filters_spat=32" in m and "bad-lightconv.toml" in m for m in messages)
    assert "bad-lightconv" not in list_models()
    assert {"fblightconvnet", "tinynet-small"} <= set(list_models())
    create_model("fblightconvnet")


def test_name_clash_is_an_error_naming_both_sources(site):
    install_plugin(site, "eegzoo_clashplugin", "clash")
    with pytest.warns(EEGZooPluginWarning, match="registered by both"):
        eegzoo.reload_registry()
    assert "fbcnet-lite" not in list_models()
    with pytest.raises(RegistryError, match=r"'fbcnet-lite' is registered by both registry/fbcnet-lite.toml and plugin 'clash'"):
        create_model("fbcnet-lite")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        create_model("fblightconvnet")


def test_architecture_name_clash_is_refused():
    with pytest.raises(RegistryError, match="Architecture 'fblightconvnet' is already registered by eegzoo"):
        eegzoo.register_model("fblightconvnet", lambda p, s: None, params_model=eegzoo.FBLightConvNetParams)
