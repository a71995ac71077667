"""The About page's "live source check": the last `outages sources check` the watcher ran,
as published in status.json ("source_checks"). Text from the check (URLs, error messages
from the sources) is data: it goes into a dataframe, never into markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from warehouse.db import DataDir
from warehouse.status import read_status


def check_rows(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per source of the last check."""
    rows = []
    for r in results:
        responses = r.get("responses") or []
        structure: dict[str, bool] = {}
        for response in responses:
            for key, ok in (response.get("structure") or {}).items():
                structure[key] = structure.get(key, True) and bool(ok)
        missing = [k for k, ok in structure.items() if not ok]
        rows.append(
            {
                "spider": str(r.get("spider", "?")),
                "verdict": "drifted" if r.get("drifted") else "ok",
                "checked_at": str(r.get("checked_at") or ""),
                "http": ", ".join(str(x.get("status")) for x in responses) or "no answer",
                "robots": str(r.get("robots") or ""),
                "items": int(r.get("items") or 0),
                "outages": int(r.get("outages") or 0),
                "structure": (
                    "not declared"
                    if not r.get("expected_structure")
                    else ("missing: " + ", ".join(missing) if missing else "found")
                ),
                "problems": "; ".join(str(p) for p in r.get("problems") or []) or "none",
            }
        )
    return pd.DataFrame(rows)


def render(data_dir: Path) -> None:
    """The subheader and table of the last live source check (or why there is none)."""
    st.subheader("Live source check", anchor=False)
    results = read_status(DataDir(Path(data_dir))).get("source_checks") or []
    if not results:
        st.caption(
            "No live source check has run here yet. On a machine with internet, "
            "`outages sources check` asks each source once and reports what drifted; "
            "`outages watch` runs it at start-up and daily."
        )
        return
    st.dataframe(check_rows(results), hide_index=True, width="stretch")
    st.caption(
        "One polite request per start URL, obeying robots.txt, parsed by the real parser. "
        "Drifted: unreachable, an HTTP error, disallowed by robots.txt, the expected "
        "structure missing, parse errors, or nothing parsed where the source should have "
        "something."
    )
