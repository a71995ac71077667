"""docs/cli.md is the commands' own help (outages/clidoc.py), never a hand-kept copy."""

from __future__ import annotations

from outages import clidoc


def test_the_command_reference_is_current() -> None:
    assert clidoc.DOC.exists(), "run `uv run python -m outages.clidoc`"
    assert clidoc.DOC.read_text() == clidoc.render(), "run `uv run python -m outages.clidoc`"


def test_the_reference_covers_every_command_and_option() -> None:
    text = clidoc.render()
    for command in ("outages crawl", "outages build", "outages sql", "outages watch"):
        assert f"## {command}\n" in text
    assert "--replay" in text and "--data-dir" in text


def test_the_reference_does_not_depend_on_where_the_project_is() -> None:
    assert str(clidoc.DOC.parents[1]) not in clidoc.render()
