"""The package's layers run one way, and reading specs never loads the heavy libraries."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "eegzoo"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _eegzoo_imports(path: Path, module: str) -> set[str]:
    """Every eegzoo module a file imports, at top level or inside functions."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
    return {name for name in found if name == "eegzoo" or name.startswith("eegzoo.")}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}

    def owner(name: str) -> str:
        while name not in files:
            name = name.rpartition(".")[0]
        return name

    return {m: {owner(t) for t in _eegzoo_imports(p, m)} - {m} for m, p in files.items()}


def test_layer_contract_holds():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "eegzoo layers KEPT" in result.stdout


def test_no_module_imports_the_package_facade():
    offenders = {m for m, targets in _graph().items() if "eegzoo" in targets and m not in ("eegzoo", "eegzoo.__main__")}
    assert not offenders, f"these modules import the facade `eegzoo` (import from the layer instead): {sorted(offenders)}"


def test_no_import_cycles_even_through_function_level_imports():
    graphlib.TopologicalSorter(_graph()).prepare()  # raises CycleError naming the loop


def test_the_scan_sees_function_level_and_relative_imports(tmp_path):
    path = tmp_path / "files.py"
    path.write_text("def f():\n    from eegzoo.api import create_model\n    from ..io import hub\n")
    assert _eegzoo_imports(path, "eegzoo.core.files") == {"eegzoo.api", "eegzoo.io"}


@pytest.mark.parametrize("argv", [["list"], ["--help"], ["schema"], ["plugins"]])
def test_spec_only_commands_import_neither_torch_nor_mne_nor_scipy(argv):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "eegzoo", *argv], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "eegzoo.registry" in imported or argv == ["--help"]
    heavy = sorted(m for m in imported if m.split(".")[0] in ("torch", "mne", "scipy"))
    assert not heavy, f"`eegzoo {' '.join(argv)}` imported {heavy[:5]}"


def test_import_eegzoo_is_light_until_a_name_is_used():
    code = "import sys, eegzoo; print(sorted(m for m in ('torch', 'mne', 'scipy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
