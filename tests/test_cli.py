"""The ``runwire`` command line as a new user meets it: version, help, stored runs, errors, events."""

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from runwire import Agent, CustomEvent, tool
from runwire.cli import _print_events, build_parser, main
from runwire.testing import ScriptedModel, ToolCall

RUNWIRE = Path(sys.executable).with_name("runwire")


@pytest.fixture(autouse=True)
def _fresh(runwire_registry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNWIRE_DB", raising=False)
    monkeypatch.delenv("RUNWIRE_DEBUG", raising=False)


def test_version_from_the_installed_script():
    from runwire import __version__

    out = subprocess.run([str(RUNWIRE), "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == f"runwire {__version__}"


def test_every_command_and_option_has_help():
    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help for a in action._choices_actions}
                for name, sub in action.choices.items():
                    if not helps.get(name):
                        missing.append(f"{path} {name}")
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "runwire")
    assert missing == []


def _run_ids(capsys) -> list[str]:
    assert main(["sessions"]) == 0
    line = capsys.readouterr().out.strip()
    return [part.split()[0] for part in line.split("runs: ", 1)[1].split(", ")]


def test_run_stores_in_a_session_that_sessions_lists_and_runs_show_finds_by_prefix(capsys, monkeypatch):
    db = "sqlite:///cli.db"
    assert main(["run", "first", "-m", "scripted:echo", "--db", db, "--session", "s1"]) == 0
    err = capsys.readouterr().err
    assert "in session s1 stored in sqlite:///cli.db" in err
    monkeypatch.setenv("RUNWIRE_DB", db)  # honoured by run as by sessions and runs
    assert main(["run", "second", "-m", "scripted:echo", "--session", "s1"]) == 0
    capsys.readouterr()
    short = _run_ids(capsys)
    assert len(short) == 2 and all(len(s) == 8 for s in short)
    assert main(["runs", "show", short[0]]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"run {short[0]}") and "session s1" in shown and "RunCompleted" in shown
    common = os.path.commonprefix(short)  # a prefix both runs share (maybe empty): ambiguous
    assert main(["runs", "show", common]) == 1
    err = capsys.readouterr().err
    assert f"run id prefix {common!r} is ambiguous: it starts 2 runs" in err and "give more characters" in err
    assert main(["runs", "show", "zzzz"]) == 1
    assert "no run 'zzzz' (or starting so) in sqlite:///cli.db" in capsys.readouterr().err


def test_sessions_in_an_empty_folder_creates_no_database(capsys, tmp_path):
    assert main(["sessions"]) == 0
    assert "no sessions: there is no database at sqlite:///runwire.db" in capsys.readouterr().err
    assert main(["runs", "show", "abc"]) == 1
    assert "there is no database" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_errors_are_one_line_without_traceback_in_every_command(capsys):
    assert main(["sessions", "--db", "nosuch://x"]) == 2
    err = capsys.readouterr().err
    assert "runwire: LookupError: no storage backend for nosuch:// URLs" in err and "Traceback" not in err
    assert main(["run", "hi", "-m", "scriptd:echo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runwire: ModelNotFoundError: no model provider named 'scriptd'") and "Did you mean" in err
    assert main(["runs", "recover", "--db", "nosuch://x"]) == 2
    assert "no storage backend" in capsys.readouterr().err


def test_show_events_prints_one_line_per_event_with_custom_event_fields(capsys):
    @dataclass
    class Fetched(CustomEvent):
        url: str = ""
        size: int = 0

    @tool
    def fetch(url: str):
        """Fetch a page."""
        yield Fetched(url=url, size=42)
        yield "page text"

    agent = Agent(model=ScriptedModel([[ToolCall("fetch", {"url": "https://example.com"})], "All done."]),
                  tools=[fetch])
    assert _print_events(agent.run("go", stream=True, stream_events=True)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[RunStarted]"
    assert '[ToolCallStarted] fetch({"url": "https://example.com"})' in lines
    assert "[CustomEvent] Fetched url='https://example.com' size=42" in lines
    assert '[ToolCallCompleted] fetch({"url": "https://example.com"}) -> page text' in lines
    assert "All done." in lines  # the answer's text on a line of its own, apart from the markers
    assert lines[-1] == "[RunCompleted]"


def test_runs_show_in_another_process_prints_a_custom_event_of_a_class_it_does_not_know(tmp_path):
    """An application's own event class (defined in its script, never registered) is shown by `runwire runs show`
    in another process with its stored class name and fields, not as a bare CustomEvent."""
    @dataclass
    class StationRead(CustomEvent):
        station: str = ""
        celsius: float = 0.0

    def get_weather(city: str):
        """Get the weather."""
        yield StationRead(station=f"{city}-central", celsius=11.5)
        yield f"rain in {city}"

    db = f"sqlite:///{tmp_path / 'runs.db'}"
    agent = Agent(model=ScriptedModel([ToolCall("get_weather", {"city": "Oslo"}), "Rain."]), tools=[get_weather], db=db)
    run_id = agent.run("weather?").run_id
    agent.close()
    show = subprocess.run([str(RUNWIRE), "runs", "show", run_id[:8], "--db", db], capture_output=True, text=True,
                          timeout=120)
    assert show.returncode == 0, show.stderr
    assert "StationRead station='Oslo-central' celsius=11.5" in show.stdout, show.stdout
