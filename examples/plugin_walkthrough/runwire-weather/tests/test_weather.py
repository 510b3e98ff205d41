import io

from runwire.agent import Agent
from runwire.testing import ToolCall
from runwire_weather import ConsoleSink, StationRead, get_weather


def test_get_weather_streams_its_station_event_and_gives_its_result(scripted_model):
    scripted_model.add([ToolCall("get_weather", {"city": "Oslo"})], "It is sunny.")
    stream = Agent(model=scripted_model, tools=[get_weather]).run("Weather in Oslo?", stream=True)
    events = list(stream)
    reads = [e for e in events if isinstance(e, StationRead)]
    assert [(r.city, r.station, r.temperature_c) for r in reads] == [("Oslo", "oslo-central", 21.0)]
    assert stream.run_output.tools[0].result == "Sunny, 21 °C in Oslo"


def test_the_plugin_registers_its_tool_event_and_sink(runwire_registry):
    assert runwire_registry.tools["get_weather"].name == "get_weather"
    assert runwire_registry.event_types["StationRead"] is StationRead
    assert runwire_registry.sinks["console"] is ConsoleSink


def test_console_sink_prints_every_event_and_the_end_of_the_run(scripted_model):
    buffer = io.StringIO()
    Agent(model=scripted_model.add("Hi there"), sinks=[ConsoleSink(buffer)]).run("Hello")
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("[console sink] RunStarted") and lines[-2].startswith("[console sink] RunCompleted")
    assert lines[-1].startswith("[console sink] finished run=")
