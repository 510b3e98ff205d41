"""Agno's session accessors on the Agent: the last run, the session's state and metrics, a run's events.

With ``db=`` they read storage; without, the runs this agent made in this
process (the last ``RECENT_RUNS`` of them).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable, Optional

from runwire.metrics import Metrics
from runwire.run.events import RunOutputEvent, run_output_event_from_dict
from runwire.run.output import RunOutput
from runwire.run.sync_bridge import get_runner

if TYPE_CHECKING:
    from runwire.storage.base import Storage

RECENT_RUNS = 64
DEFAULT_SKIPPED = ("RunContent",)


def stored_events_view(run: RunOutput, log: Iterable[RunOutputEvent]) -> Optional[list[RunOutputEvent]]:
    """``run.events`` as the run kept them (``store_events`` / ``events_to_skip``) from its full event log."""
    if run.store_events is False:
        return None
    if run.store_events is None:  # written before runs recorded how they keep events: the whole log
        return list(log)
    skip = set(DEFAULT_SKIPPED if run.events_to_skip is None else run.events_to_skip)
    return [e for e in log if e.event not in skip]


def session_metrics(runs: Iterable[RunOutput]) -> Optional[Metrics]:
    """The runs' metrics summed; ``details`` holds one entry per kind of model and (provider, id)."""
    total: Optional[Metrics] = None
    for run in runs:
        m = run.metrics
        total = total or Metrics(details={})
        total.add_usage(m)
        total.model_calls += m.model_calls
        if m.duration is not None:
            total.duration = (total.duration or 0.0) + m.duration
        for kind, calls in (m.details or {}).items():
            entries = total.details.setdefault(kind, [])  # type: ignore[union-attr]
            for call in calls:
                entry = next((e for e in entries if (e.provider, e.id) == (call.provider, call.id)), None)
                if entry is None:
                    entry = Metrics(id=call.id, provider=call.provider)
                    entries.append(entry)
                entry.add_usage(call)
                entry.model_calls += 1
    return total


class SessionAPI:
    """Mixed into Agent."""

    session_id: Optional[str]
    _recent: "Optional[OrderedDict[str, RunOutput]]"

    def get_storage(self) -> Optional["Storage"]:  # provided by Agent
        raise NotImplementedError

    # -- the runs this agent made in this process -----------------------------------
    def _remember(self, run: RunOutput) -> None:
        if self._recent is None:
            self._recent = OrderedDict()
        recent = self._recent
        if run.run_id in recent:
            recent.move_to_end(run.run_id)
        recent[run.run_id] = run
        while len(recent) > RECENT_RUNS:
            recent.popitem(last=False)

    def _recent_run(self, run_id: str) -> Optional[RunOutput]:
        return self._recent.get(run_id) if self._recent is not None else None

    def _recent_runs(self, session_id: Optional[str]) -> list[RunOutput]:
        return [r for r in (self._recent or {}).values() if session_id is None or r.session_id == session_id]

    # -- reading a stored run's events --------------------------------------------------
    async def _with_events(self, storage: "Storage", run: RunOutput) -> RunOutput:
        log = [run_output_event_from_dict(e) for e in await storage.get_events(run.run_id)]
        run.events = stored_events_view(run, log)
        return run

    async def aget_run_events(self, run_id: str) -> list[RunOutputEvent]:
        """The run's full append-only event log, as written (for replay), whatever ``store_events`` said."""
        storage = self.get_storage()
        if storage is None:
            raise ValueError("get_run_events reads the event log from storage: give the agent db=...")
        return [run_output_event_from_dict(e) for e in await storage.get_events(run_id)]

    def get_run_events(self, run_id: str) -> list[RunOutputEvent]:
        return get_runner()(self.aget_run_events(run_id))

    # -- Agno's session accessors ---------------------------------------------------------
    async def aget_last_run_output(self, session_id: Optional[str] = None) -> Optional[RunOutput]:
        """The session's latest run (``session_id`` defaults to the agent's)."""
        session_id = session_id or self.session_id
        storage = self.get_storage()
        if storage is None:
            runs = self._recent_runs(session_id)
            return runs[-1] if runs else None
        if session_id is None:
            raise ValueError("get_last_run_output needs a session: pass session_id=, or run the agent first")
        last = await storage.list_runs(session_id, last=1)
        return await self._with_events(storage, last[-1]) if last else None

    def get_last_run_output(self, session_id: Optional[str] = None) -> Optional[RunOutput]:
        return get_runner()(self.aget_last_run_output(session_id))

    async def aget_session_state(self, session_id: Optional[str] = None) -> dict[str, Any]:
        """The session's ``session_state`` (``session_id`` defaults to the agent's); {} for an unknown session."""
        session_id = session_id or self.session_id
        storage = self.get_storage()
        if storage is None:
            runs = self._recent_runs(session_id)
            return dict(runs[-1].session_state or {}) if runs else {}
        session = await storage.get_session(session_id, with_runs=False) if session_id else None
        return dict(session.session_state) if session is not None else {}

    def get_session_state(self, session_id: Optional[str] = None) -> dict[str, Any]:
        return get_runner()(self.aget_session_state(session_id))

    async def aget_session_metrics(self, session_id: Optional[str] = None) -> Optional[Metrics]:
        """The metrics of the session's runs, summed (None when it has no runs)."""
        session_id = session_id or self.session_id
        storage = self.get_storage()
        if storage is None:
            return session_metrics(self._recent_runs(session_id))
        return session_metrics(await storage.list_runs(session_id)) if session_id else None

    def get_session_metrics(self, session_id: Optional[str] = None) -> Optional[Metrics]:
        return get_runner()(self.aget_session_metrics(session_id))
