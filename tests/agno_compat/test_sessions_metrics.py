"""Agno's Sessions and Metrics pages and cookbook (05_state_and_session, 14_advanced/tool_call_metrics), ported."""

import pytest

from runwire.agent import Agent, RunOutput
from runwire.run import RunContext  # Agno: from agno.run import RunContext
from runwire.testing import ScriptedModel, ToolCall


def add_item(run_context: RunContext, item: str) -> str:
    """Add an item to the shopping list."""
    if run_context.session_state is None:
        run_context.session_state = {}

    run_context.session_state["shopping_list"].append(item)  # type: ignore
    return f"The shopping list is now {run_context.session_state['shopping_list']}"  # type: ignore


ADD = [[ToolCall("add_item", {"item": "milk"}), ToolCall("add_item", {"item": "eggs"})], "Added milk and eggs."]


# -- session_state_basic.py -----------------------------------------------------------------------
@pytest.mark.parametrize("with_db", [True, False])
def test_session_state_basic(model, db, with_db):
    agent = Agent(
        model=model(ADD),
        session_state={"shopping_list": []},
        db=db if with_db else None,
        tools=[add_item],
        markdown=True,
    )
    response: RunOutput = agent.run("Add milk and eggs to the shopping list")
    assert agent.get_session_state() == {"shopping_list": ["milk", "eggs"]}
    assert response.session_state == {"shopping_list": ["milk", "eggs"]}


def test_completed_event_carries_session_state_and_metadata():
    agent = Agent(model=ScriptedModel(ADD), session_state={"shopping_list": []}, tools=[add_item])
    events = list(agent.run("add", stream=True, stream_events=True))
    completed = events[-1]
    assert completed.event == "RunCompleted" and completed.session_state == {"shopping_list": ["milk", "eggs"]}
    assert completed.metadata is None


# -- the session id: made by the first run, reused after (Agno's default) -----------------------------
def test_first_run_names_the_session_and_history_is_kept(model, db):
    agent = Agent(model=model(["Hi Ann.", "You are Ann."]), db=db, add_history_to_context=True, store_events=True)
    assert agent.session_id is None
    first = agent.run("My name is Ann")
    second = agent.run("What is my name?")
    assert agent.session_id == first.session_id == second.session_id
    assert agent.get_last_run_output().run_id == second.run_id
    session = agent.get_session(agent.session_id)
    assert [r.run_id for r in session.runs] == [first.run_id, second.run_id]
    # Stored runs carry their events as they kept them (store_events=True skips RunContent by default).
    for run in session.runs:
        names = [e.event for e in run.events]
        assert names[0] == "RunStarted" and names[-1] == "RunCompleted" and "RunContent" not in names
    full = agent.get_run_events(second.run_id)  # the whole append-only log, RunContent included
    assert "RunContent" in [e.event for e in full]


def test_store_events_off_means_no_events_on_stored_runs(db):
    agent = Agent(model=ScriptedModel(["a"]), db=db)
    out = agent.run("x")
    assert out.events is None and agent.get_run_output(out.run_id).events is None
    assert agent.get_session(out.session_id).runs[0].events is None
    assert [e.event for e in agent.get_run_events(out.run_id)][-1] == "RunCompleted"


def test_events_to_skip_is_honoured_when_read_back(db):
    agent = Agent(model=ScriptedModel(["a b"]), db=db, store_events=True,
                  events_to_skip=["RunContent", "ModelRequestStarted", "ModelRequestCompleted"])
    out = agent.run("x")
    stored = agent.get_run_output(out.run_id)
    assert [e.event for e in stored.events] == [e.event for e in out.events]
    assert [e.event for e in stored.events] == ["RunStarted", "RunContentCompleted", "RunCompleted"]


# -- tool_call_metrics.py and the Metrics page --------------------------------------------------------
def get_stock_price(symbol: str) -> str:
    """The stock price of a symbol."""
    return {"AAPL": "190", "NVDA": "120"}[symbol]


def test_tool_call_metrics_and_model_details(model):
    script = [[ToolCall("get_stock_price", {"symbol": "AAPL"}), ToolCall("get_stock_price", {"symbol": "NVDA"})],
              "AAPL is 190, NVDA is 120."]
    agent = Agent(model=model(script), tools=[get_stock_price], markdown=True)
    run_output = agent.run("What is the stock price of AAPL and NVDA?")

    seen = []
    if run_output.tools:
        for tool_call in run_output.tools:
            if tool_call.metrics:
                seen.append((tool_call.tool_name, tool_call.metrics))
    assert [name for name, _ in seen] == ["get_stock_price", "get_stock_price"]
    for _, m in seen:
        assert m.start_time <= m.end_time and m.duration is not None and m.duration >= 0

    details = []
    if run_output.metrics and run_output.metrics.details:
        for model_type, model_metrics_list in run_output.metrics.details.items():
            for i, model_metrics in enumerate(model_metrics_list, 1):
                details.append((model_type, i, model_metrics.to_dict()))
    provider = "scripted" if isinstance(agent.model, ScriptedModel) else "openai"
    assert [(t, i, d["id"], d["provider"]) for t, i, d in details] == [
        ("model", 1, agent.get_model().id, provider), ("model", 2, agent.get_model().id, provider)]
    assert sum(d["input_tokens"] for _, _, d in details) == run_output.metrics.input_tokens > 0


def test_model_request_completed_carries_token_fields(model):
    agent = Agent(model=model(["Hello there friend."]))
    events = list(agent.run("hi", stream=True, stream_events=True))
    done = [e for e in events if e.event == "ModelRequestCompleted"][0]
    assert done.output_tokens == done.metrics.output_tokens > 0
    assert done.input_tokens == done.metrics.input_tokens > 0
    assert done.total_tokens == done.input_tokens + done.output_tokens
    assert done.time_to_first_token is not None


@pytest.mark.parametrize("with_db", [True, False])
def test_session_metrics_sum_the_runs(db, with_db):
    agent = Agent(model=ScriptedModel(["one two", "three four five"]), db=db if with_db else None)
    first, second = agent.run("a"), agent.run("b")
    session = agent.get_session_metrics()
    assert session.output_tokens == first.metrics.output_tokens + second.metrics.output_tokens == 5
    assert session.input_tokens == first.metrics.input_tokens + second.metrics.input_tokens
    (entry,) = session.details["model"]  # one entry per model, summed (as Agno's SessionMetrics)
    assert (entry.id, entry.provider, entry.output_tokens, entry.model_calls) == ("scripted", "scripted", 5, 2)


# -- memories ----------------------------------------------------------------------------------------
def test_memory_update_completed_carries_memory_objects(db):
    memory_model = ScriptedModel(['{"add": ["Ann likes tea"], "update": [], "delete": []}'])
    agent = Agent(model=ScriptedModel(["Noted."]), db=db, enable_user_memories=True, memory_model=memory_model)
    events = list(agent.run("I like tea", user_id="ann", stream=True, stream_events=True))
    (done,) = [e for e in events if e.event == "MemoryUpdateCompleted"]
    assert [(m.memory, m.user_id) for m in done.memories] == [("Ann likes tea", "ann")]
    assert done.memories[0].memory_id and isinstance(done.memories[0].topics, list)
    assert (done.memories[0].input, done.memories[0].agent_id) == ("I like tea", agent.id)
    back = type(done).from_dict(done.to_json_dict())
    assert back.memories[0].memory == "Ann likes tea"
