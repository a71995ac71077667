"""docs/cli.md, the command reference, generated from the click commands.

    uv run python -m outages.clidoc          # rewrite docs/cli.md
    uv run python -m outages.clidoc --check  # exit 1 when docs/cli.md is stale

tests/test_cli_docs.py runs the check, so a changed option fails the suite until the page is
regenerated.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from outages.cli import main as outages_main

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
HEADER = """# Command reference

Generated from the commands themselves by `uv run python -m outages.clidoc`; do not edit by
hand (tests/test_cli_docs.py fails when this page is stale). `./run COMMAND ...` runs
`outages COMMAND ...` in the project's environment.
"""


def _commands(group: click.Group, ctx: click.Context, prefix: str) -> list[tuple[str, str]]:
    """(full name, help text) of every command, groups first, in name order."""
    found = []
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        full = f"{prefix} {name}"
        sub = click.Context(command, info_name=name, parent=ctx)
        found.append((full, command.get_help(sub)))
        if isinstance(command, click.Group):
            found += _commands(command, sub, full)
    return found


def render() -> str:
    ctx = click.Context(
        outages_main, info_name="outages", terminal_width=100, max_content_width=100
    )
    parts = [HEADER, "## outages\n", "```text\n" + outages_main.get_help(ctx) + "\n```\n"]
    for full, help_text in _commands(outages_main, ctx, "outages"):
        parts.append(f"## {full}\n\n```text\n{help_text}\n```\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC} is stale: run `uv run python -m outages.clidoc`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
