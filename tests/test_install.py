"""A non-editable install works on its own: from another folder, with the bundled corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_wheel_install_answers_a_search_from_another_folder(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([python, "-c", code], text=True).strip())
    # The dependencies come from this test's own environment (no downloads); abstract_search does not:
    # a path in a .pth file puts a folder on sys.path but runs none of its own .pth files (the editable hook).
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # The build backend too: a new venv's own old setuptools (no bdist_wheel) would shadow it.
    subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", "setuptools"], check=False, cwd=tmp_path)
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(source)],
        check=True,
        cwd=tmp_path,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "XDG_DATA_HOME": str(tmp_path / "user-data"),
    }
    for key in ("ABSTRACT_SEARCH_DATA", "ABSTRACT_SEARCH_INDEX", "PYTHONPATH"):
        env.pop(key, None)
    where = subprocess.check_output(
        [python, "-c", "import abstract_search; print(abstract_search.__file__)"], cwd=elsewhere, env=env, text=True
    )
    assert str(site) in where  # the installed copy, not the checkout
    result = subprocess.run(
        [venv / "bin" / "abstract-search", "search", "boroxol rings", "--top-k", "3"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("1. T27  Certification of boroxol ring population")
    assert (tmp_path / "user-data" / "abstract-search" / "index" / "workshop2025").is_dir()
    assert not (elsewhere / "index").exists() and not (elsewhere / "data").exists()
