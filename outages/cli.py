"""`outages`: the command line of 911 Outage Watch (see README and docs/cli.md)."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from outages.crawl import (
    CliError,
    build_and_publish,
    run_crawl,
    spider_names,
    spiders_in_archives,
)
from outages.watch import feeds, watch
from warehouse.db import DataDir
from warehouse.jsonable import jsonable
from warehouse.settings import setting

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_SNAPSHOT = PROJECT_ROOT / "demo" / "snapshot.warc.gz"
FAILED_STATUSES = ("failed", "empty")


def data_dir_option(func: Any) -> Any:
    return click.option(
        "--data-dir",
        envvar="OUTAGES_DATA",
        default="data",
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Where the databases, archives and exports live (env OUTAGES_DATA).",
    )(func)


class OutagesGroup(click.Group):
    """Unexpected errors become one clear line on stderr (OUTAGES_DEBUG=1 shows the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if setting("OUTAGES_DEBUG"):
                raise
            raise CliError(
                f"{type(exc).__name__}: {exc} (set OUTAGES_DEBUG=1 for the traceback)"
            ) from exc


@click.group(cls=OutagesGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """911 Outage Watch: crawl public traces of 911 outages into DuckDB and map them."""


# ---------------------------------------------------------------------------- crawl
def hold_lock(data_dir: DataDir, wait: float) -> None:
    from warehouse import lock

    try:
        lock.acquire(data_dir.ensure().lock_file, wait_seconds=wait)
    except lock.LockBusy as exc:
        raise CliError(str(exc)) from exc


def print_results(results: list[dict[str, Any]], publication: dict[str, Any]) -> None:
    for r in results:
        unchanged = (
            f" ({r['unchanged_pages']} unchanged, {r['unchanged_reports']} reports already in)"
            if r.get("unchanged_pages")
            else ""
        )
        click.echo(
            f"{r['spider']}: {r['status']} · {r['reports']} reports · {r['outages']} outages · "
            f"{r['errors']} errors · {r['warnings']} warnings · {r['pages']} pages{unchanged} · "
            f"{r['seconds']} s",
            err=True,
        )
    click.echo(f"published {publication['path']} at {publication['published_at']}", err=True)


@main.command()
@click.argument("spiders", nargs=-1)
@click.option(
    "--from",
    "from_urls",
    multiple=True,
    metavar="URL",
    help="Parse one saved response (file:// works); may be repeated. Needs one SPIDER.",
)
@click.option(
    "--replay",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="WARC",
    help="Run the crawl from a WARC archive, network off.",
)
@click.option(
    "--record",
    type=click.Path(path_type=Path),
    metavar="WARC",
    help="Write this crawl's responses to this WARC file.",
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC).")
@click.option("--state", metavar="XX", help="Only this state (USPS code), where the source can.")
@click.option("--wait", default=0.0, metavar="SECONDS", help="Wait this long for another crawl.")
@click.option(
    "--reparse",
    is_flag=True,
    help="Parse every page, even those already loaded unchanged by the same code.",
)
@click.option("--verbose", "-v", is_flag=True, help="Scrapy's INFO log.")
@data_dir_option
def crawl(
    spiders: tuple[str, ...],
    from_urls: tuple[str, ...],
    replay: tuple[Path, ...],
    record: Path | None,
    since: datetime | None,
    until: datetime | None,
    state: str | None,
    wait: float,
    reparse: bool,
    verbose: bool,
    data_dir: Path,
) -> None:
    """Run spiders (all when none named), load, build, publish."""
    known = spider_names()
    unknown = [s for s in spiders if s not in known]
    if unknown:
        raise CliError(f"unknown spider {', '.join(unknown)}; known: {', '.join(known)}")
    if from_urls and len(spiders) != 1:
        raise CliError("--from needs exactly one SPIDER (the one whose parser reads the page)")
    if replay and record:
        raise CliError("--replay and --record exclude each other")
    if state:
        import us

        if us.states.lookup(state) is None:
            raise CliError(f"unknown state: {state}")
    ddir = DataDir.resolve(data_dir)
    hold_lock(ddir, wait)
    if replay and not spiders:
        # Replaying an archive runs the spiders it holds pages of; a named spider always runs.
        known = spiders_in_archives(known, list(replay))
        if not known:
            raise CliError("the archive holds no page that any spider starts from")
    results = run_crawl(
        ddir,
        list(spiders) or known,
        from_urls=list(from_urls),
        replay=list(replay),
        record=record,
        since=since.date() if since else None,
        until=until.date() if until else None,
        state=state,
        progress=sys.stderr.isatty(),
        log_level="INFO" if verbose else "WARNING",
        reparse=reparse,
    )
    publication = build_and_publish(ddir, only_if_changed=True)
    print_results(results, publication)
    failed = [r["spider"] for r in results if r["status"] in FAILED_STATUSES]
    if failed:
        raise CliError(f"spider failed: {', '.join(failed)} (see crawl_runs and crawl_errors)")


@main.command()
@data_dir_option
def build(data_dir: Path) -> None:
    """Re-apply migrations and reference data, rebuild what derives from reports, publish."""
    ddir = DataDir.resolve(data_dir)
    hold_lock(ddir, 0)
    from warehouse.db import work_connection
    from warehouse.reference import load_reference_tables

    load_reference_tables(work_connection(ddir))
    publication = build_and_publish(ddir)
    click.echo(json.dumps(publication["counts"]), err=True)
    click.echo(f"published {publication['path']} at {publication['published_at']}", err=True)


# ---------------------------------------------------------------------------- demo, serve
@main.command()
@click.option("--no-serve", is_flag=True, help="Replay, build and publish only.")
@click.option("--port", default=8501, show_default=True)
@click.option(
    "--snapshot",
    type=click.Path(path_type=Path, exists=True),
    default=DEMO_SNAPSHOT,
    show_default="demo/snapshot.warc.gz",
    help="The WARC archive to replay.",
)
@data_dir_option
def demo(no_serve: bool, port: int, snapshot: Path, data_dir: Path) -> None:
    """Replay the bundled offline snapshot, build, publish, then serve the map."""
    ddir = DataDir.resolve(data_dir)
    hold_lock(ddir, 0)
    results = run_crawl(
        ddir,
        spiders_in_archives(spider_names(), [snapshot]),
        replay=[snapshot],
        progress=sys.stderr.isatty(),
    )
    publication = build_and_publish(ddir)
    print_results(results, publication)
    failed = [r["spider"] for r in results if r["status"] in FAILED_STATUSES]
    if failed:
        raise CliError(f"demo replay failed for: {', '.join(failed)}")
    if not no_serve:
        from warehouse import lock

        lock.release(ddir.lock_file)
        serve_app(ddir, port)


# Streamlit options of the public server (issue 19: the map under a crowd, measured by
# benchmarks/bench_crowd.py). Each session of a default server watches every imported module's
# file for changes (a polling watcher here) and runs a full garbage collection after every
# rerun: with the crowd's sessions that was about 40% of the server's CPU and nothing a
# visitor needs. Developers who want reload on save run `streamlit run app.py`.
SERVE_OPTIONS: dict[str, str] = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",  # no "Deploy" button for the public
    "server.fileWatcherType": "none",
    "runner.postScriptGC": "false",
}


def serve_command(port: int, host: str = "localhost") -> list[str]:
    """The `streamlit run` command line of `outages serve`."""
    # outages/webserver.py: app.py as an ASGI app whose static files are served from memory;
    # outages/streamlit_launch.py: Streamlit's CLI, with TCP_NODELAY on the server's socket
    webserver = str(PROJECT_ROOT / "outages/webserver.py")
    command = [sys.executable, "-m", "outages.streamlit_launch", "run", webserver]
    command += ["--server.port", str(port), "--server.address", host]
    for name, value in SERVE_OPTIONS.items():
        command += [f"--{name}", value]
    return command


def serve_app(data_dir: DataDir, port: int, host: str = "localhost") -> None:
    if not data_dir.published_db.exists():
        raise CliError(f"nothing published in {data_dir.root}: run `outages demo --no-serve`")
    env = dict(os.environ, OUTAGES_DATA=str(data_dir.root))
    command = serve_command(port, host)
    click.echo(f"911 Outage Watch map: http://{host}:{port}/  (Ctrl+C to stop)", err=True)
    sys.stdout.flush()  # exec skips the interpreter's exit: what `demo` printed must be out
    sys.stderr.flush()
    # Streamlit replaces this process (same PID, signals go straight to it): a CLI process
    # waiting on it would hold about 70 MB of imports for nothing (issue 19).
    os.execve(command[0], command, env)


@main.command()
@click.option("--port", default=8501, show_default=True)
@click.option("--host", default="localhost", show_default=True)
@data_dir_option
def serve(port: int, host: str, data_dir: Path) -> None:
    """Start the Streamlit app on the published database."""
    serve_app(DataDir.resolve(data_dir), port, host)


# ---------------------------------------------------------------------------- sql, export
def format_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            [dict(zip(columns, map(jsonable, row), strict=True)) for row in rows],
            ensure_ascii=False,
            indent=None,
        )
    if fmt == "csv":
        from warehouse.export import neutralize_cell

        out = io.StringIO()
        # \r\n rows, so a carriage return inside a cell is quoted and cannot split the row;
        # column names are neutralized too (public queries choose them).
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([neutralize_cell(c) for c in columns])
        for row in rows:
            writer.writerow([neutralize_cell(jsonable(v)) for v in row])
        return out.getvalue().rstrip("\n")
    # The terminal: source text loses escape sequences, control and bidi characters.
    from warehouse.display import terminal_text

    columns = [terminal_text(c) for c in columns]
    cells = [[("" if v is None else terminal_text(jsonable(v))) for v in row] for row in rows]
    widths = [max([len(c)] + [min(len(r[i]), 60) for r in cells]) for i, c in enumerate(columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(v[:60].ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


@main.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--public", is_flag=True, help="Apply exactly the guard of the web SQL page.")
@data_dir_option
def sql(query: str, fmt: str, public: bool, data_dir: Path) -> None:
    """Run SQL on the published database (read-only)."""
    import duckdb

    from warehouse import guard

    ddir = DataDir.resolve(data_dir)
    try:
        if public:
            result = guard.run_public_query(ddir.published_db, query)
            columns, rows = result.columns, result.rows
            if result.truncated:
                click.echo(f"note: result cut at {len(rows)} rows (the row cap)", err=True)
        else:
            from warehouse.db import connect_published

            with connect_published(ddir) as con:
                cursor = con.execute(query)
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchall() if cursor.description else []
    except guard.QueryRefused as exc:
        raise CliError(f"refused: {exc}") from exc
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    except duckdb.Error as exc:
        raise CliError(f"SQL error: {exc}") from exc
    click.echo(format_rows(columns, rows, fmt))


@main.command()
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "geojson", "jsonl"]),
    default="csv",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File to write.")
@data_dir_option
def export(name: str, fmt: str, output: Path | None, data_dir: Path) -> None:
    """Export a table or view of the published database.

    The default file name holds the data version (911-outage-watch-NAME-VERSION.FORMAT);
    Parquet and GeoJSON files hold the version, licence and column meanings inside, and
    NAME.FORMAT.README.txt and data-dictionary.csv are written beside every file.
    """
    from warehouse import bulk, bundle
    from warehouse.export import ExportError

    ddir = DataDir.resolve(data_dir)
    version = bundle.data_version(ddir.published_db)
    target = output or ddir.exports_dir / bundle.file_name(name, version, fmt)
    try:
        rows = bulk.export(
            ddir.published_db, name, fmt, target, metadata=bundle.metadata(name, version)
        )
    except (ExportError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from exc
    sidecars = bundle.write_sidecars(target, name, version)
    click.echo(f"wrote {rows} rows to {target} (data version {version})", err=True)
    for path in sidecars:
        click.echo(f"wrote {path}", err=True)


# ---------------------------------------------------------------------------- spiders
@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option(
    "--by-state",
    "by_state",
    is_flag=True,
    help="Per state: which sources cover it (declared) and which have reports from it.",
)
@click.option(
    "--states",
    default="MA,SD,NV,TX,NE",
    show_default=True,
    help="With --by-state: the states to list ('all' for every state).",
)
@data_dir_option
def spiders(fmt: str, by_state: bool, states: str, data_dir: Path) -> None:
    """List the sources: coverage, cadence, last run (or, --by-state, coverage per state)."""
    from crawlers.registry import source_records
    from warehouse.sources import coverage_by_state, source_status

    ddir = DataDir.resolve(data_dir)
    sources = source_records()  # as the spiders declare themselves now, published or not
    if by_state:
        chosen = None if states == "all" else [s.strip().upper() for s in states.split(",")]
        rows = coverage_by_state(ddir, chosen, sources)
        columns = ["state", "state_sources", "sources_declared", "sources_with_reports"]
    else:
        rows = source_status(ddir, sources)
        columns = [
            "spider",
            "kind",
            "states",
            "since",
            "cadence_minutes",
            "years_seen",
            "reports",
            "outage_reports",
            "checked",
            "freshness",
            "freshness_since",
            "last_success_at",
            "last_status",
            "last_error",
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    click.echo(format_rows(columns, [tuple(r.get(c) for c in columns) for r in rows], "table"))


# ---------------------------------------------------------------------------- curated
@main.group()
def curated() -> None:
    """The documented record: one file per incident in crawlers/data/curated/."""


@curated.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--archive",
    "archives",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also look for cited pages in this WARC archive (repeatable).",
)
@data_dir_option
def curated_check(paths: tuple[Path, ...], archives: tuple[Path, ...], data_dir: Path) -> None:
    """Check record files (default: all of crawlers/data/curated/): schema, dates and time
    zones, places, taxonomies, a cited quote for every fact, quotes found in the archived
    pages (the demo snapshot, DIR/archive/*.warc.gz, --archive), no two records of one outage.
    Prints the problems per file; exit status 1 when there is any."""
    from crawlers.curated_record import check_paths

    ddir = DataDir.resolve(data_dir)
    found = [DEMO_SNAPSHOT, *sorted(ddir.archive_dir.glob("*.warc.gz")), *archives]
    result = check_paths(paths, archives=list(dict.fromkeys(found)))
    click.echo(result.report())
    if not result.ok:
        raise SystemExit(1)


@main.group()
def sources() -> None:
    """Check the live sources (for a machine with internet)."""


@sources.command("check")
@click.argument("spiders", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of tables.")
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A Scrapy setting (repeatable; e.g. OUTAGES_URL_REWRITE for a local test server).",
)
def sources_check(spiders: tuple[str, ...], as_json: bool, settings: tuple[str, ...]) -> None:
    """One polite request per start URL of each spider (default: all), obeying robots.txt,
    through the real engine and parser; nothing is written to the warehouse. Prints a table
    per source and exits 1 when any source drifted (unreachable, non-2xx, disallowed by
    robots.txt, expected structure missing, parse errors, or neither items nor article links
    where the spider does not declare empty_ok_because). The first command to run on a
    networked machine."""
    import json as json_module

    from outages.crawl import spider_names
    from outages.runner import parse_settings
    from outages.sources_check import check_sources, render

    known = spider_names()
    unknown = [s for s in spiders if s not in known]
    if unknown:
        raise CliError(f"unknown spider(s): {', '.join(unknown)}")
    results = check_sources(list(spiders) or known, parse_settings(settings))
    if as_json:
        click.echo(json_module.dumps(results, indent=1, default=str))
    else:
        render(results)
    if any(r["drifted"] for r in results):
        raise SystemExit(1)


main.add_command(watch)
main.add_command(feeds)


if __name__ == "__main__":
    main()
