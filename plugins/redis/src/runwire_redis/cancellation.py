"""``RedisCancellation``: live runs in a Redis set, cancel requests over pub/sub."""

from __future__ import annotations

import logging
import threading
import time
from typing import Optional

import redis

from runwire.run.cancel import CancellationBackend, cancel_local

logger = logging.getLogger("runwire.redis")


class RedisCancellation(CancellationBackend):
    """Cancellation that reaches every process sharing ``url``.

    Keys (all under ``prefix``): ``live`` (a set of run ids being run),
    ``cancel:<run_id>`` (a pending request, kept ``pending_ttl`` seconds) and the
    pub/sub channel ``cancel``. A listener thread per process delivers requests
    to the runs it hosts.
    """

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = "runwire:", pending_ttl: int = 60) -> None:
        self.url = url
        self.prefix = prefix
        self.pending_ttl = pending_ttl
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        self._listener: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def channel(self) -> str:
        return self.prefix + "cancel"

    def _ensure_listener(self) -> None:
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._ready.clear()
                self._listener = threading.Thread(target=self._listen, name="runwire-redis-cancel", daemon=True)
                self._listener.start()
        self._ready.wait(5)

    def _listen(self) -> None:
        while True:
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self._ready.set()
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        run_id, _, reason = str(message["data"]).partition("\n")
                        cancel_local(run_id, reason or "cancelled by the user")
            except redis.RedisError as exc:  # reconnect: cancellation must survive a Redis restart
                logger.warning("runwire-redis: listener lost Redis (%s); reconnecting", exc)
                time.sleep(1)

    def run_started(self, run_id: str) -> Optional[str]:
        self._ensure_listener()
        pipe = self.client.pipeline()
        pipe.sadd(self.prefix + "live", run_id)
        pipe.getdel(self.prefix + "cancel:" + run_id)
        _, pending = pipe.execute()
        return pending or None

    def run_finished(self, run_id: str) -> None:
        self.client.srem(self.prefix + "live", run_id)

    def cancel(self, run_id: str, reason: str) -> bool:
        pipe = self.client.pipeline()
        pipe.sismember(self.prefix + "live", run_id)
        pipe.set(self.prefix + "cancel:" + run_id, reason, ex=self.pending_ttl)
        pipe.publish(self.channel, f"{run_id}\n{reason}")
        live, _, _ = pipe.execute()
        if live:
            self.client.delete(self.prefix + "cancel:" + run_id)
        return bool(live)

    def __repr__(self) -> str:
        from runwire.utils.redact import redact

        return f"RedisCancellation({redact(self.url)!r})"
