import pytest

from runwire.testing import ScriptedModel, ToolCall


@pytest.fixture
def weather_script():
    return [[ToolCall("get_weather", {"city": "Paris"})], "It is sunny in Paris."]


def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: The name of the city.
    """
    return f"sunny in {city}"


@pytest.fixture
def weather_tool():
    return get_weather


@pytest.fixture
def make_model():
    def make(*turns, **kwargs):
        return ScriptedModel(list(turns), **kwargs)

    return make
