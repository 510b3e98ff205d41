"""Every example of the seed runs, on the scripted model, and prints what the seed says it prints."""

import subprocess
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent / "examples" / "seed"

EXPECTED = {
    "01_basic_execution.py": ["learned to smile"],
    "02_run_input.py": ["FADE IN"],
    "03_streaming.py": ["savanna went quiet"],
    "04_streaming_intermediate_steps.py": ["RunStarted", "RunContent", "RunCompleted"],
    "05_handling_events.py": ["Content: ruled", "Tool call started: ToolExecution(", "tool_name='get_lion_fact'"],
    "06_storing_events.py": ["chased its own tail", "RunStarted\n", "RunCompleted"],
    "07_events_to_skip.py": ["['ModelRequestStarted', 'RunContent'"],
    "08_custom_events.py": ["Custom event: John Doe <john.doe@example.com> 1234567890"],
    "09_user_and_session.py": ["john@example.com session_123"],
    "10_media.py": ["images sent: ['https://example.com/image.jpg']"],
    "11_async_agent.py": ["Async robots never wait.", "token by token"],
}


OTHER = {
    "human_in_the_loop.py": ["status: paused", "wants to call delete_file({'path': 'draft.txt'})",
                             "status: completed | draft.txt is gone."],
    "cancel_run.py": ["cancelled: True", "RunCancelled: took too long", "status: cancelled | kept"],
}


@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_examples_run(name):
    result = subprocess.run([sys.executable, str(SEED.parent / name)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for needle in OTHER[name]:
        assert needle in result.stdout, f"{needle!r} not in output of {name}:\n{result.stdout}"


def test_every_seed_example_is_listed():
    assert sorted(p.name for p in SEED.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_example_runs(name):
    result = subprocess.run([sys.executable, str(SEED / name)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for needle in EXPECTED[name]:
        assert needle in result.stdout, f"{needle!r} not in output of {name}:\n{result.stdout}"
    if name == "06_storing_events.py":  # RunContent is not stored by default
        assert "RunContent" not in result.stdout.split("╯", 1)[1].split()
