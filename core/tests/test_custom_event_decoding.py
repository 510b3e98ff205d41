"""A custom event read back from storage has the types its dataclass declares."""

import datetime
from dataclasses import dataclass, field
from typing import Optional

import pydantic

from runwire import Agent, CustomEvent, tool
from runwire.run.events import run_output_event_from_dict
from runwire.testing import ScriptedModel, ToolCall


class Forecast(pydantic.BaseModel):
    city: str
    celsius: float


@dataclass
class Point:
    x: int
    y: int


@dataclass
class Observed(CustomEvent):
    at: Optional[datetime.datetime] = None
    forecast: Optional[Forecast] = None
    tags: set[str] = field(default_factory=set)
    where: Optional[Point] = None
    count: int = 0


def _observed() -> Observed:
    return Observed(at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
                    forecast=Forecast(city="Oslo", celsius=-3.5), tags={"cold", "clear"}, where=Point(1, 2), count=7)


def test_json_round_trip_restores_declared_types():
    back = run_output_event_from_dict(_observed().to_json_dict())
    assert isinstance(back, Observed)
    assert back.at == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert back.forecast == Forecast(city="Oslo", celsius=-3.5)
    assert back.tags == {"cold", "clear"} and back.where == Point(1, 2) and back.count == 7


def test_a_value_that_no_longer_fits_is_kept_rather_than_losing_the_event():
    data = _observed().to_json_dict() | {"count": "many"}
    back = run_output_event_from_dict(data)
    assert back.count == "many" and back.tags == {"cold", "clear"}


def test_events_read_from_sqlite_storage_have_their_types(tmp_path):
    @tool
    def observe() -> object:
        """Observe the sky."""
        yield _observed()
        yield "observed"

    agent = Agent(model=ScriptedModel([[ToolCall("observe", {})], "done"]), tools=[observe],
                  db=f"sqlite:///{tmp_path}/events.db")
    out = agent.run("look")
    [stored] = [e for e in agent.get_run_events(out.run_id) if isinstance(e, Observed)]
    assert isinstance(stored.at, datetime.datetime) and stored.at.year == 2026
    assert isinstance(stored.forecast, Forecast) and stored.forecast.celsius == -3.5
    assert stored.tags == {"cold", "clear"} and stored.where == Point(1, 2)
