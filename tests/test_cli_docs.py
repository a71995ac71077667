"""docs/cli.md is the commands' own help and the README's table of sources is the spiders'
own metadata (outages/clidoc.py), never hand-kept copies."""

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


def test_the_readme_lists_every_source_as_it_declares_itself() -> None:
    from crawlers.registry import spider_classes

    readme = clidoc.README.read_text()
    assert readme == clidoc.render_readme(readme), "run `uv run python -m outages.clidoc`"
    table = readme.split(clidoc.TABLE_START, 1)[1].split(clidoc.TABLE_END, 1)[0]
    for spider in spider_classes():
        assert f"| `{spider.name}` | {spider.source_kind} |" in table


def test_a_readme_without_the_table_markers_is_an_error() -> None:
    import pytest

    with pytest.raises(ValueError, match="sources table"):
        clidoc.render_readme("# no table here\n")


def test_the_deploy_page_lists_every_source_with_its_cadence() -> None:
    from crawlers.registry import spider_classes

    deploy = clidoc.DEPLOY.read_text()
    assert deploy == clidoc.render_deploy(deploy), "run `uv run python -m outages.clidoc`"
    table = deploy.split(clidoc.CADENCE_START, 1)[1].split(clidoc.CADENCE_END, 1)[0]
    for spider in spider_classes():
        assert f"| `{spider.name}` | {clidoc._every(spider.cadence_minutes)} |" in table
