"""Mistakes a new user makes fail where they are written, with a message that says what to do."""

import socket
import warnings
from dataclasses import dataclass

import pytest

from runwire import Agent, CustomEvent, Image, tool
from runwire.exceptions import ToolDefinitionError
from runwire.run.input import input_to_messages
from runwire.testing import ScriptedModel, ToolCall


def test_tool_parameter_without_json_schema_fails_at_tool_naming_tool_parameter_and_fix():
    with pytest.raises(ToolDefinitionError) as info:
        @tool
        def send(sock: socket.socket, data: str) -> None:
            """Send data."""
    message = str(info.value)
    assert "tool 'send'" in message and "parameter 'sock'" in message and "no JSON schema" in message
    assert "Use a JSON type" in message


def test_plain_function_with_bad_parameter_fails_at_agent_construction():
    def connect(sock: socket.socket) -> str:
        """Connect."""
        return "ok"

    with pytest.raises(ToolDefinitionError, match="tool 'connect': parameter 'sock'"):
        Agent(model=ScriptedModel(["x"]), tools=[connect])


def test_a_bad_function_fails_at_every_construction_and_an_unhashable_callable_tool_still_works():
    """Agent(...) remembers functions that passed its check; one that failed fails again, and a callable object
    that cannot be hashed (eq without hash) is still accepted, not refused with a TypeError."""
    def connect(sock: socket.socket) -> str:
        """Connect."""
        return "ok"

    for _ in range(2):
        with pytest.raises(ToolDefinitionError, match="tool 'connect': parameter 'sock'"):
            Agent(model=ScriptedModel(["x"]), tools=[connect])

    class Lookup:
        __name__ = "lookup"

        def __eq__(self, other: object) -> bool:
            return self is other

        def __call__(self, city: str) -> str:
            """Look up a city."""
            return f"found {city}"

    agent = Agent(model=ScriptedModel([ToolCall("lookup", {"city": "Oslo"}), "done"]), tools=[Lookup()])
    assert agent.run("go").tools[0].result == "found Oslo"


def test_tool_without_docstring_or_hints_warns_once():
    with pytest.warns(UserWarning) as record:
        @tool
        def shout(text):
            return text.upper()
    messages = [str(w.message) for w in record]
    assert any("tool 'shout': parameters text have no type hints" in m for m in messages)
    assert any("tool 'shout' has no docstring" in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tool(shout.fn)  # already warned about in this process

        def quiet(text: str) -> str:
            return text

        tool(description="Say it quietly.")(quiet)  # the description stands in for the docstring
    # a described, annotated tool warns about nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        @tool
        def whisper(text: str) -> str:
            """Lower the text."""
            return text.lower()


def test_custom_event_without_dataclass_says_so():
    class Progress(CustomEvent):
        step: int = 0

    with pytest.raises(TypeError, match=r"Progress subclasses CustomEvent but is not a dataclass.*put @dataclass above"):
        Progress(step=1)

    @dataclass
    class Fine(CustomEvent):
        step: int = 0

    assert Fine(step=2).step == 2

    class NoFields(CustomEvent):  # adds no fields: nothing is lost, so nothing to say
        pass

    NoFields()


def test_custom_event_registered_without_dataclass_fails_at_registration():
    from runwire.plugins import Registry

    class Bare(CustomEvent):
        level: str = "info"

    registry = Registry()
    register = registry.registrar("event_types", "demo")  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="Bare subclasses CustomEvent but is not a dataclass"):
        register(Bare)


def test_image_url_strings_become_images_and_other_strings_are_refused():
    [message] = input_to_messages("what is this?", images=["https://example.com/cat.png"])
    assert message.images is not None
    [image] = message.images
    assert isinstance(image, Image) and image.url == "https://example.com/cat.png" and image.mime_type == "image/png"
    with pytest.raises(TypeError, match=r"images= takes Image objects, got str 'cat.png': write Image\(url="):
        input_to_messages("what is this?", images=["cat.png"])
    agent = Agent(model=ScriptedModel(["a cat"]))
    with pytest.raises(TypeError, match=r"Image\(filepath='path/to/file'\)"):
        agent.run("what is this?", images=["cat.png"])


def test_a_run_with_a_url_string_image_reaches_the_model_as_an_image():
    model = ScriptedModel(["a cat"])
    out = Agent(model=model).run("what is this?", images=["https://example.com/cat.png"])
    assert out.content == "a cat"
    sent = model.requests[-1].messages[-1]
    assert [i.url for i in sent.images] == ["https://example.com/cat.png"]
    assert out.images == sent.images and isinstance(out.images[0], Image)  # the run keeps the Image, not the str


def test_an_output_schema_that_is_not_a_pydantic_model_fails_at_agent():
    @dataclass
    class Movie:
        title: str

    with pytest.raises(TypeError, match=r"output_schema takes a pydantic model class or a JSON-schema dict; "
                                        r"got the class Movie, which is not a pydantic model. Write `class Movie\(pydantic"):
        Agent(model=ScriptedModel(["{}"]), output_schema=Movie)  # type: ignore[type-var]
    with pytest.raises(TypeError, match=r"got str 'Movie'"):
        Agent(model=ScriptedModel(["{}"]), output_schema="Movie")  # type: ignore[arg-type]


def test_tool_yielding_events_still_runs_after_the_checks():
    @dataclass
    class Step(CustomEvent):
        n: int = 0

    @tool
    def count(to: int):
        """Count up."""
        for n in range(to):
            yield Step(n=n)
        yield "done"

    agent = Agent(model=ScriptedModel([[ToolCall("count", {"to": 2})], "ok"]), tools=[count])
    events = list(agent.run("go", stream=True))
    assert [e.n for e in events if isinstance(e, Step)] == [0, 1]
