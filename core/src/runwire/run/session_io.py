"""Loading what a run needs from storage: session state, earlier runs, user memories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from runwire.models.message import Message
from runwire.run.memory import memory_system_text
from runwire.run.state_merge import snapshot
from runwire.storage.base import Session

if TYPE_CHECKING:
    from runwire.run.context import RunContext


def _insert_point(messages: list[Message]) -> int:
    return 1 if messages and messages[0].role == "system" else 0


async def _add_history(ctx: "RunContext", before: Optional[float] = None) -> None:
    """The messages of the session's last ``num_history_runs`` completed runs, after the system message."""
    storage = ctx.storage
    assert storage is not None
    runs = await storage.list_runs(ctx.session_id or "", last=ctx.agent.num_history_runs, status="completed",
                                   before=before)
    history: list[Message] = []
    for run in runs:
        for message in run.messages:
            if message.role != "system" and not message.from_history:
                message.from_history = True
                history.append(message)
    at = _insert_point(ctx.messages)
    ctx.messages[at:at] = history


async def load_session_context(ctx: "RunContext", *, continued: bool = False) -> Optional[Session]:
    """Fill the run's context from storage before it starts; returns the stored session, if any.

    A continued run takes the session state, and its history again when it was read back from storage
    (which keeps no copy of history with each run).
    """
    storage = ctx.storage
    assert storage is not None
    agent = ctx.agent
    session_id = ctx.session_id or ""
    session = await storage.get_session(session_id, with_runs=False)
    if session is not None and not ctx.session_state_given:
        ctx.session_state.update(session.session_state)
    # what this run's changes are measured against when they are merged into the stored state
    ctx.session_state_base = snapshot(session.session_state if session is not None else ctx.session_state)
    if continued:
        if agent.add_history_to_context and session is not None and not any(m.from_history for m in ctx.messages):
            # read back from storage, which keeps no copy of history: the same earlier runs, found again
            await _add_history(ctx, before=ctx.output.created_at)
        return session
    if agent.add_history_to_context and session is not None:
        await _add_history(ctx)
    if agent.enable_user_memories and ctx.user_id is not None:
        ctx.memories = await storage.get_memories(ctx.user_id)
        if ctx.memories:
            text = memory_system_text(ctx.memories)
            if ctx.messages and ctx.messages[0].role == "system":
                ctx.messages[0] = Message(role="system", content=f"{ctx.messages[0].text()}\n\n{text}")
            else:
                ctx.messages.insert(0, Message(role="system", content=text))
    return session
