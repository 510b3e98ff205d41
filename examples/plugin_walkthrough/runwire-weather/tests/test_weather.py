import io

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire_weather import ConsoleSink, get_weather


def test_get_weather_through_an_agent():
    model = ScriptedModel([[ToolCall("get_weather", {"city": "Oslo"})], "It is sunny."])
    out = Agent(model=model, tools=[get_weather]).run("Weather in Oslo?")
    assert out.tools[0].result == "Sunny, 21 °C in Oslo"


def test_console_sink_prints_every_event():
    buffer = io.StringIO()
    Agent(model=ScriptedModel(["Hi there"]), sinks=[ConsoleSink(buffer)]).run("Hello")
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("[console sink] RunStarted") and lines[-1].startswith("[console sink] RunCompleted")
