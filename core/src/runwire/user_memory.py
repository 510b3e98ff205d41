"""``UserMemory``: something remembered about a user, kept across sessions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional
from uuid import uuid4


@dataclass
class UserMemory:
    """Something remembered about a user, kept across sessions (the fields of Agno's UserMemory).

    Storage keeps ``memory``, ``topics``, ``user_id``, the id and the times;
    ``input`` (what the user said) and ``agent_id`` are set on new memories as the
    MemoryUpdateCompleted event reports them, and are not stored.
    """

    memory: str
    user_id: Optional[str] = None
    memory_id: str = field(default_factory=lambda: uuid4().hex)
    topics: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    input: Optional[str] = None
    agent_id: Optional[str] = None
    team_id: Optional[str] = None
    feedback: Optional[str] = None
