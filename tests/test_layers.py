"""The layers import one way (DESIGN.md, "Layout"), and no module imports itself round a
circle: `warehouse` is the ground and imports no other package of the project; `crawlers`
and `webapp` stand on it and never import each other; the CLI and the watcher (`outages`)
stand on top. Every import counts, also one inside a function."""

from __future__ import annotations

import ast
import functools
import os
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("warehouse", "crawlers", "webapp", "outages")
# package -> the project packages it may import
ALLOWED = {
    "warehouse": set(),
    "crawlers": {"warehouse"},
    "webapp": {"warehouse"},
    "outages": {"warehouse", "crawlers", "webapp"},
    "app": {"webapp", "warehouse"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    modules = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    modules["app"] = ROOT / "app.py"
    return modules


def imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: from the module's package, up node.level - 1 more
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        return [target] + [f"{target}.{alias.name}" for alias in node.names]
    return []


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (the longest known prefix of each name)."""
    modules = project_modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for name in imported(node, module, path.name == "__init__.py"):
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    graph[module].add(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(project_modules()):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_inside_functions() -> None:
    # The scan itself: the pipelines import the warehouse only inside their methods.
    assert "warehouse.load" in import_graph()["crawlers.pipelines"]


def test_no_layer_imports_upward_or_sideways() -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if (a := module.split(".")[0]) != (b := target.split(".")[0]) and b not in ALLOWED[a]
    ]
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_no_import_cycles() -> None:
    assert not cycles(import_graph())


def test_the_app_imports_no_spider() -> None:
    app_modules = [m for m in import_graph() if m == "app" or m.startswith("webapp")]
    assert not [(m, t) for m in app_modules for t in import_graph()[m] if t.startswith("crawlers")]


# ---------------------------------------------------------------- no spider loaded at run time
# An import walk cannot see a module loaded by name at run time (Scrapy's spider loader
# given the settings module "crawlers.settings", as warehouse/registry.py once did). The
# ground and the app must not do that either: none of their modules names a module of an
# upper layer as a string, Scrapy's project settings variable, or a spider loader.
RUN_TIME_LOADERS = {"SpiderLoader", "get_spider_loader", "get_project_settings", "spiderloader"}
RUN_TIME_SETTINGS = {"SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"}
UPPER_LAYERS = {"crawlers", "outages"}


@functools.cache
def module_names() -> frozenset[str]:
    return frozenset(project_modules())


IMPORT_BY_NAME = {"import_module", "__import__", "find_spec", "load_object", "import_string"}


def upper_module(text: str) -> str | None:
    """The upper layer's module a string names ("crawlers.settings", "crawlers.pipelines.X"),
    None for anything else ("outages.duckdb" is a file name, "outages" a column)."""
    modules = module_names()
    name = text.strip()
    while "." in name and name not in modules:
        name = name.rpartition(".")[0]
    return name if "." in name and name.split(".")[0] in UPPER_LAYERS else None


def run_time_loads(source: str) -> list[str]:
    """What in a module's code names an upper layer's module or a way to load spiders."""
    found = []
    for node in ast.walk(ast.parse(source)):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and (upper_module(node.value) or node.value in RUN_TIME_SETTINGS):
            found.append(f"string {node.value!r}")
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if (
                called in IMPORT_BY_NAME
                and isinstance(first, ast.Constant)
                and str(first.value).split(".")[0] in UPPER_LAYERS
            ):
                found.append(f"{called}({first.value!r})")
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.alias):
            name = node.name.rpartition(".")[2]
        elif isinstance(node, ast.ImportFrom):
            name = (node.module or "").rpartition(".")[2]
        else:
            continue
        if name in RUN_TIME_LOADERS:
            found.append(f"name {name}")
    return found


def test_the_scan_finds_a_spider_loaded_by_name() -> None:
    # The scan itself, on the shape of the warehouse/registry.py that was removed.
    found = run_time_loads(
        "import os\n"
        "def spiders():\n"
        "    os.environ.setdefault('SCRAPY_SETTINGS_MODULE', 'crawlers.settings')\n"
        "    from scrapy.spiderloader import SpiderLoader\n"
        "    return SpiderLoader\n"
    )
    assert "string 'crawlers.settings'" in found
    assert "string 'SCRAPY_SETTINGS_MODULE'" in found
    assert "name SpiderLoader" in found and "name spiderloader" in found
    assert run_time_loads("import importlib\nimportlib.import_module('crawlers')\n")
    assert run_time_loads("x = 'crawlers.pipelines.WarehousePipeline'\n")
    # prose that mentions the layer, a file name, a column: no load
    assert not run_time_loads(
        '"""The crawlers pass records (crawlers/registry.py)."""\n'
        "db = 'outages.duckdb'\ncolumn = 'outages'\n"
    )


def test_the_ground_and_the_app_load_no_spider_by_name() -> None:
    paths = [p for pkg in ("warehouse", "webapp") for p in sorted((ROOT / pkg).rglob("*.py"))]
    found = [
        f"{path.relative_to(ROOT)}: {hit}"
        for path in [*paths, ROOT / "app.py"]
        for hit in run_time_loads(path.read_text())
    ]
    assert not found, "a run-time load of an upper layer:\n" + "\n".join(found)


# A build and publish in a process where the crawler project, Scrapy, the app and the CLI
# cannot be imported: given the spiders' metadata as plain records, the warehouse writes
# the `sources` table, the incidents' "per <source title>", status.json and the About page's
# rows from them alone.
WAREHOUSE_ONLY = """
import json, sys
from datetime import datetime, timedelta, UTC
from pathlib import Path

BLOCKED = {"crawlers", "scrapy", "webapp", "outages", "streamlit"}


class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"the warehouse imported {name}")
        return None


sys.meta_path.insert(0, Blocked())

from tests.warehouse_rows import report
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.publish import build_and_publish
from warehouse.sources import declared, source_status

# A source as a spider would declare it, from a class that is no spider (constructed).
Declared = type("Declared", (), dict(
    name="tx_csec", source_title="Constructed Texas agency", source_kind="agency",
    source_home="https://example.org/", coverage_states="TX", coverage_since="2024",
    cadence_minutes=60, empty_ok_because=None, verified_with=(),
    unverified_because="constructed for this test",
))
data_dir = DataDir(Path(sys.argv[1])).ensure()
con = connect_work(data_dir)
now = datetime.now(UTC) - timedelta(hours=1)
load_reports(con, [report(
    "agency-travis", source="tx_csec", source_kind="agency", is_outage=True,
    status="outage", published_at=now, started_at=now, state_codes=["TX"],
    county_fips=["48453"], backup_phone="512-555-0101", confidence=0.9,
)])
build_and_publish(con, data_dir, sources=[declared(Declared)])
con.close()
import duckdb
with duckdb.connect(str(data_dir.published_db), read_only=True) as pub:
    sources = pub.execute("SELECT spider, title FROM sources").fetchall()
    backup = pub.execute(
        "SELECT authoritative_backup_number, authoritative_backup_source FROM incidents"
    ).fetchall()
status = json.loads((data_dir.root / "status.json").read_text())
print(json.dumps({
    "sources": sources,
    "backup": backup,
    "status": [(r["spider"], r["title"], r["state"]) for r in status["sources"]],
    "about": [(r["spider"], r["title"], r["checked"]) for r in source_status(data_dir)],
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED),
}))
"""


def test_the_warehouse_builds_and_publishes_with_the_crawlers_unimportable(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    done = subprocess.run(
        [sys.executable, "-c", WAREHOUSE_ONLY, str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["sources"] == [["tx_csec", "Constructed Texas agency"]]
    assert result["backup"] == [["512-555-0101", "Constructed Texas agency"]]
    assert result["status"] == [["tx_csec", "Constructed Texas agency", "never"]]
    assert result["about"] == [
        ["tx_csec", "Constructed Texas agency", "not yet checked against the real source"]
    ]


def test_the_cli_starts_without_loading_scrapy() -> None:
    """`outages export`, `query`, `spiders`... must not pay Scrapy's import (half a second)
    on every start: only the commands that crawl load it."""
    import subprocess
    import sys

    probe = "import sys, outages.cli; print(sorted(m for m in sys.modules if m == 'scrapy'))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr
