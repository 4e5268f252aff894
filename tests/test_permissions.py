"""Every file eegzoo writes gets the permissions the umask gives new files, like any other
program's (0644 and 0755 under the usual 022), not the 0600 of a private temporary file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch

import eegzoo
from eegzoo.apps.plots import plot_confusion_matrix
from eegzoo.core.files import atomic_write_text, temp_file_beside
from eegzoo.io.cards import write_model_cards
from eegzoo.io.export import export_model


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saved_models_cards_plots_and_exports_follow_the_umask(tmp_path, umask):
    file_mode, folder_mode = 0o666 & ~umask, 0o777 & ~umask
    model = eegzoo.create_model("fblightconvnet", n_chans=3, n_outputs=2, n_times=500, win_len=125).eval()
    folder = eegzoo.save_pretrained(model, tmp_path / "runs" / "m")
    written = [folder / "config.json", folder / "model.safetensors", folder / "README.md"]
    written.append(plot_confusion_matrix(
        {"confusion_matrix": [[3, 1], [0, 4]], "classes": ["a", "b"], "accuracy": 0.875, "kappa": 0.75}, folder / "cm.png"))
    written.append(atomic_write_text(folder / "metrics.json", "{}\n"))
    written += write_model_cards(tmp_path / "cards")[:1]
    for fmt, suffix in (("torchscript", ".pt"), ("exported-program", ".pt2"), ("onnx", ".onnx")):
        written.append(export_model(model, tmp_path / "exports" / f"m{suffix}", fmt))
    assert {p.name: oct(_mode(p)) for p in written} == {p.name: oct(file_mode) for p in written}
    for made in (tmp_path / "runs", folder, tmp_path / "cards", tmp_path / "exports"):
        assert _mode(made) == folder_mode, made
    with torch.no_grad():  # and the files still work
        assert torch.equal(eegzoo.from_pretrained(folder).eval()(torch.zeros(1, 3, 500)), model(torch.zeros(1, 3, 500)))


def test_temporary_files_keep_the_destination_suffix_and_the_umask(tmp_path, umask):
    fd, name = temp_file_beside(tmp_path / "model.pt2", suffix=".part")
    os.close(fd)
    assert Path(name).parent == tmp_path and Path(name).name.startswith(".") and name.endswith("model.pt2.part")
    assert _mode(Path(name)) == 0o666 & ~umask
