"""The iterators returned by ``run(stream=True)`` and ``arun(stream=True)``.

Both pull events from the same async run loop. After the stream is consumed,
the run's output is on ``.run_output``, and its attributes (``events``,
``content``, ``metrics``, ...) can be read from the stream itself.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Generic, Iterator, Optional, Self, Union, cast

from runwire._typing import ContentT, ItemT
from runwire.run.context import RunContext
from runwire.run.event_union import RunStreamEvent
from runwire.run.events import ALWAYS_STREAMED, RunOutputEvent
from runwire.run.loop import next_event
from runwire.run.output import RunOutput

StreamItem = Union[RunStreamEvent, RunOutput[ContentT]]
"""What ``run(stream=True, yield_run_output=True)`` yields: its events, then its ``RunOutput``."""


class _StreamBase(Generic[ContentT]):
    def __init__(self, events: AsyncIterator[RunOutputEvent], ctx: Optional[RunContext], all_events: bool,
                 yield_run_output: bool = False) -> None:
        self._events = events
        self._ctx = ctx
        self._all = all_events
        self._yield_output = yield_run_output  # Agno's yield_run_output=True: the RunOutput comes last
        self.finished = False
        if ctx is not None:
            ctx.wants_deltas = True  # a consumer reads the content as it comes

    def _output_last(self) -> Optional[RunOutput[ContentT]]:
        if self._yield_output:
            self._yield_output = False
            return self.run_output
        self.finished = True
        return None

    def _context(self) -> RunContext:
        if self._ctx is None:
            raise RuntimeError("this run has not started yet: iterate the stream first")
        return self._ctx

    @property
    def run_output(self) -> RunOutput[ContentT]:
        """The run's output (complete once the stream is exhausted)."""
        return self._context().output

    @property
    def run_id(self) -> str:
        return self._context().run_id

    def __getattr__(self, name: str) -> Any:
        # Reading e.g. ``stream.events`` after iterating, as the seed's snippets do.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._context().output, name)

    async def _pull(self) -> RunOutputEvent:
        if self._ctx is None:  # a deferred run (read from storage) sets its context as it starts
            return await self._events.__anext__()
        return await next_event(self._ctx, self._events)

    async def _next_visible(self) -> RunOutputEvent:
        if self._all:
            return await self._pull()
        while True:
            event = await self._pull()
            if event.event in ALWAYS_STREAMED:
                return event


class RunStream(_StreamBase[ContentT], Iterator[ItemT]):
    """A sync iterator of a run's events (typed as :data:`~runwire.run.event_union.RunStreamEvent`, then the
    ``RunOutput`` with ``yield_run_output=True``); ``run_output`` is the run's ``RunOutput[ContentT]``."""

    def __init__(
        self,
        events: AsyncIterator[RunOutputEvent],
        ctx: RunContext,
        all_events: bool,
        runner: Callable[[Any], Any],
        *,
        yield_run_output: bool = False,
    ) -> None:
        super().__init__(events, ctx, all_events, yield_run_output)
        self._runner = runner

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ItemT:
        if self.finished:
            raise StopIteration
        try:
            return cast(ItemT, self._runner(self._next_visible()))
        except StopAsyncIteration:
            last = self._output_last()
            if last is not None:
                return cast(ItemT, last)
            raise StopIteration from None

    def close(self) -> None:
        """Stop the run early (its ``finally`` blocks and sinks still run)."""
        if not self.finished:
            self.finished = True
            self._runner(self._events.aclose())  # type: ignore[attr-defined]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRunStream(_StreamBase[ContentT], AsyncIterator[ItemT]):
    """An async iterator of a run's events (typed as :data:`~runwire.run.event_union.RunStreamEvent`, then the
    ``RunOutput`` with ``yield_run_output=True``); ``run_output`` is the run's ``RunOutput[ContentT]``."""

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ItemT:
        if self.finished:
            raise StopAsyncIteration
        try:
            return cast(ItemT, await self._next_visible())
        except StopAsyncIteration:
            last = self._output_last()
            if last is not None:
                return cast(ItemT, last)
            raise

    async def aclose(self) -> None:
        if not self.finished:
            self.finished = True
            await self._events.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
