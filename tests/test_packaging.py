"""Build the wheel, install it into a fresh virtualenv and use it from outside the source
tree: create_model, save/load, the CLI, spec files, and a plugin installed from its own wheel.

The fresh environment sees the already-installed dependencies (torch, mne, ...) through a
.pth file, so nothing is downloaded; eegzoo itself comes only from the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = Path(__file__).parent / "plugins" / "eegzoo_tinyplugin"


def run(*args: str | Path, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_wheel(source: Path, out: Path) -> Path:
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, source, cwd=out)
    return next(out.glob(f"{source.name.replace('-', '_')}*.whl" if source != ROOT else "eegzoo-*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(ROOT, work)
    plugin_src = work / "eegzoo-tinyplugin"
    shutil.copytree(PLUGIN, plugin_src / "eegzoo_tinyplugin")
    (plugin_src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "eegzoo-tinyplugin"\nversion = "0.1"\n\n'
        '[project.entry-points."eegzoo.models"]\ntiny = "eegzoo_tinyplugin:register"\n\n'
        '[tool.setuptools]\npackages = ["eegzoo_tinyplugin"]\n\n'
        '[tool.setuptools.package-data]\neegzoo_tinyplugin = ["specs/*.toml"]\n'
    )
    plugin_wheel = build_wheel(plugin_src, work)
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=work)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).strip())
    (site / "_eegzoo_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # The venv's bundled setuptools is older than torch requires; use the shared one.
    run(python, "-m", "pip", "uninstall", "-q", "-y", "setuptools", cwd=work, env=env)
    report = work / "report.json"
    run(python, "-m", "pip", "install", "-q", "--no-index", "--dry-run", "--report", report, wheel, cwd=work, env=env)
    run(python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel, plugin_wheel, cwd=work, env=env)
    outside = work / "elsewhere"
    outside.mkdir()
    return {"python": python, "bin": venv / "bin", "cwd": outside, "env": env, "wheel": wheel, "report": report}


def test_runtime_dependencies_are_satisfied_without_downloads(installed):
    report = json.loads(installed["report"].read_text())
    assert [item["metadata"]["name"] for item in report["install"]] == ["eegzoo"]
    with zipfile.ZipFile(installed["wheel"]) as whl:
        metadata = next(whl.read(n).decode() for n in whl.namelist() if n.endswith("METADATA"))
        names = whl.namelist()
    requires = [line.split(":", 1)[1].strip().lower() for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not [r for r in requires if r.startswith(("torchaudio", "braindecode", "torchvision", "timm"))]
    assert "eegzoo/_builtin_registry/fblightconvnet.toml" in names
    assert "eegzoo/_builtin_registry/datasets/graz-sample.toml" in names
    assert "eegzoo/_builtin_registry/weights/eegnet.selfregulationscp1.safetensors" in names


def test_wheel_install_works_outside_the_source_tree(installed):
    code = """
import os
os.environ["HF_HUB_OFFLINE"] = "1"  # pretrained variants must load from the files shipped in the wheel
import torch, eegzoo, eegzoo.registry, warnings
from pathlib import Path
assert "site-packages" in eegzoo.__file__, eegzoo.__file__
assert "_builtin_registry" in str(eegzoo.registry.builtin_registry_dir())
assert {"fblightconvnet", "lightconvnet-bciiv2a", "fbcnet-lite", "tinynet-small"} <= set(eegzoo.list_models())
assert {"graz-sample", "fingermovements", "bnci2014_001"} <= set(eegzoo.list_datasets())
model = eegzoo.create_model("fblightconvnet", n_chans=3, n_times=500).eval()
x = torch.randn(2, 3, 500)
model.save_pretrained("saved")
again = eegzoo.FBLightConvNet.from_pretrained("saved").eval()
assert torch.equal(again(x), model(x))
assert eegzoo.create_model("tinynet-small")(torch.randn(2, 4, 200)).shape == (2, 2)
assert "eegnet.selfregulationscp1" in eegzoo.list_models(pretrained=True)
pretrained = eegzoo.create_model("eegnet.selfregulationscp1", pretrained=True).eval()
assert pretrained.eegzoo_classes == ["negativity", "positivity"]
print("ok")
"""
    assert run(installed["python"], "-c", code, cwd=installed["cwd"], env=installed["env"]).strip() == "ok"
    listing = run(installed["bin"] / "eegzoo", "list", cwd=installed["cwd"], env=installed["env"])
    assert "fblightconvnet" in listing and "tinynet-small" in listing
    plugins = json.loads(run(installed["bin"] / "eegzoo", "plugins", "--json", cwd=installed["cwd"], env=installed["env"]))["plugins"]
    assert [(p["name"], p["distribution"], p["version"], p["status"], p["registered"]) for p in plugins] == [
        ("tiny", "eegzoo-tinyplugin", "0.1", "loaded", {"architectures": ["tinynet"], "models": ["tinynet-small"]})]
    info = json.loads(run(installed["bin"] / "eegzoo", "info", "lightconvnet-bciiv2b", cwd=installed["cwd"], env=installed["env"]))
    assert info["input_shape"] == ["batch", 3, 1000]
