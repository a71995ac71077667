"""Every `OUTAGES_*` environment setting is read through warehouse/settings.py and named in
docs/deploy.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warehouse.settings import SETTINGS, setting

ROOT = Path(__file__).resolve().parents[1]
CODE = [
    p
    for pkg in ("crawlers", "warehouse", "webapp", "outages")
    for p in (ROOT / pkg).rglob("*.py")
    if p != ROOT / "warehouse" / "settings.py"
] + [ROOT / "app.py"]
# A read: environ.get("X"), getenv("X"), environ["X"] (not an assignment to it).
ENV_READ = re.compile(
    r"""(?:environ\.get\(|getenv\()\s*["'](OUTAGES_\w+)|environ\[\s*["'](OUTAGES_\w+)["']\](?!\s*=)"""
)


def test_no_module_reads_an_outages_setting_on_its_own() -> None:
    reads = [
        f"{p.relative_to(ROOT)}: {''.join(m)}"
        for p in CODE
        for m in ENV_READ.findall(p.read_text())
    ]
    assert not reads


def test_every_setting_is_documented() -> None:
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert [name for name in SETTINGS if f"`{name}`" not in deploy] == []


def test_a_setting_is_parsed_or_falls_back_to_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTAGES_PARSE_WORKERS", "3")
    assert setting("OUTAGES_PARSE_WORKERS") == 3
    monkeypatch.setenv("OUTAGES_PARSE_WORKERS", "many")
    assert setting("OUTAGES_PARSE_WORKERS") == SETTINGS["OUTAGES_PARSE_WORKERS"].default
    monkeypatch.setenv("OUTAGES_DEBUG", "0")
    assert setting("OUTAGES_DEBUG") is False
