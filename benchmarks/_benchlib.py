"""Shared helpers of the benchmark scripts: the machine, measured subprocesses, RESULTS.md."""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
OUTAGES = str(VENV_BIN / "outages")


# ----------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def machine() -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memory_gb": _mem_total_gb(),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {n: _version(n) for n in ("scrapy", "duckdb", "lxml", "pyarrow", "twisted")},
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "code": _code_label(),
    }


def _code_label() -> str:
    if not CODE_DIR:
        return "the working tree as it was during the run"
    info_path = CODE_DIR / "SNAPSHOT.json"
    if info_path.exists():
        i = json.loads(info_path.read_text())
        return (
            f"snapshot {i['taken_at']} of the tree (HEAD {i['head']} + "
            f"{i['changed_paths_vs_head']} changed paths, sources {i['sources_sha256']})"
        )
    return str(CODE_DIR)


def machine_line(m: dict[str, Any]) -> str:
    v = m["versions"]
    return (
        f"{m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, Scrapy {v['scrapy']}, DuckDB {v['duckdb']}, lxml {v['lxml']}, "
        f"pyarrow {v['pyarrow']}; load average at start {m['loadavg_at_start']}; "
        f"code: {m.get('code', '?')}"
    )


# ----------------------------------------------------------------------------- code version
CODE_DIR: Path | None = None  # a snapshot of the code to run (None: the tree itself)
CODE_PARTS = ("crawlers", "warehouse", "webapp", "app.py", "scrapy.cfg", "pyproject.toml")


def snapshot_code(dest_root: Path = OUT_DIR / "code") -> dict[str, Any]:
    """Copy the project's code as it is now (tracked or not) to a fresh folder.

    Several developers edit this tree while benchmarks run for many minutes, and the crawl
    imports some modules late (build, publish): a snapshot keeps one run on one version.
    Returns where it went, the HEAD commit, how many paths differ from it, and a digest of
    the copied sources.
    """
    import hashlib
    import shutil

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    dest = dest_root / stamp
    dest.mkdir(parents=True)
    digest = hashlib.sha256()
    for part in CODE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / part)
    for path in sorted(p for p in dest.rglob("*") if p.is_file() and p.suffix in (".py", ".sql")):
        digest.update(str(path.relative_to(dest)).encode())
        digest.update(path.read_bytes())

    def git(*args: str) -> str:
        res = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return res.stdout.strip()

    info = {
        "path": str(dest),
        "head": git("rev-parse", "--short", "HEAD"),
        "changed_paths_vs_head": len([x for x in git("status", "--porcelain").splitlines() if x]),
        "sources_sha256": digest.hexdigest()[:16],
        "taken_at": stamp,
    }
    (dest / "SNAPSHOT.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def use_code(path: Path | None) -> None:
    """Run the measured subprocesses on this code snapshot (see snapshot_code)."""
    global CODE_DIR
    CODE_DIR = Path(path).resolve() if path else None
    if CODE_DIR:
        sys.path.insert(0, str(CODE_DIR))


def add_code_args(ap: Any) -> None:
    ap.add_argument(
        "--code", type=Path, help="run on this code snapshot (from run_all.py) instead of the tree"
    )
    ap.add_argument(
        "--as-is",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE (compile every module in every process)",
    )


# ----------------------------------------------------------------------------- processes
def bench_env(as_is: bool = False) -> dict[str, str]:
    """The environment of measured subprocesses.

    This machine sets PYTHONDONTWRITEBYTECODE=1, so every Python process compiles every module
    it imports from source (5 to 10 s for the crawl's imports on a loaded machine). A normal
    installation has .pyc files, so by default the benchmarks let Python cache bytecode under
    benchmarks/out/pycache (PYTHONPYCACHEPREFIX: nothing is written into the tree or the venv).
    `as_is=True` keeps the environment as it is.
    """
    env = dict(os.environ)
    if not as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(OUT_DIR / "pycache")
    if CODE_DIR:
        env["PYTHONPATH"] = os.pathsep.join([str(CODE_DIR), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    return env


def warm_bytecode(env: dict[str, str]) -> None:
    """Import what the crawl imports once, so the measured runs find cached bytecode."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import outages.cli, scrapy.crawler, crawlers.pipelines, crawlers.archive, "
            "crawlers.spiders.openfema_ipaws, warehouse.build, warehouse.publish, "
            "warehouse.export, pandas, pyarrow, duckdb;"
            "from outages.cli import spider_names; spider_names()",
        ],
        env=env,
        cwd=CODE_DIR or ROOT,
        check=False,
        capture_output=True,
    )


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process (/proc/PID/stat), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command's name: state is field 3, utime 14 and stime 15 (proc(5))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_role(pid: int, main_pid: int) -> str:
    """ "main" (the measured command), "parse worker" (a multiprocessing spawn child), or
    "other" (multiprocessing's resource tracker, a shell...)."""
    if pid == main_pid:
        return "main"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
    except OSError:
        return "other"
    if b"resource_tracker" in cmdline:
        return "other"
    return "parse worker" if b"spawn_main" in cmdline else "other"


def cpu_by_role(seen: dict[int, tuple[str, float]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for role, seconds in seen.values():
        totals[role] = round(totals.get(role, 0.0) + seconds, 2)
    return totals


def run(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdout_path: Path | None = None,
) -> dict[str, Any]:
    """Run `cmd`; wall time, CPU time and max RSS of the process tree (wait4 rusage)."""
    cwd = cwd or CODE_DIR or ROOT
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    out_fh = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out_fh, stderr=subprocess.PIPE)
    # Read stderr while waiting (it may be long); stdout goes to a file or a pipe.
    stderr_chunks: list[bytes] = []
    stdout_chunks: list[bytes] = []
    import threading

    def pump(stream, sink):
        for chunk in iter(lambda: stream.read(65536), b""):
            sink.append(chunk)

    threads = [threading.Thread(target=pump, args=(proc.stderr, stderr_chunks), daemon=True)]
    if proc.stdout is not None:
        threads.append(
            threading.Thread(target=pump, args=(proc.stdout, stdout_chunks), daemon=True)
        )
    samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB) of the process
    done = threading.Event()

    def rss_mb(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def tree(pid: int) -> list[int]:
        """The process and its descendants (worker processes count too)."""
        pids, queue = [], [pid]
        while queue:
            p = queue.pop()
            pids.append(p)
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as fh:
                        queue += [int(c) for c in fh.read().split()]
            except OSError:
                continue
        return pids

    tree_samples: list[float] = []  # summed RSS of the whole process tree
    # CPU seconds per process of the tree, as last seen (a process's CPU is summed into
    # wait4's only when it is reaped, and then not apart from its parent's): which of the
    # crawl process and its parse workers is busy, and how much.
    cpu_seen: dict[int, tuple[str, float]] = {}
    main_cpu_timeline: list[tuple[float, float]] = []
    last_worker_seen = [None]  # the parse workers stop when the crawl ends: its end, +-1 s

    def sample_rss():
        while not done.wait(1.0):
            if not os.path.exists(f"/proc/{proc.pid}"):
                break
            now = round(time.perf_counter() - started, 1)
            mb = round(rss_mb(proc.pid), 1)
            samples.append((now, mb))
            pids = tree(proc.pid)
            tree_samples.append(round(sum(rss_mb(p) for p in pids), 1))
            for p in pids:
                seconds = cpu_seconds(p)
                if seconds is not None:
                    cpu_seen[p] = role_cpu = (process_role(p, proc.pid), seconds)
                    if role_cpu[0] == "parse worker":
                        last_worker_seen[0] = now
            if proc.pid in cpu_seen:
                main_cpu_timeline.append((now, round(cpu_seen[proc.pid][1], 2)))

    threads.append(threading.Thread(target=sample_rss, daemon=True))
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join()
    if stdout_path:
        out_fh.close()
    return {
        "command": shlex.join(cmd),
        "returncode": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_user_s": round(usage.ru_utime, 2),
        "cpu_sys_s": round(usage.ru_stime, 2),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        # ru_maxrss is the largest single process; with worker processes the sum matters.
        "max_tree_rss_mb_sampled": max(tree_samples, default=None),
        "loadavg_1min_before": round(load_before, 2),
        "loadavg_1min_after": round(os.getloadavg()[0], 2),
        "rss_timeline_mb": samples[:: max(1, len(samples) // 120)],
        "cpu_s_by_role_sampled": cpu_by_role(cpu_seen),
        "main_cpu_timeline_s": main_cpu_timeline,
        "parse_workers_last_seen_s": last_worker_seen[0],
        "stdout": b"".join(stdout_chunks).decode("utf-8", "replace"),
        "stderr": b"".join(stderr_chunks).decode("utf-8", "replace"),
    }


def run_json(cmd: list[str], **kwargs: Any) -> dict[str, Any]:
    """`run`, then parse the last JSON object the command printed on stdout."""
    res = run(cmd, **kwargs)
    if res["returncode"] != 0:
        raise RuntimeError(
            f"failed ({res['returncode']}): {res['command']}\n{res['stderr'][-3000:]}"
        )
    text = res["stdout"].strip()
    start = text.rfind("\n{")
    res["json"] = json.loads(text[start + 1 :] if start >= 0 else text)
    return res


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2) if n else float("nan")


# ----------------------------------------------------------------------------- results
def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def append_results(
    title: str,
    command: str,
    mach: dict[str, Any],
    rows: list[tuple],
    targets: list[tuple[str, str, bool | None]],
    notes: list[str],
    raw: dict[str, Any],
    path: Path = RESULTS,
) -> None:
    """Append one benchmark's section to RESULTS.md (a lock keeps parallel writers apart)."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"\n## {title} ({now})\n",
        f"- command: `{command}`",
        f"- machine: {machine_line(mach)}",
        "",
    ]
    if targets:
        lines += ["| target | measured | verdict |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets]
        lines.append("")
    if rows:
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in rows]
        lines.append("")
    lines += [f"- {n}" for n in notes]
    lines += [
        "",
        "<details><summary>raw JSON</summary>",
        "",
        "```json",
        json.dumps(raw, indent=1, default=str),
        "```",
        "</details>",
        "",
    ]
    text = "\n".join(lines)
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\nAppended by the scripts in benchmarks/ "
            "(see benchmarks/README.md). Newest last.\n"
        )
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(text)
        fcntl.flock(fh, fcntl.LOCK_UN)


def this_command() -> str:
    return "uv run python " + shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])


def strip_output(res: dict[str, Any], keep: int = 2000) -> dict[str, Any]:
    """A run's record for JSON output: the tails of stdout/stderr only."""
    out = dict(res)
    for k in ("stdout", "stderr"):
        if k in out:
            out[k] = out[k][-keep:]
    return out
