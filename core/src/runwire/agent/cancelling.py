"""``Agent.cancel_run`` / ``Agent.acancel_run``: callable on the class (as Agno's staticmethods) and on an agent.

``Agent.cancel_run(run_id)`` reaches every live run of this process (and, with a
cancellation backend, of others). ``agent.cancel_run(run_id)`` does the same and
also cancels a run paused in the agent's storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, Generic, Optional, Protocol, TypeVar, overload

from runwire.run.cancel import cancel_run

if TYPE_CHECKING:
    from runwire.agent.agent import Agent


class CancelRun(Protocol):
    def __call__(self, run_id: str, reason: Optional[str] = None) -> bool: ...


class ACancelRun(Protocol):
    def __call__(self, run_id: str, reason: Optional[str] = None) -> Awaitable[bool]: ...


F = TypeVar("F", CancelRun, ACancelRun)


class ClassOrInstanceMethod(Generic[F]):
    """A method with one behaviour when called on the class and another on an instance."""

    def __init__(self, on_class: F, on_instance: Callable[..., Any], doc: str) -> None:
        self.on_class: F = on_class
        self.on_instance = on_instance
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, owner: Optional[type] = None) -> F: ...

    @overload
    def __get__(self, obj: object, owner: Optional[type] = None) -> F: ...

    def __get__(self, obj: Any, owner: Optional[type] = None) -> F:
        if obj is None:
            return self.on_class
        on_instance = self.on_instance

        def bound(run_id: str, reason: Optional[str] = None) -> Any:
            return on_instance(obj, run_id, reason)

        bound.__doc__ = self.__doc__
        return bound


def _cancel_live(run_id: str, reason: Optional[str] = None) -> bool:
    return cancel_run(run_id, reason)


async def _acancel_live(run_id: str, reason: Optional[str] = None) -> bool:
    return cancel_run(run_id, reason)


def _cancel_paused_in_memory(agent: "Agent", run_id: str, reason: str) -> bool:
    """Without storage, a run this agent paused in this process is cancelled in place (continue_run then refuses)."""
    from runwire.run.output import RunStatus

    run = agent._recent_run(run_id)
    if run is None or run.status != RunStatus.paused:
        return False
    run.status, run.cancel_reason = RunStatus.cancelled, reason
    for te in run.tools:
        if te.status == "paused":
            te.status = "interrupted"
    return True


def _cancel_on_agent(agent: "Agent", run_id: str, reason: Optional[str] = None) -> bool:
    if cancel_run(run_id, reason):
        return True
    reason = reason or "cancelled by the user"
    if agent.get_storage() is None:
        return _cancel_paused_in_memory(agent, run_id, reason)
    from runwire.run.sync_bridge import get_runner

    return bool(get_runner()(agent._cancel_stored(run_id, reason)))  # storage decides (a continue may have claimed it)


async def _acancel_on_agent(agent: "Agent", run_id: str, reason: Optional[str] = None) -> bool:
    if cancel_run(run_id, reason):
        return True
    reason = reason or "cancelled by the user"
    if agent.get_storage() is None:
        return _cancel_paused_in_memory(agent, run_id, reason)
    return await agent._cancel_stored(run_id, reason)


_DOC = """Stop the run ``run_id``: live here or (with a cancellation backend) elsewhere; called on an
agent, also a run paused in its storage. A live run ends with RunCancelled and keeps its partial
content. Returns False for an unknown or finished run. Works as ``Agent.cancel_run(run_id)`` too."""

cancel_run_method: ClassOrInstanceMethod[CancelRun] = ClassOrInstanceMethod(_cancel_live, _cancel_on_agent, _DOC)
acancel_run_method: ClassOrInstanceMethod[ACancelRun] = ClassOrInstanceMethod(_acancel_live, _acancel_on_agent,
                                                                             "Async :meth:`cancel_run`.")
