"""Plugin discovery: entry points, errors recorded not fatal, allow/deny lists, collisions, CLI."""

import json
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from runwire.agent import Agent
from runwire.exceptions import PluginError
from runwire.plugins import build_registry, get_registry, reset_registry
from runwire.run.agent import run_output_event_from_dict

FIXTURES = Path(__file__).parent / "fixture_plugins"


def eps(*names):
    return [EntryPoint(name, f"rw_{name}", "runwire") for name in names]


@pytest.fixture(autouse=True)
def fixture_path(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.delenv("RUNWIRE_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("RUNWIRE_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("RUNWIRE_STRICT_PLUGINS", raising=False)
    yield
    reset_registry(None)


def test_a_plugin_registers_models_tools_storage_memory_events_and_commands():
    registry = build_registry(eps("good"))
    info = registry.plugins["good"]
    assert info.error is None
    assert set(info.hooks) == {
        "runwire_register_models", "runwire_register_tools", "runwire_register_storage",
        "runwire_register_memory", "runwire_register_event_types", "runwire_register_commands",
    }
    assert info.registered == {"models": ["good"], "tools": ["shout"], "storage": ["memdb"], "memory": ["noop"],
                               "event_types": ["GoodEvent"], "commands": ["hello"]}
    assert "core" in registry.plugins and "scripted" in registry.models  # the core's own plugin, same path
    reset_registry(registry)
    out = Agent(model="good:m1").run("x")
    assert out.content == "good model m1" and out.model_provider == "scripted"
    from runwire.testing import ScriptedModel, ToolCall

    tool_out = Agent(model=ScriptedModel([[ToolCall("shout", {"text": "hi"})], "done"]), tools=["shout"]).run("x")
    assert tool_out.tools[0].result == "HI"
    assert registry.storage["memdb"]("memdb://x") == {"url": "memdb://x"}
    rebuilt = run_output_event_from_dict({"event": "CustomEvent", "event_class": "GoodEvent", "score": 7})
    assert type(rebuilt).__name__ == "GoodEvent" and rebuilt.score == 7


def test_broken_plugins_are_recorded_and_the_rest_works():
    with pytest.warns(RuntimeWarning) as warned:
        registry = build_registry(eps("broken_import", "broken_register", "misspelled", "good"))
    assert "import: ImportError: this plugin needs libfoo" in registry.plugins["broken_import"].error
    assert "register (runwire_register_tools): RuntimeError: registration blew up" in registry.plugins["broken_register"].error
    assert "runwire_register_tool" in registry.plugins["misspelled"].error
    assert "does not exist" in registry.plugins["misspelled"].error
    assert registry.plugins["good"].error is None and "shout" in registry.tools
    assert len(warned) == 3 and all("RUNWIRE_STRICT_PLUGINS=1" in str(w.message) for w in warned)


def test_a_hook_that_fails_partway_leaves_none_of_its_registrations(monkeypatch):
    with pytest.warns(RuntimeWarning, match="half_broken"):
        registry = build_registry(eps("half_broken", "good"))
    info = registry.plugins["half_broken"]
    assert "second tool needs libbar" in info.error
    assert "half_tool" not in registry.tools and ("tools", "half_tool") not in registry.owners
    assert "HalfEvent" not in registry.event_types
    assert "half_sink" in registry.sinks  # the hook that succeeded keeps its registration
    assert info.registered == {"sinks": ["half_sink"]}
    assert "shout" in registry.tools  # other plugins are untouched


def test_strict_mode_makes_plugin_errors_fatal(monkeypatch):
    monkeypatch.setenv("RUNWIRE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="'broken_import'.*failed to import: this plugin needs libfoo"):
        build_registry(eps("good", "broken_import"))


def test_load_and_disable_lists(monkeypatch):
    monkeypatch.setenv("RUNWIRE_LOAD_PLUGINS", "")
    registry = build_registry(eps("good"))
    assert registry.plugins["good"].skipped == "not in RUNWIRE_LOAD_PLUGINS" and "scripted" in registry.models
    monkeypatch.setenv("RUNWIRE_LOAD_PLUGINS", "good")
    assert "shout" in build_registry(eps("good", "colliding")).tools
    assert build_registry(eps("good", "colliding")).plugins["colliding"].skipped
    monkeypatch.delenv("RUNWIRE_LOAD_PLUGINS")
    monkeypatch.setenv("RUNWIRE_DISABLE_PLUGINS", "good")
    registry = build_registry(eps("good", "colliding"))
    assert registry.plugins["good"].skipped == "disabled by RUNWIRE_DISABLE_PLUGINS"
    assert registry.tools["shout"]("ABC") == "abc"


def test_name_collisions_keep_the_first_and_warn_naming_both():
    with pytest.warns(RuntimeWarning, match="plugin 'colliding' registers tools 'shout', already registered by plugin 'good'"):
        registry = build_registry(eps("good", "colliding"))
    assert registry.tools["shout"]("abc") == "ABC"
    assert "tools" not in registry.plugins["colliding"].registered


def test_discovery_runs_once_per_process():
    reset_registry(None)
    first = get_registry()
    Agent(model="scripted:hi").run("x")
    Agent(model="scripted:hi").run("y")
    assert get_registry() is first


def test_unknown_provider_lists_the_registered_ones():
    from runwire.exceptions import ModelNotFoundError

    reset_registry(build_registry(eps()))
    # a prefix that names no provider fails where the agent is written, not at its first run
    with pytest.raises(ModelNotFoundError, match=r"no model provider named 'nope' in 'nope:x' \(registered providers: .*scripted"):
        Agent(model="nope:x")
    with pytest.raises(ModelNotFoundError, match=r"Did you mean 'scripted' \(scripted:echo\)\?"):
        Agent(model="scriptd:echo")
    with pytest.raises(ModelNotFoundError, match="no model provider named 'scriptd'"):
        Agent(model="scripted:echo", parser_model="scriptd:echo")  # every model option is checked
    assert Agent(model="scripted:echo").run("hi").content == "hi"


def test_bare_ids_still_go_to_the_bare_id_provider():
    from runwire.exceptions import ModelNotFoundError

    reset_registry(build_registry(eps()))  # no provider serves bare ids here: the error says how to name one
    agent = Agent(model="gpt-4o-mini")  # no prefix: nothing to check at construction
    with pytest.raises(ModelNotFoundError, match=r"no model provider for 'gpt-4o-mini' \(registered providers"):
        agent.get_model()
    Agent(model="ollama/llama3:8b")  # a colon inside a provider-style id is not a runwire prefix


def _install(target: Path, *srcs: Path) -> dict:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), *map(str, srcs)], check=True, capture_output=True, timeout=300)
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(target) + os.pathsep + env.get("PYTHONPATH", "")
    return env


WALKTHROUGHS = Path(__file__).resolve().parent.parent / "examples" / "plugin_walkthrough"
WALKTHROUGH = WALKTHROUGHS / "runwire-weather"
TINYCHAT = WALKTHROUGHS / "runwire-tinychat"


def test_a_pip_installed_plugin_works_end_to_end_through_entry_points(tmp_path):
    env = _install(tmp_path / "site", WALKTHROUGH)
    listing = subprocess.run([sys.executable, "-m", "runwire.cli", "plugins", "--json"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    plugins = {p["name"]: p for p in json.loads(listing.stdout)}
    weather = plugins["weather"]
    assert weather["distribution"] == "runwire-weather" and weather["version"] == "0.1.0"
    assert weather["registered"] == {"tools": ["get_weather"], "sinks": ["console"], "event_types": ["StationRead"]}
    code = (
        "from runwire.agent import Agent\n"
        "from runwire.testing import ScriptedModel, ToolCall\n"
        "agent = Agent(model=ScriptedModel([[ToolCall('get_weather', {'city': 'Oslo'})], 'Done.']),\n"
        "              tools=['get_weather'], sinks=['console'])\n"
        "out = agent.run('weather?')\n"
        "print('RESULT', out.tools[0].result)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "RESULT Sunny, 21 °C in Oslo" in run.stdout
    assert "[console sink] RunStarted" in run.stderr and "[console sink] RunCompleted" in run.stderr
    assert "[console sink] CustomEvent" in run.stderr and "[console sink] finished run=" in run.stderr
    # the walkthrough's own tests pass against the installed distribution
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(WALKTHROUGH / "tests")],
                           env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert tests.returncode == 0 and "3 passed" in tests.stdout, tests.stdout + tests.stderr


def test_a_pip_installed_provider_tool_and_event_work_together_from_the_cli(tmp_path):
    from runwire.testing import ToolCall
    from runwire.testing.openai_stub import OpenAIStub

    env = _install(tmp_path / "site", WALKTHROUGH, TINYCHAT)
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    with OpenAIStub([[ToolCall("get_weather", {"city": "Oslo"})], "It is sunny in Oslo."]) as stub:
        env["TINYCHAT_BASE_URL"] = stub.url
        run = subprocess.run([sys.executable, "-m", "runwire.cli", "run", "Weather in Oslo?", "--model",
                              "tinychat:qwen2.5", "--tool", "get_weather", "--db", db, "--show-events"],
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert stub.requests[0].body["model"] == "qwen2.5"
        assert stub.requests[0].body["tools"][0]["function"]["name"] == "get_weather"
    lines = run.stdout.splitlines()
    assert "[CustomEvent] StationRead city='Oslo' station='oslo-central' temperature_c=21.0" in lines, run.stdout
    assert "It is sunny in Oslo." in lines and "[RunCompleted]" in lines, run.stdout
    run_id = run.stderr.split("runwire: run ", 1)[1].split()[0]
    # another process reads the stored run back: the custom event is its class again, with typed fields
    show = subprocess.run([sys.executable, "-m", "runwire.cli", "runs", "show", run_id[:8], "--db", db],
                          env=env, capture_output=True, text=True, timeout=120)
    assert show.returncode == 0, show.stderr
    assert "StationRead city='Oslo' station='oslo-central' temperature_c=21.0" in show.stdout, show.stdout
    # the provider walkthrough's own tests (the model conformance suite included) pass against the installed plugin
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TINYCHAT / "tests")],
                           env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert tests.returncode == 0 and "13 passed" in tests.stdout, tests.stdout + tests.stderr


def test_cli_lists_models_tools_and_runs_plugin_commands(capsys):
    from runwire.cli import main

    with pytest.warns(RuntimeWarning, match="broken_import"):
        registry = build_registry(eps("good", "broken_import") + [EntryPoint("tools", "runwire_tools.plugin", "runwire")])
    reset_registry(registry)
    assert main(["hello", "--times", "2"]) == 0
    assert "hello from good hello from good" in capsys.readouterr().out
    assert main(["models"]) == 0 and "good" in capsys.readouterr().out
    assert main(["tools"]) == 0 and "calculator" in capsys.readouterr().out
    assert main(["plugins"]) == 1  # a plugin failed: the listing says so, and so does the exit code
    listing = capsys.readouterr().out
    assert "broken_import" in listing and "ERROR import: ImportError: this plugin needs libfoo" in listing


def test_contributing_walkthroughs_show_the_tested_code():
    doc = (Path(__file__).resolve().parent.parent / "CONTRIBUTING.md").read_text()
    blocks = [block.split("\n", 1)[1] for block in doc.split("```")[1::2]]  # each fenced block, without its language
    shown = 0
    for plugin in (WALKTHROUGH, TINYCHAT):
        for path in [plugin / "pyproject.toml", *sorted((plugin / "src").rglob("*.py")), *sorted((plugin / "tests").rglob("*.py"))]:
            text = path.read_text()
            assert text in blocks, f"CONTRIBUTING.md does not show {path.relative_to(WALKTHROUGHS)} as it is"
            shown += 1
    assert shown == 6
