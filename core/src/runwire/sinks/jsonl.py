"""The JSONL file sink: one JSON object per event, appended to a file."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Union

from runwire.run.events import RunOutputEvent
from runwire.sinks.base import EventSink


class JsonlSink(EventSink):
    """Append each event as a line of JSON to ``path`` (``"jsonl:events.jsonl"``).

    Lines are buffered and written at each run's end (and every ``batch`` events);
    a line is only ever written whole, so a crash never leaves a torn record.
    """

    name = "jsonl"

    def __init__(self, path: Union[str, Path] = "runwire-events.jsonl", *, batch: int = 256, fsync: bool = False) -> None:
        self.path = Path(path)
        self.batch = batch
        self.fsync = fsync
        self._buffer: list[str] = []
        self._lock = threading.Lock()

    async def handle(self, event: RunOutputEvent) -> None:
        self._buffer.append(event.to_json() + "\n")
        if len(self._buffer) >= self.batch:
            await self.flush()

    async def flush(self) -> None:
        if not self._buffer:
            return
        lines, self._buffer = self._buffer, []
        data = "".join(lines).encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as f:
                f.write(data)
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())

    def __repr__(self) -> str:
        return f"JsonlSink({str(self.path)!r})"
