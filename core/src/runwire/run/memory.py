"""User memories: loading them into a run's context, and updating them after the run."""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any, Optional

from runwire.models.base import ModelRequest
from runwire.models.message import Message
from runwire.run.model_call import complete
from runwire.storage.base import UserMemory

if TYPE_CHECKING:
    from runwire.run.context import RunContext

logger = logging.getLogger("runwire.memory")

PROMPT = """You maintain a list of facts about a user, to personalise later conversations.
Existing memories (id: text):
{memories}

The user just said:
{user}

Reply with one JSON object and nothing else:
{{"add": ["new fact", ...], "update": [{{"memory_id": "...", "memory": "new text"}}], "delete": ["memory_id", ...]}}
Only record lasting facts about the user (name, preferences, circumstances). Use empty lists when nothing changes."""

_JSON = re.compile(r"\{.*\}", re.DOTALL)


def memory_system_text(memories: list[UserMemory]) -> str:
    lines = "\n".join(f"- {m.memory}" for m in memories)
    return f"You know these facts about the user from earlier conversations:\n{lines}"


class ModelMemoryUpdater:
    """The built-in updater: a model (``memory_model=`` or the agent's) decides what to add, update or delete."""

    def __init__(self, model: Any = None) -> None:
        self.model = model
        self._model: Any = None

    def _resolved(self) -> Any:
        if self._model is None:  # resolved once, not per run
            from runwire.models.resolve import resolve_model

            self._model = resolve_model(self.model)
        return self._model

    async def update(self, ctx: "RunContext", memories: list[UserMemory]) -> list[UserMemory]:
        storage = ctx.storage
        assert storage is not None
        model = ctx.agent.get_helper_model("memory_model") if self.model is None else self._resolved()
        user_text = "\n".join(m.text() for m in ctx.messages if m.role == "user" and not m.from_history)
        listing = "\n".join(f"{m.memory_id}: {m.memory}" for m in memories) or "(none)"
        request = ModelRequest(messages=[Message(role="user", content=PROMPT.format(memories=listing, user=user_text))])
        text, _ = await complete(ctx, model, request, "memory_model")
        ops = _parse(text)
        if ops is None:
            logger.warning("runwire: the memory model's reply was not the JSON asked for; memories left unchanged")
            return memories
        by_id = {m.memory_id: m for m in memories}
        for text in ops.get("add") or []:
            if isinstance(text, str) and text.strip():
                memory = UserMemory(memory=text.strip(), user_id=ctx.user_id, input=user_text, agent_id=ctx.agent_id)
                await storage.upsert_memory(memory)
                by_id[memory.memory_id] = memory
        for change in ops.get("update") or []:
            if isinstance(change, dict) and change.get("memory_id") in by_id and change.get("memory"):
                memory = by_id[change["memory_id"]]
                memory.memory = str(change["memory"])
                await storage.upsert_memory(memory)
        for memory_id in ops.get("delete") or []:
            if memory_id in by_id:
                await storage.delete_memory(memory_id)
                del by_id[memory_id]
        return list(by_id.values())


def _parse(text: str) -> Optional[dict[str, Any]]:
    match = _JSON.search(text)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
