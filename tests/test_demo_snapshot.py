"""The committed demo snapshot is exactly what demo/build_snapshot.py makes from the fixture
folders today: a fixture edited without rebuilding the snapshot fails here."""

from __future__ import annotations

from pathlib import Path

from demo.build_snapshot import OUTPUT, demo_records
from warehouse.warc import write_records


def test_the_committed_snapshot_equals_a_fresh_build(tmp_path: Path) -> None:
    fresh = tmp_path / "snapshot.warc.gz"
    write_records(fresh, demo_records())
    assert fresh.read_bytes() == OUTPUT.read_bytes(), (
        "demo/snapshot.warc.gz is stale: run `uv run python demo/build_snapshot.py`"
    )
