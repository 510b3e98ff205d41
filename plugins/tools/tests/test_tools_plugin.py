"""runwire-tools, used by name through its entry point, on real files."""

import os

import pytest

from runwire.agent import Agent
from runwire.exceptions import ToolArgumentsError
from runwire.testing import ScriptedModel, ToolCall
from runwire_tools import FileSearchProgress, calculator, current_datetime, file_tools
from runwire_tools.files import PathOutsideRootError


@pytest.mark.parametrize(
    "expression, result",
    [("2 + 3 * 4", "14"), ("(2 + 3) * 4 / sqrt(16)", "5"), ("2 ** 10", "1024"), ("-7 // 2", "-4"), ("round(pi, 2)", "3.14")],
)
def test_calculator_computes(expression, result):
    assert calculator(expression) == result


@pytest.mark.parametrize(
    "expression, message",
    [("__import__('os').system('true')", "unsupported expression"), ("1 / 0", "division by zero"),
     ("2 ** 99999999", "too large"), ("2 +", "not an arithmetic expression"), ("x + 1", "unsupported")],
)
def test_calculator_refuses_what_is_not_arithmetic(expression, message):
    with pytest.raises(ValueError, match=message):
        calculator(expression)


def test_current_datetime_and_bad_zone():
    assert "UTC" in current_datetime() and "T" in current_datetime("Europe/Paris")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        current_datetime("Mars/Olympus")


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("alpha needle")
    (root / "b.txt").write_text("beta")
    (tmp_path / "secret.txt").write_text("top secret needle")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    os.symlink(tmp_path, root / "escape")
    os.symlink(root / "b.txt", root / "inside.txt")
    return root


def test_file_tools_read_and_list_under_the_root(tree):
    read_file, list_files, _ = file_tools(tree)
    assert read_file("docs/a.txt") == "alpha needle"
    assert read_file("inside.txt") == "beta"  # a symlink that stays inside is fine
    assert list_files() == ["b.txt", "docs/", "escape/", "inside.txt", "leak.txt"]
    assert read_file("docs/a.txt", max_bytes=5) == "alpha\n[... truncated]"


@pytest.mark.parametrize("path, why", [("../secret.txt", "contains '..'"), ("/etc/passwd", "absolute path"),
                                       ("leak.txt", "through a symlink"), ("escape/secret.txt", "through a symlink")])
def test_file_tools_refuse_paths_leaving_the_root(tree, path, why):
    read_file, list_files, _ = file_tools(tree)
    with pytest.raises(PathOutsideRootError, match=why):
        read_file(path)


def test_agent_uses_the_tools_by_name_and_sees_refusals(tree, monkeypatch):
    monkeypatch.setenv("RUNWIRE_TOOLS_ROOT", str(tree))
    model = ScriptedModel([
        [ToolCall("calculator", {"expression": "6 * 7"}), ToolCall("read_file", {"path": "../secret.txt"}),
         ToolCall("search_files", {"text": "needle"})],
        "The answer is 42.",
    ])
    agent = Agent(model=model, tools=["calculator", "read_file", "search_files"], store_events=True)
    stream = agent.run("go", stream=True, stream_events=True)
    events = list(stream)
    out = stream.run_output
    results = {t.tool_name: t for t in out.tools}
    assert results["calculator"].result == "42"
    assert results["read_file"].tool_call_error and "contains '..'" in results["read_file"].error
    assert results["search_files"].result == "docs/a.txt"  # not the secret behind the symlinks
    progress = [e for e in events if isinstance(e, FileSearchProgress)]
    assert progress and progress[-1].done and progress[-1].matches == 1
    assert progress[-1].tool_call_id == results["search_files"].tool_call_id
    assert "secret" not in out.content


def test_search_reports_progress_while_it_works(tmp_path):
    for i in range(60):
        (tmp_path / f"f{i:02}.txt").write_text("needle" if i % 20 == 0 else "hay")
    *_, search = file_tools(tmp_path, progress_every=25)
    items = list(search.fn("needle"))
    progress = [i for i in items if isinstance(i, FileSearchProgress)]
    assert [p.files_scanned for p in progress] == [25, 50, 60] and progress[-1].matches == 3
    assert items[-1].splitlines() == ["f00.txt", "f20.txt", "f40.txt"]


def test_tool_arguments_are_validated():
    with pytest.raises(ToolArgumentsError, match="expression"):
        calculator.validate({})
