"""What pyproject.toml promises: the core installs what extraction needs, extras are named where missing."""
import importlib.metadata
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sitrep.cli import EXTRAS, app
from tests.conftest import ROOT

PYPROJECT = (ROOT / "pyproject.toml").read_text()


def _table(name: str) -> str:
    return PYPROJECT.split(f"[{name}]", 1)[1].split("\n[", 1)[0]


def test_the_version_is_written_once_and_read_from_the_package_metadata():
    import inference

    (written,) = re.findall(r'^version = "([^"]+)"', PYPROJECT, flags=re.M)
    assert inference.__version__ == importlib.metadata.version("sitrep") == written
    assert f'"{written}"' not in (ROOT / "inference" / "__init__.py").read_text()


def test_extras_of_the_cli_are_those_of_pyproject_and_heavy_packages_are_not_core():
    extras = dict(re.findall(r"^(\w+) = \[(.*)\]", _table("project.optional-dependencies"), flags=re.M))
    for extra, modules in EXTRAS.items():
        for module in modules:
            assert module in extras[extra], (extra, module)
    core = re.search(r"dependencies = \[(.*?)\]", PYPROJECT, flags=re.S).group(1)
    for heavy in ("accelerate", "datasets", "fastapi", "uvicorn", "matplotlib", "ray", "psutil"):
        assert f'"{heavy}' not in core
    (packages,) = re.findall(r"^packages = (.*)$", _table("tool.setuptools"), flags=re.M)
    assert "inference" in packages and "benchmarks" not in packages


def test_extraction_imports_no_extra():
    code = ("import sys; from inference import EventExtractor; import inference.extractor, sitrep.cli; "
            "heavy = [m for m in ('accelerate', 'datasets', 'fastapi', 'uvicorn', 'matplotlib', 'ray', 'onnxruntime') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("args, missing, extra", [
    (["train", "--config", str(ROOT / "configs" / "default.yaml")], "accelerate", "train"),
    (["serve", "--model", "nowhere"], "uvicorn", "serve"),
    (["evaluate", "--model", "nowhere", "--plot", "c.png"], "matplotlib", "plots"),
    (["extract", "--engine", "ray", "--model", "nowhere", "-", "-o", "out"], "ray", "scale"),
    (["export", "onnx", "--model", "nowhere", "-o", "out"], "onnxruntime", "onnx"),
])
def test_a_command_without_its_extra_names_the_extra(monkeypatch, args, missing, extra):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else find_spec(name, *a))
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1, res.output
    assert res.output.startswith("error: ") and f"pip install -e '.[{extra}]'" in res.output and missing in res.output
