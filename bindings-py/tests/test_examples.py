"""The examples run and agree with the CLI: quickstart, pandas, a process pool, a Dask cluster."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import humiao

from support import RULES, run_cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example(name: str) -> ModuleType:
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(scope="module")
def case_file(tmp_path_factory: pytest.TempPathFactory, cli: Path) -> tuple:  # type: ignore[type-arg]
    """3,000 synthetic cases and the CLI's JSON Lines decisions for them."""
    synthetic = example("synthetic")
    path = tmp_path_factory.mktemp("cases") / "cases.jsonl"
    synthetic.write_jsonl(path, 3000, seed=7)
    proc = run_cli(cli, ["eval", str(RULES), "--facts", str(path), "--as-of", "2026-03-01", "--format", "jsonl"])
    assert proc.returncode == 0, proc.stderr.decode()
    return path, proc.stdout.decode("utf-8").splitlines()


def test_quickstart(capsys: pytest.CaptureFixture[str]) -> None:
    d = example("quickstart").main(RULES)
    assert d.conclusions["reporting.duty"] == "mandatory"
    assert "reporting duty: mandatory" in capsys.readouterr().out


def test_pandas_example() -> None:
    pytest.importorskip("pandas")
    result = example("pandas_table").main(RULES)
    assert list(result["case_id"]) == ["A-1", "A-2", "A-3"]
    assert result["reporting.duty"].iloc[0] == "mandatory"


def test_synthetic_cases_are_valid(case_file: tuple) -> None:  # type: ignore[type-arg]
    _, expected = case_file
    assert len(expected) == 3000
    assert all('"error"' not in line[:10] for line in expected)


def test_process_pool_example(case_file: tuple) -> None:  # type: ignore[type-arg]
    path, expected = case_file
    got = example("process_pool").evaluate_file(humiao.Policy.load(RULES), path, "2026-03-01", workers=2, chunk=700)
    assert got == expected


def test_dask_example(case_file: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    pytest.importorskip("dask.distributed")
    path, expected = case_file
    out = tmp_path / "out"
    counts = example("dask_cluster").run(RULES, path, "2026-03-01", out, workers=2, blocksize="200kB")
    parts = sorted(out.glob("*.jsonl"))
    assert len(parts) > 1, "the file should be split over several partitions"
    got = [line for p in parts for line in p.read_text(encoding="utf-8").splitlines()]
    assert got == expected
    assert sum(counts.values()) == 3000
