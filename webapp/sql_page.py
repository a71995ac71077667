"""SQL: a read-only console on the published database, through the public guard.

URL parameter: sql (the query; the page runs it on load: a permalink).
The guard (`warehouse.guard.run_public_query`) is the same as `outages sql --public`: one
read-only statement, a time limit, a row cap, no file or network access, no writes.
"""

from __future__ import annotations

import threading
from urllib.parse import quote

import pandas as pd
import streamlit as st

from warehouse import guard, result_format
from warehouse.display import md_text
from warehouse.settings import setting
from webapp import cookbook, data, schema, ui

SCHEMA_SQL = """
SELECT c.table_name, t.table_type, c.column_name, c.data_type
FROM information_schema.columns AS c
JOIN information_schema.tables AS t USING (table_schema, table_name)
WHERE c.table_schema = 'main' AND NOT starts_with(c.table_name, '_')
ORDER BY t.table_type, c.table_name, c.ordinal_position
"""
MAX_PERMALINK_CHARS = 6000
FIRST_RELATIONS = ["incidents", "reports", "incident_counties", "report_counties"]


# Public queries one server runs at once, over every session: a visitor beyond it gets a
# "busy" message at once instead of queueing, so heavy queries cannot starve the others.
QUERY_SLOTS = threading.BoundedSemaphore(setting("OUTAGES_SQL_CONCURRENT"))
BUSY_MESSAGE = (
    "The SQL page is busy with other visitors' queries: try again in a moment "
    "(at most {n} public queries run at once)."
)


class Busy(Exception):
    """Every query slot of this server is taken."""


def normalise(sql: str) -> str:
    """The cache key of a query: surrounding blanks and a trailing `;` do not make it new."""
    return sql.strip().rstrip(";").strip()


@st.cache_data(show_spinner=False, max_entries=64)
def run_query(path: str, version: str, sql: str) -> guard.QueryResult:
    """One guarded query, cached per published version and normalised SQL (refusals and
    'busy' are exceptions, so they are not cached)."""
    if not QUERY_SLOTS.acquire(blocking=False):
        raise Busy(BUSY_MESSAGE.format(n=setting("OUTAGES_SQL_CONCURRENT")))
    try:
        return guard.run_public_query(path, sql)
    finally:
        QUERY_SLOTS.release()


@st.cache_data(show_spinner=False, max_entries=16)
def csv_bytes_for(path: str, version: str, sql: str) -> bytes:
    """The CSV of a query, made once per query and published version, not on every rerun."""
    return guard.result_csv(run_query(path, version, sql))


def result_frame(result: guard.QueryResult) -> pd.DataFrame:
    """The rows as a table; repeated column names get a suffix (a, a_2) so it can be shown."""
    return result_format.display_table(result.table, result.columns)


def parquet_bytes(result: guard.QueryResult, metadata: dict[str, str] | None = None) -> bytes:
    return result_format.parquet_bytes(result.table, result.columns, metadata)


def permalink(sql: str) -> str:
    try:
        base = (st.context.url or "").split("?", 1)[0]
    except Exception:  # no browser (AppTest)
        base = ""
    return f"{base}?sql={quote(sql, safe='')}"


def use_recipe() -> None:
    name = st.session_state.get("recipe")
    if name in cookbook.RECIPES:
        query = cookbook.RECIPES[name][1]
        st.session_state["sql_text"] = query
        submit(query)


def submit(query: str | None = None) -> None:
    query = (query if query is not None else st.session_state.get("sql_text", "")).strip()
    st.session_state["sql_run"] = query
    if query and len(query) <= MAX_PERMALINK_CHARS:
        st.query_params["sql"] = query
    else:
        st.query_params.pop("sql", None)


def render() -> None:
    pub = ui.page(
        "SQL",
        "Query the published database read-only with DuckDB SQL: one SELECT at a time, "
        f"at most {guard.TIME_LIMIT_SECONDS:g} s, {guard.ROW_CAP:,} rows and "
        f"{guard.CELL_CAP:,} cells (rows times columns), no files, no "
        "network, no writes. The same guard as `outages sql --public`.",
    )
    if pub is None:
        return
    guard.warm_up()  # start the query workers now (returns at once; idempotent)
    if "sql_text" not in st.session_state:
        from_url = st.query_params.get("sql")
        st.session_state["sql_text"] = from_url or cookbook.RECIPES[cookbook.DEFAULT][1]
        if from_url:
            st.session_state["sql_run"] = from_url
    editor, browser = st.columns([3, 2])
    with editor:
        st.selectbox(
            "Cookbook",
            list(cookbook.RECIPES),
            index=None,
            key="recipe",
            placeholder="start from an example query",
            on_change=use_recipe,
        )
        recipe = st.session_state.get("recipe")
        if recipe in cookbook.RECIPES:
            st.caption(cookbook.RECIPES[recipe][0])
        st.text_area("Query", key="sql_text", height=220)
        st.button(
            "Run", type="primary", icon=":material/play_arrow:", on_click=submit, key="run_sql"
        )
    with browser:
        schema_browser(pub)
    query = st.session_state.get("sql_run")
    if query:
        show_result(pub, query)


def show_result(pub: data.Published, query: str) -> None:
    query = normalise(query)
    try:
        result = run_query(str(pub.path), pub.version, query)
    except Busy as exc:
        st.warning(str(exc), icon=":material/hourglass_top:")
        return
    except guard.QueryRefused as exc:
        st.error(f"**Refused:** {exc}", icon=":material/block:")
        return
    except FileNotFoundError as exc:
        st.error(str(exc))
        return
    frame = result_frame(result)
    note = f"{len(frame):,} row{'s' * (len(frame) != 1)} in {result.seconds:g} s"
    if result.limit == "cell cap":
        note += (
            f" (cut at the cell cap: at most {guard.CELL_CAP:,} cells, rows x columns, per "
            f"query; this result has {len(result.columns):,} columns: select fewer columns, "
            "add a LIMIT or aggregate)"
        )
    elif result.truncated:
        note += f" (cut at the {result.limit or 'row cap'}: add a LIMIT or aggregate)"
    st.subheader("Result", anchor=False)
    st.caption(note + f". {ui.version_line(pub)}.")
    st.dataframe(frame, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(frame)))
    cols = st.columns([1, 1, 3])
    try:
        csv_bytes = csv_bytes_for(str(pub.path), pub.version, query)
    except (guard.QueryRefused, Busy) as exc:
        cols[0].caption(str(exc))
    else:
        cols[0].download_button(
            "CSV",
            csv_bytes,
            file_name=ui.download_name(pub, "query", "csv"),
            mime="text/csv",
            key="sql_csv",
            icon=":material/download:",
            on_click="ignore",
            width="stretch",
        )
    cols[1].download_button(
        "Parquet",
        data=lambda: parquet_bytes(result, ui.download_metadata(pub)),
        file_name=ui.download_name(pub, "query", "parquet"),
        mime="application/vnd.apache.parquet",
        key="sql_parquet",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
    )
    st.caption(f"Files: {md_text(ui.download_credit(pub))} (see Downloads).")
    if len(query) <= MAX_PERMALINK_CHARS:
        link = permalink(query)
        cols[2].markdown(f"[Permalink to this query]({link})", help="Opens the page and runs it")
    else:
        cols[2].caption("Too long for a permalink: save the query text instead.")


def schema_browser(pub: data.Published) -> None:
    relations, columns = schema.descriptions()
    frame = data.query(pub, SCHEMA_SQL)
    kinds = dict(zip(frame["table_name"], frame["table_type"], strict=False))
    first = [name for name in FIRST_RELATIONS if name in kinds]
    kinds = {name: kinds[name] for name in first + [n for n in kinds if n not in first]}
    st.selectbox(
        "Schema: tables and views",
        list(kinds),
        key="schema_table",
        format_func=lambda n: n + (" (view)" if kinds[n] == "VIEW" else ""),
        help="The data dictionary (Downloads page) describes every column.",
    )
    name = st.session_state.get("schema_table") or next(iter(kinds))
    if relations.get(name):
        st.caption(relations[name])
    group = frame[frame["table_name"] == name]
    meanings = columns.get(name, {})
    st.dataframe(
        pd.DataFrame(
            {
                "column": group["column_name"],
                "type": group["data_type"],
                "meaning": [meanings.get(c, "") for c in group["column_name"]],
            }
        ),
        hide_index=True,
        width="stretch",
        height=min(300, 38 + 35 * len(group)),
        column_config={"meaning": st.column_config.TextColumn(width="large")},
    )
