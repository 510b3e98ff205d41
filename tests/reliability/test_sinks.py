"""A sink can never stall a run (item 14 of issue 12): one that blocks its thread inside
``async handle`` and one that swallows CancelledError both leave the run to complete."""

from __future__ import annotations

import asyncio
import logging
import threading

from runwire.agent import Agent
from runwire.sinks import EventSink
from runwire.testing import ScriptedModel


class Recorder(EventSink):
    def __init__(self) -> None:
        self.events: list[str] = []
        self.flushes = 0

    async def handle(self, event):
        self.events.append(event.event)

    async def flush(self):
        self.flushes += 1


class BlocksItsThread(EventSink):
    """Calls blocking code inside ``async handle`` (a sync HTTP client, say) and never returns."""

    timeout = 0.2

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    async def handle(self, event):
        self.entered.set()
        self.release.wait()  # blocks whatever thread runs it


class SwallowsCancel(EventSink):
    """Catches CancelledError and keeps waiting."""

    timeout = 0.2

    def __init__(self) -> None:
        self.release = threading.Event()
        self.swallowed = threading.Event()

    async def handle(self, event):
        while not self.release.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                self.swallowed.set()


def test_a_sink_blocking_its_thread_does_not_stop_the_run(caplog):
    blocker, good = BlocksItsThread(), Recorder()
    threading.Timer(30, blocker.release.set).start()  # a run stuck behind the sink fails below instead of hanging
    try:
        with caplog.at_level(logging.WARNING, logger="runwire.sinks"):
            out = Agent(model=ScriptedModel(["one two three four five six seven eight nine ten"]),
                        sinks=[blocker, good]).run("x")
        assert out.status == "completed" and out.content.endswith("ten")
        assert blocker.entered.is_set() and not blocker.release.is_set()  # finished while the sink is still blocked
        assert good.events[0] == "RunStarted" and good.events[-1] == "RunCompleted" and good.flushes == 1
        reports = [r.getMessage() for r in caplog.records if "BlocksItsThread" in r.getMessage()]
        assert len(reports) == 1 and "TimeoutError" in reports[0]
        # the next run with the same (still blocked) sink does not wait for it again
        again = Agent(model=ScriptedModel(["again"]), sinks=[blocker, good]).run("y")
        assert again.status == "completed" and not blocker.release.is_set()
    finally:
        blocker.release.set()


async def test_a_sink_swallowing_cancellation_does_not_hang_the_run(caplog):
    swallower, good = SwallowsCancel(), Recorder()
    threading.Timer(30, swallower.release.set).start()  # a run stuck behind the sink fails below instead of hanging
    try:
        with caplog.at_level(logging.WARNING, logger="runwire.sinks"):
            out = await asyncio.wait_for(
                Agent(model=ScriptedModel(["all done"]), sinks=[swallower, good]).arun("x"), timeout=120)
        assert out.status == "completed" and out.content == "all done"
        assert swallower.swallowed.wait(30) and not swallower.release.is_set()  # interrupted, ignored it, runs on
        assert good.events[-1] == "RunCompleted" and good.flushes == 1
        assert any("SwallowsCancel" in r.getMessage() and "TimeoutError" in r.getMessage() for r in caplog.records)
    finally:
        swallower.release.set()


async def test_sinks_see_the_caller_s_context_variables():
    import contextvars

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
    seen: list[str] = []

    class ContextReader(EventSink):
        async def handle(self, event):
            seen.append(request_id.get())

    request_id.set("req-42")
    await Agent(model=ScriptedModel(["hi"]), sinks=[ContextReader()]).arun("x")
    assert seen and set(seen) == {"req-42"}


def test_a_sink_runs_off_the_run_s_thread():
    threads: set[int] = set()

    class ThreadReader(EventSink):
        async def handle(self, event):
            threads.add(threading.get_ident())

    Agent(model=ScriptedModel(["hi"]), sinks=[ThreadReader()]).run("x")
    assert threads and threading.get_ident() not in threads


def test_a_sink_s_thread_ends_with_the_sink():
    import gc

    class Named(EventSink):
        name = "short-lived-sink"

        async def handle(self, event):
            return None

    def alive() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "runwire-sink-short-lived-sink"]

    for _ in range(5):  # an agent per request, each with its own sink
        Agent(model=ScriptedModel(["hi"]), sinks=[Named()]).run("x")
    gc.collect()
    for thread in alive():
        thread.join(10)
    assert alive() == []
