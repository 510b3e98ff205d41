"""``UserMemory``: something remembered about a user, kept across sessions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional
from uuid import uuid4


@dataclass
class UserMemory:
    """Something remembered about a user, kept across sessions."""

    memory: str
    user_id: Optional[str] = None
    memory_id: str = field(default_factory=lambda: uuid4().hex)
    topics: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
