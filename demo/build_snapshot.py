"""Build the bundled offline snapshot `demo/snapshot.warc.gz` from the demo fixtures.

    uv run python demo/build_snapshot.py

Every fixture folder `tests/fixtures/spiders/<spider>/<case>/` whose `case.json` says
`"demo": true` contributes its response (URL, body, fetch time, content type), marked
constructed in the archive when `"constructed": true`. So a new source joins the quick
start's demo with its fixture folder alone. The whole documented record joins too: every
file of `crawlers/data/curated/`, at the URL the curated spider's fixtures use (a fixture
copy of a record gives way to the file itself). The same inputs give a byte-identical archive.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from crawlers.archive import ArchiveRecord, write_records
from crawlers.curated_record import CURATED_DIR, record_files

DEMO = Path(__file__).resolve().parent
OUTPUT = DEMO / "snapshot.warc.gz"
FIXTURES = DEMO.parent / "tests" / "fixtures" / "spiders"
# The curated files as the snapshot holds them: a fixed, machine-independent URL and time.
CURATED_URL = "file:///outage-watch/crawlers/data/curated/{name}"
CURATED_FETCHED_AT = datetime.fromisoformat("2026-12-06T00:00:00+00:00")


def curated_records(directory: Path = CURATED_DIR) -> list[ArchiveRecord]:
    """Every file of the documented record as an archive record (what the curated spider reads)."""
    return [
        ArchiveRecord(
            url=CURATED_URL.format(name=path.name),
            body=path.read_bytes(),
            headers=[("Content-Type", "application/json")],
            fetched_at=CURATED_FETCHED_AT,
            constructed=False,
            note="A file of the documented record (crawlers/data/curated/): hand-curated, "
            "every fact cited. Not a fetched response: read through a file:// URL.",
        )
        for path in record_files([directory])
    ]


def demo_records(
    fixtures: Path = FIXTURES,
    spiders: list[str] | None = None,
    *,
    demo_only: bool = True,
    curated: Path | None = CURATED_DIR,
) -> list[ArchiveRecord]:
    """The responses of the fixture folders (of `spiders`, default all) as archive records,
    with every file of the `curated` directory (None: none) when the curated spider is in."""
    records = []
    if curated is not None and (not spiders or "curated" in spiders):
        records += curated_records(curated)
    taken = {r.url for r in records}
    for case_file in sorted(fixtures.glob("*/*/case.json")):
        case = json.loads(case_file.read_text())
        if (demo_only and not case.get("demo")) or (
            spiders and case_file.parent.parent.name not in spiders
        ):
            continue
        if case["url"] in taken:  # a fixture copy of a curated file: the file itself is in
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
