"""Fixtures: the bundled policy set, the sample set, and the `humiao` CLI binary the Python
results are compared with."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

import humiao

from support import REPO, RULES, SAMPLE, SCHOOL_GIRL


def _find_cli() -> Path:
    """The release `humiao` binary: $HUMIAO_BIN, else the cargo target folder, else built now."""
    env = os.environ.get("HUMIAO_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    candidate = target / "release" / "humiao"
    if not candidate.exists():
        cargo = shutil.which("cargo")
        if cargo is None:
            pytest.fail("no humiao binary ($HUMIAO_BIN) and no cargo to build it")
        subprocess.run([cargo, "build", "--release", "-q", "-p", "humiao-cli"], cwd=REPO, check=True)
    return candidate


@pytest.fixture(scope="session")
def cli() -> Path:
    return _find_cli()


@pytest.fixture(scope="session")
def policy() -> humiao.Policy:
    return humiao.Policy.load(RULES)


@pytest.fixture(scope="session")
def sample() -> humiao.Policy:
    return humiao.Policy.load(SAMPLE)


@pytest.fixture()
def school_girl() -> Dict[str, Any]:
    return copy.deepcopy(SCHOOL_GIRL)
