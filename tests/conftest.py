"""Shared fixtures: the `outages` command run as a real process, and a demo data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTAGES = Path(sys.executable).parent / "outages"
SNAPSHOT = ROOT / "demo" / "snapshot.warc.gz"


def outages(
    *args: str,
    data_dir: Path,
    check: bool = True,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run the real `outages` console script with no network and a private data dir."""
    env = dict(os.environ, OUTAGES_DATA=str(data_dir), NO_PROXY="*", **(env or {}))
    env.pop("OUTAGES_LOG_LEVEL", None)
    result = subprocess.run(
        [str(OUTAGES), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"outages {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def query(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def table_counts(data_dir: Path) -> dict[str, int]:
    tables = ("reports", "report_counties", "crawl_errors", "states", "counties")
    return {t: query(data_dir, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the replayed demo snapshot (built once per test session)."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    result = outages("demo", "--no-serve", data_dir=data_dir)
    (data_dir / "demo-stderr.txt").write_text(result.stderr)
    return data_dir


def load_json(text: str):
    return json.loads(text)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the curated-incident tables (tests/test_incidents_demo.py)."""
    from demo.ground_truth import table

    sections = (
        ("curated_validation", "curated incidents vs. incidents built from the other sources"),
        ("alert_path", "curated incidents vs. incidents built from the alerts alone"),
    )
    for key, title in sections:
        rows = config.stash.get(key, []) if hasattr(config, "stash") else []
        if not rows:
            continue
        terminalreporter.section(title)
        lines = [r for r in rows if len(r) > 1]
        for line in table(lines).splitlines():
            terminalreporter.write_line(line)
        for note in (r for r in rows if len(r) == 1):
            terminalreporter.write_line(str(next(iter(note.values()))))
