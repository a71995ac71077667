"""`outages serve`: the Streamlit options of the public server (issue 19)."""

from __future__ import annotations

from streamlit import config

from outages.cli import SERVE_OPTIONS, serve_command


def test_serve_options_are_streamlit_options_with_valid_values() -> None:
    """A renamed or retyped option would make `streamlit run` refuse to start, or be ignored."""
    options = config.get_config_options()
    for name, value in SERVE_OPTIONS.items():
        assert name in options, f"Streamlit has no option {name}"
        option = options[name]
        default = option.default_val
        if isinstance(default, bool):
            assert value in ("true", "false"), (name, value)
        if name == "server.fileWatcherType":
            assert value in ("auto", "watchdog", "poll", "none")


def test_serve_command_turns_off_the_per_session_watcher_and_the_gc_after_each_run() -> None:
    command = serve_command(8765, "0.0.0.0")
    pairs = dict(zip(command[5::2], command[6::2], strict=True))
    assert command[2:4] == ["streamlit", "run"]
    assert pairs["--server.port"] == "8765"
    assert pairs["--server.address"] == "0.0.0.0"
    assert pairs["--server.fileWatcherType"] == "none"
    assert pairs["--runner.postScriptGC"] == "false"
    assert pairs["--client.toolbarMode"] == "viewer"
