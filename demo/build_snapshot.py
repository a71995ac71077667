"""Build the bundled offline snapshot `demo/snapshot.warc.gz` from the demo fixtures.

    uv run python demo/build_snapshot.py

Every fixture folder `tests/fixtures/spiders/<spider>/<case>/` whose `case.json` says
`"demo": true` contributes its response (URL, body, fetch time, content type), marked
constructed in the archive when `"constructed": true`. So a new source joins the quick
start's demo with its fixture folder alone. The same fixtures give a byte-identical archive.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from crawlers.archive import ArchiveRecord, write_records

DEMO = Path(__file__).resolve().parent
OUTPUT = DEMO / "snapshot.warc.gz"
FIXTURES = DEMO.parent / "tests" / "fixtures" / "spiders"


def demo_records(
    fixtures: Path = FIXTURES, spiders: list[str] | None = None, *, demo_only: bool = True
) -> list[ArchiveRecord]:
    """The responses of the fixture folders (of `spiders`, default all) as archive records."""
    records = []
    for case_file in sorted(fixtures.glob("*/*/case.json")):
        case = json.loads(case_file.read_text())
        if (demo_only and not case.get("demo")) or (
            spiders and case_file.parent.parent.name not in spiders
        ):
            continue
        body = next(case_file.parent.glob("response.*")).read_bytes()
        headers = [("Content-Type", case.get("content_type", "application/octet-stream"))]
        records.append(
            ArchiveRecord(
                url=case["url"],
                body=body,
                status=case.get("status", 200),
                headers=headers,
                fetched_at=datetime.fromisoformat(case["fetched_at"]),
                constructed=bool(case.get("constructed")),
                note=case.get("note"),
            )
        )
    records.sort(key=lambda r: (r.fetched_at, r.url))
    return records


if __name__ == "__main__":
    refs = write_records(OUTPUT, demo_records())
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(refs)} responses)")
