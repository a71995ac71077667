"""Where the per-alert parsing time goes, and what a single-pass CAP reader would save.

    uv run python benchmarks/bench_parse.py --cap benchmarks/out/1m/cap [--sample 20000]

Evidence for the ingest profile (not one of the six benchmarks): on a sample of the
generated messages, in one process and in interleaved rounds, times per message
- bare `etree.fromstring` (the lower bound of bench_ingest),
- `crawlers.spiders.formats.cap.parse_cap` as the spider calls it (on the str of the JSON),
- `parse_cap_single_pass` below: the same `CapAlert`, from one walk over the children
  with `datetime.fromisoformat` for times (checked field by field against `parse_cap`),
- `alert_report` and `classify_alert` on top (the rest of the per-alert work before the
  pipelines),
- the time parsers alone: `dateutil.parser.isoparse` (what parse_time uses) and
  `datetime.fromisoformat`.
Prints JSON (microseconds per message, messages per second).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib as bl  # noqa: E402


def load_sample(cap_dir: Path, n: int) -> list[str]:
    """About n messages spread over the whole history (every k-th page file)."""
    files = sorted(cap_dir.rglob("*.capbatch"))
    total = sum(p.stat().st_size for p in files)
    fraction = min(1.0, n / max(1, total / 7700))  # ~7.7 KB per generated message
    step = max(1, int(1 / fraction))
    out: list[str] = []
    for path in files[::step]:
        out += [m.decode("utf-8") for m in path.read_bytes().split(b"\0")]
    return out[:n]


def make_single_pass():
    """A CAP reader that walks each level of the tree once, compares full tag strings
    (no per-call ElementPath, no localname splitting) and parses times with
    datetime.fromisoformat. It returns the same CapAlert as parse_cap (checked below)."""
    from lxml import etree

    from crawlers.spiders.formats import cap as capmod

    CapAlert, CapParseError = capmod.CapAlert, capmod.CapParseError  # noqa: N806
    from crawlers.spiders.formats.xml import XML_PARSER as parser

    decl = re.compile(r"\A\ufeff?\s*<\?xml\b[^>]*\?>")
    refs_re = re.compile(r"\S+")
    tags_by_prefix: dict[str, dict[str, str]] = {}
    names = (
        "identifier",
        "sender",
        "sent",
        "status",
        "msgType",
        "note",
        "references",
        "info",
        "language",
        "event",
        "senderName",
        "headline",
        "description",
        "instruction",
        "effective",
        "onset",
        "expires",
        "eventCode",
        "area",
        "areaDesc",
        "geocode",
        "valueName",
        "value",
    )

    def when(value):
        if not value:
            return None
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            return capmod.parse_time(value)  # rare forms: fall back to dateutil
        return t if t.tzinfo else None

    def text(el):
        t = el.text
        return t.strip() if t is not None else None

    def parse(xml):
        if isinstance(xml, str):
            if xml[:40].lstrip("\ufeff \t\r\n").startswith("<?xml"):
                xml = decl.sub("", xml, count=1)
            data = xml.encode("utf-8")
        else:
            data = xml
        try:
            root = etree.fromstring(data, parser=parser)
        except etree.XMLSyntaxError as exc:
            raise CapParseError(f"malformed XML: {exc}") from exc
        if root is None:
            raise CapParseError("not a CAP <alert> document")
        tag = root.tag
        prefix = tag[: tag.index("}") + 1] if isinstance(tag, str) and tag[:1] == "{" else ""
        if tag != prefix + "alert":
            raise CapParseError("not a CAP <alert> document")
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise CapParseError("a DOCTYPE is not allowed in CAP")
        t = tags_by_prefix.get(prefix)
        if t is None:
            t = tags_by_prefix[prefix] = {prefix + n: n for n in names}
        get = t.get
        top, infos = {}, []
        for child in root:
            name = get(child.tag)
            if name == "info":
                infos.append(child)
            elif name and name not in top:
                top[name] = text(child)
        identifier, sender, sent_raw = top.get("identifier"), top.get("sender"), top.get("sent")
        if not (identifier and sender and sent_raw):
            raise CapParseError("CAP alert lacks identifier, sender or sent")
        alert = CapAlert(
            identifier=identifier,
            sender=sender,
            sent_raw=sent_raw,
            sent=when(sent_raw),
            status=top.get("status"),
            msg_type=top.get("msgType"),
            note=top.get("note"),
            references=refs_re.findall(top.get("references") or ""),
        )
        chosen = None
        fields: dict = {}
        for info in infos:
            f, areas, codes = {}, [], []
            for c in info:
                name = get(c.tag)
                if name == "area":
                    areas.append(c)
                elif name == "eventCode":
                    codes.append(c)
                elif name and name not in f:
                    f[name] = text(c)
            if (f.get("language") or "en-US").lower().startswith("en"):
                chosen, fields = (info, areas, codes), f
                break
            if chosen is None:
                chosen, fields = (info, areas, codes), f
        if chosen is None:
            return alert
        _, areas, codes = chosen
        f = fields
        alert.event, alert.sender_name = f.get("event"), f.get("senderName")
        alert.headline, alert.description = f.get("headline"), f.get("description")
        alert.instruction = f.get("instruction")
        alert.effective, alert.onset = when(f.get("effective")), when(f.get("onset"))
        alert.expires = when(f.get("expires"))

        def pair(node):
            kind = value = None
            for c in node:
                name = get(c.tag)
                if name == "valueName" and kind is None:
                    kind = text(c)
                elif name == "value" and value is None:
                    value = text(c)
            return (kind or "").upper(), value

        for code in codes:
            kind, value = pair(code)
            if kind == "SAME" and value:
                alert.event_code = value.upper()
        descs = []
        for area in areas:
            d = None
            for c in area:
                name = get(c.tag)
                if name == "areaDesc":
                    if d is None:
                        d = text(c)
                elif name == "geocode":
                    kind, value = pair(c)
                    if not value:
                        continue
                    if kind == "SAME":
                        alert.same_codes.append(value)
                    elif kind == "UGC":
                        alert.ugc_codes.append(value)
            if d:
                descs.append(d)
        alert.area_desc = "; ".join(descs) or None
        return alert

    return parse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cap", type=Path, required=True)
    ap.add_argument("--sample", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    bl.add_code_args(ap)
    args = ap.parse_args()
    bl.use_code(args.code.resolve() if args.code else None)

    from dateutil import parser as dateparser
    from lxml import etree

    from crawlers.classify import classify_alert
    from crawlers.spiders.formats.cap import alert_report, parse_cap
    from crawlers.spiders.formats.xml import XML_PARSER as _PARSER

    msgs = load_sample(args.cap.resolve(), args.sample)
    single = make_single_pass()
    mismatches = sum(parse_cap(m) != single(m) for m in msgs)
    alerts = [parse_cap(m) for m in msgs]
    reports = [alert_report(a, source="openfema_ipaws", source_url="u", meta={}) for a in alerts]
    times = [t for m in msgs for t in re.findall(r"<(?:sent|effective|onset|expires)>([^<]+)<", m)]
    encoded = [m.encode("utf-8") for m in msgs]

    stages = {
        "lxml fromstring (bytes)": lambda: [etree.fromstring(b, _PARSER) for b in encoded],
        "parse_cap (current)": lambda: [parse_cap(m) for m in msgs],
        "parse_cap single pass (prototype)": lambda: [single(m) for m in msgs],
        "alert_report": lambda: [
            alert_report(a, source="openfema_ipaws", source_url="u", meta={}) for a in alerts
        ],
        "classify_alert": lambda: [classify_alert(r["alert_text"]) for r in reports],
        "dateutil isoparse (per time value)": lambda: [dateparser.isoparse(t) for t in times],
        "datetime.fromisoformat (per time value)": lambda: [
            datetime.fromisoformat(t) for t in times
        ],
    }
    best: dict[str, float] = {k: float("inf") for k in stages}
    for _ in range(args.rounds):
        for name, fn in stages.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    out = {
        "messages": len(msgs),
        "time_values": len(times),
        "rounds": args.rounds,
        "single_pass_mismatches": mismatches,
        "stages": {},
    }
    for name, seconds in best.items():
        n = len(times) if "per time value" in name else len(msgs)
        out["stages"][name] = {
            "us_per_item": round(seconds / n * 1e6, 1),
            "items_per_s": round(n / seconds),
        }
    out["machine"] = bl.machine()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
