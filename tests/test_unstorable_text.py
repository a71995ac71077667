"""One report whose text no database can hold (NUL bytes, lone UTF-16 surrogates, which
JSON's `\\u0000` and `\\ud800` escapes bring in from an otherwise valid page) must not fail
the run: it is cleaned and kept, the change is recorded in `crawl_errors` with its URL, the
rest of the page loads, and the run is `partial`, not `failed` (issue 17). The page is
CONSTRUCTED here (a hostile input real material cannot give), from the recorded shape of an
api.weather.gov alert.
"""

from __future__ import annotations

import json
from pathlib import Path

from crawlers.pipelines import storable_text
from tests.conftest import outages, query

TEMPLATE = json.loads(
    (
        Path(__file__).parent / "fixtures/spiders/nws_alerts/constructed_page1/response.json"
    ).read_text()
)["features"][0]


def hostile_page() -> bytes:
    features = []
    for n in (1, 2, 3):
        feature = json.loads(json.dumps(TEMPLATE))
        feature["properties"]["id"] = f"unstorable-{n}"
        if n == 2:
            feature["properties"]["headline"] = "911 OUTAGE\u0000 in \ud800 county"
            feature["properties"]["description"] = "Call 911\u0000 lines are down \udfff."
        features.append(feature)
    # ensure_ascii: the escapes stay escapes, as a real server would send them
    return json.dumps({"type": "FeatureCollection", "features": features}).encode("ascii")


def test_storable_text_removes_nul_and_replaces_lone_surrogates() -> None:
    assert storable_text("a\x00b\ud800c") == ("ab\ufffdc", 2)
    assert storable_text(["ok", "x\udfff"]) == (["ok", "x\ufffd"], 1)
    assert storable_text({"k\x00": "v\x00"}) == ({"k": "v"}, 1)
    assert storable_text("caf\u00e9 \U0001f6a8") == ("caf\u00e9 \U0001f6a8", 0)  # valid text stays
    assert storable_text(42) == (42, 0)


def test_a_report_with_nul_and_surrogates_is_cleaned_and_the_page_loads(tmp_path: Path) -> None:
    page = tmp_path / "alerts.json"
    page.write_bytes(hostile_page())
    url = page.as_uri()
    data_dir = tmp_path / "data"
    result = outages("crawl", "nws_alerts", "--from", url, data_dir=data_dir, check=False)
    assert "nws_alerts: partial" in result.stdout + result.stderr, result.stderr
    assert query(data_dir, "SELECT status FROM crawl_runs") == [("partial",)]
    errors = query(data_dir, "SELECT stage, error_type, url, message FROM crawl_errors")
    assert [(stage, kind, where) for stage, kind, where, _ in errors] == [
        (
            "validate",
            "UnstorableText",
            url,
        )
    ]
    assert "NUL bytes or lone surrogates removed from title (2)" in errors[0][3]
    kept = query(data_dir, "SELECT title, body FROM reports WHERE source_url = ? ORDER BY 1", [url])
    assert len(kept) == 3
    text = " ".join(f"{title} {body}" for title, body in kept)
    assert "\x00" not in text and "\ufffd" in text
