"""Plugins through the 'eegzoo.models' entry-point group, with real dist-info metadata."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

import eegzoo
from eegzoo import EEGZooPluginWarning, RegistryError, create_model, list_models, model_spec
from eegzoo.apps.cli import main as cli_main
from eegzoo.registry import disabled_plugins, get_architecture

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
    eegzoo.registry.reload_datasets()


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


def _report(capsys) -> dict[str, dict]:
    assert cli_main(["plugins", "--json"]) == 0
    return {r["name"]: r for r in json.loads(capsys.readouterr().out)["plugins"]}


def test_plugins_command_shows_distribution_version_registrations_and_errors(site, capsys):
    for package, entry in [("eegzoo_tinyplugin", "tiny"), ("eegzoo_brokenplugin", "broken"), ("eegzoo_clashplugin", "clash")]:
        install_plugin(site, package, entry)
    with pytest.warns(EEGZooPluginWarning):
        eegzoo.reload_registry()
    records = _report(capsys)
    assert set(records) == {"tiny", "broken", "clash"}
    tiny, broken, clash = records["tiny"], records["broken"], records["clash"]
    assert (tiny["group"], tiny["distribution"], tiny["version"], tiny["status"]) == ("eegzoo.models", "eegzoo_tinyplugin", "0.1", "loaded")
    assert tiny["registered"] == {"architectures": ["tinynet"], "models": ["tinynet-small"]} and tiny["error"] is None
    assert broken["status"] == "failed" and broken["registered"] == {}
    assert broken["error"] == "ModuleNotFoundError: No module named 'eegzoo_module_that_does_not_exist'"
    assert clash["status"] == "loaded" and clash["registered"] == {"architectures": [], "models": []}
    assert clash["notes"] == ["model 'fbcnet-lite' not added: also registered by registry/fbcnet-lite.toml"]

    assert cli_main(["plugins"]) == 0
    text = capsys.readouterr().out
    assert "tiny  [eegzoo.models]  loaded\n  distribution: eegzoo_tinyplugin 0.1\n  entry point:  eegzoo_tinyplugin:register\n" in text
    assert "  architectures: tinynet\n  models:       tinynet-small\n" in text
    assert "broken  [eegzoo.models]  failed" in text and "  error:        ModuleNotFoundError: No module named" in text


def test_a_failing_plugin_registers_nothing(site, capsys):
    plugin = site / "eegzoo_halfplugin"
    plugin.mkdir()
    (plugin / "__init__.py").write_text(
        "import eegzoo\nfrom eegzoo import FBLightConvNetParams\n\n"
        "def register():\n"
        "    eegzoo.register_model('half-arch', lambda p, s: None, params_model=FBLightConvNetParams)\n"
        "    raise RuntimeError('configuration missing')\n"
    )
    dist = site / "eegzoo_halfplugin-2.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: eegzoo-halfplugin\nVersion: 2.0\n")
    (dist / "entry_points.txt").write_text("[eegzoo.models]\nhalf = eegzoo_halfplugin:register\n")
    with pytest.warns(EEGZooPluginWarning, match=r"skipped plugin 'half' \(eegzoo_halfplugin:register, from eegzoo-halfplugin 2.0\): RuntimeError: configuration missing"):
        eegzoo.reload_registry()
    with pytest.raises(RegistryError, match="Unknown architecture 'half-arch'"):
        get_architecture("half-arch")
    assert _report(capsys)["half"]["error"] == "RuntimeError: configuration missing"


def test_disable_plugins_turns_autoload_off(site, monkeypatch, capsys):
    install_plugin(site, "eegzoo_tinyplugin", "tiny")
    install_plugin(site, "eegzoo_brokenplugin", "broken")
    monkeypatch.setenv("EEGZOO_DISABLE_PLUGINS", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the broken plugin is not even imported
        eegzoo.reload_registry()
    assert "tinynet-small" not in list_models() and "eegzoo_tinyplugin" not in sys.modules
    records = _report(capsys)
    assert {r["status"] for r in records.values()} == {"disabled"}
    assert records["tiny"]["error"] == "disabled by EEGZOO_DISABLE_PLUGINS=1"
    assert cli_main(["plugins"]) == 0
    assert capsys.readouterr().out.startswith("plugin autoload is off (EEGZOO_DISABLE_PLUGINS=1)\n")


def test_disable_plugins_blocks_named_plugins_only(site, monkeypatch, capsys):
    install_plugin(site, "eegzoo_tinyplugin", "tiny")
    install_plugin(site, "eegzoo_brokenplugin", "broken")
    install_plugin(site, "eegzoo_badspecplugin", "badspec")
    # by entry-point name, or by distribution name (case, '-' and '_' do not matter), plus a typo
    monkeypatch.setenv("EEGZOO_DISABLE_PLUGINS", "broken, EEGZOO-BADSPECPLUGIN,tinyy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eegzoo.reload_registry()
    assert "tinynet-small" in list_models()
    records = _report(capsys)
    assert {n: r["status"] for n, r in records.items()} == {"tiny": "loaded", "broken": "disabled", "badspec": "disabled"}
    assert cli_main(["plugins"]) == 0
    assert "warning: EEGZOO_DISABLE_PLUGINS names 'tinyy', which is no installed plugin" in capsys.readouterr().out


@pytest.mark.parametrize(("value", "expected"), [
    ("", (False, frozenset())), ("0", (False, frozenset())), ("true", (True, frozenset())), ("ALL", (True, frozenset())),
    ("a,b_c", (False, frozenset({"a", "b-c"}))),
])
def test_disable_plugins_values(monkeypatch, value, expected):
    monkeypatch.setenv("EEGZOO_DISABLE_PLUGINS", value)
    parsed = disabled_plugins()
    assert (parsed.all, parsed.names) == expected


def test_plugins_command_without_plugins_needs_no_torch(site):
    install_plugin(site, "eegzoo_tinyplugin", "tiny")  # imports torch when it runs
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]), "EEGZOO_DISABLE_PLUGINS": "tiny"}
    code = "import sys; from eegzoo.apps.cli import main; main(['plugins']); print(sorted(m for m in ('torch', 'mne', 'scipy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert "tiny  [eegzoo.models]  disabled" in result.stdout and result.stdout.strip().endswith("[]")
    env.pop("EEGZOO_DISABLE_PLUGINS")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert "tiny  [eegzoo.models]  loaded" in result.stdout and result.stdout.strip().endswith("['torch']")


def test_dataset_plugins_are_listed_and_switched_off_the_same_way(site, monkeypatch, capsys):
    package = site / "eegzoo_dsplugin"
    (package / "specs").mkdir(parents=True)
    builtin = eegzoo.registry.builtin_registry_dir() / "datasets" / "bnci2014_001.toml"
    shutil.copy(builtin, package / "specs" / "bnci-copy.toml")
    (package / "__init__.py").write_text("from pathlib import Path\n\ndef register():\n    return [Path(__file__).parent / 'specs']\n")
    dist = site / "eegzoo_dsplugin-0.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: eegzoo-dsplugin\nVersion: 0.3\n")
    (dist / "entry_points.txt").write_text("[eegzoo.datasets]\nds = eegzoo_dsplugin:register\n")
    eegzoo.registry.reload_datasets()
    assert "bnci-copy" in eegzoo.registry.list_datasets()
    record = _report(capsys)["ds"]
    assert (record["group"], record["distribution"], record["version"], record["status"]) == ("eegzoo.datasets", "eegzoo-dsplugin", "0.3", "loaded")
    assert record["registered"] == {"datasets": ["bnci-copy"]}
    monkeypatch.setenv("EEGZOO_DISABLE_PLUGINS", "eegzoo-dsplugin")
    eegzoo.registry.reload_datasets()
    assert "bnci-copy" not in eegzoo.registry.list_datasets()
    assert _report(capsys)["ds"]["status"] == "disabled"
