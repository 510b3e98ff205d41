"""runwire-llamacpp on the real Gemma 3 270M model: short outputs, a few tests."""

import asyncio

import pytest

from runwire.agent import Agent
from runwire.exceptions import ModelError, RunFailedError
from runwire.testing.events import event_names
from runwire_llamacpp import LlamaCpp

pytestmark = pytest.mark.llamacpp


def small(**kwargs):
    return LlamaCpp(max_tokens=kwargs.pop("max_tokens", 12), temperature=0.0, **kwargs)


def test_the_embedded_default_is_used_when_no_model_is_named():
    model = Agent().get_model()
    assert isinstance(model, LlamaCpp) and model.name == "llamacpp:gemma-3-270m"
    assert isinstance(Agent(model="llamacpp:gemma-3-270m").get_model(), LlamaCpp)


def test_streams_real_tokens_with_usage_and_timing():
    agent = Agent(model=small(), store_events=True, events_to_skip=[])
    stream = agent.run("Once upon a time", stream=True, stream_events=True)
    events = list(stream)
    out = stream.run_output
    chunks = [e.content for e in events if e.event == "RunContent"]
    assert len(chunks) >= 3 and "".join(chunks) == out.content and out.content.strip()
    assert event_names(events)[0] == "RunStarted" and event_names(events)[-1] == "RunCompleted"
    assert out.metrics.output_tokens == 12 and out.metrics.input_tokens > 0
    assert 0 < out.metrics.time_to_first_token < out.metrics.duration


def test_a_stream_consumer_sees_each_token_while_the_rest_is_still_being_generated():
    agent = Agent(model=small(max_tokens=24))
    llm, _ = small().load()
    generated_by_first = None
    stream = agent.run("Once upon a time", stream=True)
    for event in stream:
        if event.event == "RunContent" and generated_by_first is None:
            generated_by_first = llm.n_tokens  # prompt + tokens evaluated so far, read while generation runs
    out = stream.run_output
    assert out.metrics.output_tokens == 24
    # handed over as generated (not batched to the end): at most a few tokens ahead of the consumer
    assert generated_by_first - out.metrics.input_tokens < 12


def test_an_error_in_the_generating_thread_fails_the_run_and_frees_the_model():
    with pytest.raises(RunFailedError, match=r"llamacpp:gemma-3-270m failed: ValueError: Requested tokens .* exceed context"):
        Agent(model=small()).run("word " * 2100)  # longer than the 2048-token context
    assert Agent(model=small(max_tokens=3)).run("Hi").status == "completed"


def test_max_tokens_and_stop_sequences_are_honoured():
    greedy = Agent(model=small(max_tokens=40)).run("Count: one, two, three,")
    assert greedy.metrics.output_tokens <= 40
    word = greedy.content.split()[0] if greedy.content.split() else None
    if word:
        stopped = Agent(model=small(max_tokens=40, stop=[word])).run("Count: one, two, three,")
        assert word not in stopped.content


async def test_concurrent_runs_share_one_model_safely():
    agent = Agent(model=small(max_tokens=6))
    outs = await asyncio.gather(*(agent.arun(f"Story {i}:") for i in range(3)))
    assert all(o.status == "completed" and o.metrics.output_tokens == 6 for o in outs)
    assert LlamaCpp(max_tokens=6).load()[0] is small().load()[0]  # loaded once per process


def test_cancel_stops_generation_between_tokens():
    agent = Agent(model=small(max_tokens=200))
    stream = agent.run("Tell me a long story", stream=True)
    received = 0
    for event in stream:
        if event.event == "RunContent":
            received += 1
            if received == 3:
                assert agent.cancel_run(stream.run_id)
        if event.event == "RunCancelled":
            break
    out = stream.run_output
    assert out.status == "cancelled" and out.cancel_reason
    assert received <= 4 and len(out.content) > 0  # the partial answer is kept
    # the model is free again straight away
    assert Agent(model=small(max_tokens=3)).run("Hi").status == "completed"


def test_tools_on_a_model_that_cannot_call_them_fail_clearly():
    def ping() -> str:
        return "pong"

    with pytest.raises(RunFailedError, match="cannot call tools"):
        Agent(model=small(), tools=[ping]).run("ping")


def test_unknown_model_names_say_what_is_accepted():
    with pytest.raises(ModelError, match="neither a known model .*gemma-3-270m.* nor a .gguf file"):
        Agent(model="llamacpp:no-such-model").get_model()
    with pytest.raises(RunFailedError, match="no GGUF file at"):
        Agent(model=LlamaCpp(path="/nonexistent/model.gguf")).run("x")


def test_grammar_constrained_tool_call_with_a_function_calling_format():
    from runwire.tools import tool

    @tool(stop_after_tool_call=True)  # a 270M base model would keep calling it: the result is the answer
    def get_weather(city: str) -> str:
        """Get the weather in a city."""
        return f"sunny in {city}"

    model = LlamaCpp(chat_format="chatml-function-calling", max_tokens=48, temperature=0.0)
    agent = Agent(model=model, tools=[get_weather], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    out = agent.run("What is the weather in Paris?")
    assert out.status == "completed"
    assert out.tools[0].tool_name == "get_weather" and out.tools[0].tool_args == {"city": "Paris"}
    assert out.tools[0].result == "sunny in Paris" and out.content == "sunny in Paris"


def test_media_to_the_text_only_model_is_an_error_not_silently_dropped():
    from runwire.media import Image

    with pytest.raises(RunFailedError, match=r"llamacpp:gemma-3-270m takes text only, so the run's images would be dropped"):
        Agent(model=small()).run("what is this?", images=[Image(url="https://example.com/cat.png")])


def test_the_bundled_gguf_is_assembled_and_hashed_once_per_process_not_per_run(monkeypatch):
    from runwire_llamacpp import model as module

    assembled = []
    real = module._assemble
    monkeypatch.setattr(module, "_assemble", lambda name: assembled.append(name) or real(name))
    monkeypatch.setattr(module, "_known_paths", {})
    agent = Agent(model=small(max_tokens=2))
    assert agent.run("Hi").status == "completed" and agent.run("Hi").status == "completed"
    assert assembled == ["gemma-3-270m"]  # the check reads all 250 MB: it once cost every run 0.2-1.5 s


def test_the_first_load_shows_progress_on_a_terminal(monkeypatch, capsys):
    import io
    import sys

    from runwire_llamacpp import model as module

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with module._progress("loading gemma into llama.cpp (first use in this process)"):
        pass
    assert "loading gemma into llama.cpp" in terminal.getvalue()
    quiet = io.StringIO()  # not a terminal (a log file, CI): nothing is drawn
    monkeypatch.setattr(sys, "stderr", quiet)
    with module._progress("loading"):
        pass
    assert quiet.getvalue() == ""
