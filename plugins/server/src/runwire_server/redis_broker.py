"""``RedisBroker``: live events shared by every worker through Redis streams, one writer and one reader per process.

Writing: the commands the broker sends join one of two queues, each sent as one pipeline per flush, in
order: what a run waits for to start (the per-user run counts, its segment's opening), and its events then
its segment's close (a run's events since the last flush go in as one stream entry). Two hundred concurrent
runs cost a round trip per flush, not a round trip and a connection each, and a run starting never waits
behind the others' events.

Reading: one task per process follows every stream that a client of this worker watches with one blocking
XREAD on its own connection, and hands the entries to the local subscribers of each run. A stream of a run
this worker drives is read from its memory, unless a continue elsewhere replaced its segment in Redis.

Segments: each opening carries a token of its own (its ``SegmentHandle``'s), and so does each entry and the
close written for it. A worker's last entries and close can reach Redis after a continue (on another worker or
this one) opened the next segment: readers skip entries of another token, and a close is written only while
its segment is the stream's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Optional

from runwire_server.broker import RETAIN_SECONDS, Broker, LiveEvent, MemoryBroker, Segment, SegmentHandle, read_segment

logger = logging.getLogger("runwire.server")

Build = Callable[[Any], None]  # adds commands to a pipeline
# KEYS: the run's stream   ARGV: ttl s., token.   A new segment replaces the closed one, atomically. XTRIM (not
# DEL) keeps the stream's last id: the new entries' ids follow the old ones', so a reader of the old misses none.
_OPEN = ("redis.call('XTRIM', KEYS[1], 'MAXLEN', 0) redis.call('XADD', KEYS[1], '*', 'k', 'open', 't', ARGV[2]) "
         "redis.call('EXPIRE', KEYS[1], ARGV[1])")
# KEYS: the run's stream   ARGV: token, retain s.   Only while the stream holds that token's segment (its first
# entry is {k: open, t: token}): a late close neither ends nor shortens the life of a later segment.
_CLOSE = ("local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1] "
          "if first and first[2][4] == ARGV[1] then redis.call('XADD', KEYS[1], '*', 'k', 'close', 't', ARGV[1]) "
          "redis.call('EXPIRE', KEYS[1], ARGV[2]) return 1 end return 0")


class _Writer:
    """One queue of Redis commands, sent as one pipeline per flush (a run's queued events as one entry)."""

    def __init__(self, client: Any, key: Callable[[str], str], ttl: int) -> None:
        self.client, self.key, self.ttl = client, key, ttl
        self.ops: list[tuple[Optional[Build], Any]] = []  # (build, future) or (None, (run_id, token)): events
        self.events: dict[tuple[str, str], list[LiveEvent]] = {}
        self.wakeup = asyncio.Event()
        self.task: Optional[asyncio.Task[None]] = None

    def _start(self) -> None:
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())

    async def call(self, build: Build) -> list[Any]:
        """Send ``build``'s commands with the next flush; their replies (the first error is raised)."""
        self._start()
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # read even if the caller went away
        self.ops.append((build, future))
        self.wakeup.set()
        return await asyncio.shield(future)  # a caller that goes away does not take its commands back

    def publish(self, run_id: str, token: str, event: LiveEvent) -> None:
        """Queue ``event`` of the run's segment ``token``."""
        self._start()
        segment = (run_id, token)
        queued = self.events.get(segment)
        if queued is None:
            self.events[segment] = [event]
            self.ops.append((None, segment))
            self.wakeup.set()
        else:
            queued.append(event)

    async def _run(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            ops, self.ops = self.ops, []
            events, self.events = self.events, {}
            if ops:
                await self._flush(ops, events)

    async def _flush(self, ops: list[tuple[Optional[Build], Any]],
                     events: dict[tuple[str, str], list[LiveEvent]]) -> None:
        pipe = self.client.pipeline(transaction=False)
        calls: list[tuple[asyncio.Future[list[Any]], int, int]] = []
        for build, target in ops:
            start = len(pipe.command_stack)
            if build is None:
                batch = events[target]
                fields: dict[str, Any] = {"k": "e", "t": target[1], "c": len(batch)}
                for i, event in enumerate(batch):
                    fields[f"s{i}"], fields[f"n{i}"], fields[f"d{i}"] = event.seq, event.name, event.data
                key = self.key(target[0])
                pipe.xadd(key, fields)
                pipe.expire(key, self.ttl)
            else:
                build(pipe)
                calls.append((target, start, len(pipe.command_stack) - start))
        try:
            replies = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # the event log still has the events: subscribers fall back to it
            logger.error("runwire-server: could not send %d command(s) to Redis: %s", len(pipe.command_stack), exc)
            for future, _, _ in calls:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, start, count in calls:
            mine = replies[start:start + count]
            error = next((r for r in mine if isinstance(r, Exception)), None)
            if not future.done():
                future.set_exception(error) if error is not None else future.set_result(mine)
        if len(calls) < len(ops):  # some ops were events: say if Redis refused any of them
            theirs = sum(count for _, _, count in calls)
            refused = sum(isinstance(r, Exception) for r in replies) - sum(
                isinstance(r, Exception) for _, start, count in calls for r in replies[start:start + count])
            if refused:
                logger.error("runwire-server: Redis refused %d of %d live-event command(s)", refused,
                             len(replies) - theirs)

    async def aclose(self) -> None:
        """Send what is queued, then stop."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        ops, self.ops = self.ops, []
        events, self.events = self.events, {}
        if ops:
            await self._flush(ops, events)


@dataclass
class _Watch:
    """A stream followed for this worker's subscribers: what was read of it so far, and where to go on."""

    segment: Segment = field(default_factory=Segment)
    last: str = "0-0"
    subscribers: int = 0
    token: Optional[str] = None  # the segment's, from its opening entry


class _Follower:
    """One blocking XREAD per process over every stream a subscriber here watches."""

    def __init__(self, url: str, client: Any, block_ms: int, name: str) -> None:
        import redis.asyncio as aioredis

        self.client, self.block_ms = client, block_ms
        self.conn = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5,
                                            single_connection_client=True, client_name=name)
        self.watched: dict[str, _Watch] = {}
        self.reading: Optional[frozenset[str]] = None  # the keys of the XREAD in flight
        self.conn_id: Optional[int] = None
        self.waking = False
        self.idle = asyncio.Event()
        self.task: Optional[asyncio.Task[None]] = None
        self.checked = time.monotonic()

    async def watch(self, key: str) -> AsyncIterator[LiveEvent]:
        watch = self.watched.get(key)
        if watch is None or watch.segment.closed:
            watch = self.watched[key] = _Watch()
            if self.task is None:
                self.task = asyncio.ensure_future(self._follow())
            self.idle.set()
            if not self.waking:  # one waker at a time: it goes on until the read in flight covers every key
                self.waking = True
                try:
                    await self._wake()
                finally:
                    self.waking = False
        watch.subscribers += 1
        return self._read(key, watch)

    async def _read(self, key: str, watch: _Watch) -> AsyncIterator[LiveEvent]:
        try:
            async for event in read_segment(watch.segment):
                yield event
        finally:
            watch.subscribers -= 1
            if watch.subscribers <= 0 and self.watched.get(key) is watch:
                del self.watched[key]

    async def _wake(self) -> None:
        """Make the XREAD in flight (if any) return, so the next one includes the new key."""
        for _ in range(200):
            reading = self.reading
            if reading is None or not (self.watched.keys() - reading):
                return  # between reads (the next includes every key), or the read in flight covers them
            if self.conn_id is not None and await self.client.client_unblock(self.conn_id):
                return
            await asyncio.sleep(0.005)  # the XREAD is on its way to the server: unblock it once it blocks

    async def _follow(self) -> None:
        from redis.exceptions import RedisError

        failures = 0
        while True:
            if not self.watched:
                self.idle.clear()
                await self.idle.wait()
                continue
            try:
                if self.conn_id is None:
                    self.conn_id = int(await self.conn.client_id())
                streams = {key: w.last for key, w in self.watched.items()}
                self.reading = frozenset(streams)
                try:  # block_ms stays under the socket timeout
                    reply = await self.conn.xread(streams, block=self.block_ms, count=500)  # type: ignore[arg-type]
                finally:
                    self.reading = None
                if not reply or time.monotonic() - self.checked > self.block_ms / 1000:
                    await self._drop_missing()
                failures = 0
            except RedisError as exc:
                self.conn_id = None
                failures += 1
                if failures > 20:  # give up on these streams: their readers fall back to the event log
                    logger.error("runwire-server: cannot read live events from Redis: %s", exc)
                    for watch in self.watched.values():
                        watch.segment.close()
                    self.watched.clear()
                    failures = 0
                await asyncio.sleep(0.05 * failures)
                continue
            streams_read: list[tuple[str, list[tuple[str, dict[str, str]]]]] = reply or []  # type: ignore[assignment]
            for key, entries in streams_read:
                found = self.watched.get(key)
                if found is not None:
                    self._take(key, found, entries)

    def _take(self, key: str, watch: _Watch, entries: list[tuple[str, dict[str, str]]]) -> None:
        segment = watch.segment
        for entry_id, fields in entries:
            watch.last = entry_id
            kind, token = fields.get("k"), fields.get("t", "")
            if kind == "open":  # the segment, or a later one that replaced it: its readers read on into it
                watch.token = token  # (an earlier segment's entries that land later are skipped: the log has them)
                continue
            if kind == "close" and watch.token in (None, token):  # None: a stray close, in a stream never opened
                segment.close()
                if self.watched.get(key) is watch:
                    del self.watched[key]
                return
            if kind == "e" and token == watch.token:
                for i in range(int(fields.get("c", 0))):
                    segment.add(LiveEvent(int(fields[f"s{i}"]), fields[f"n{i}"], fields[f"d{i}"]))

    async def _drop_missing(self) -> None:
        """Streams that expired end their watch: the readers read the rest from the event log."""
        self.checked = time.monotonic()
        keys = list(self.watched)
        if not keys:
            return
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.exists(key)
        for key, exists in zip(keys, await pipe.execute()):
            watch = self.watched.get(key)
            if not exists and watch is not None:
                watch.segment.close()
                del self.watched[key]

    async def aclose(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.conn.aclose()


class RedisBroker(Broker):
    """Segments as Redis streams (``<prefix>events:<run_id>``), shared by every worker.

    A stream lives ``ttl`` seconds while its run is live (refreshed per flush) and ``retain`` seconds after it
    closes. Concurrent-run counts per user are Redis counters, so the limit holds across workers. Its
    connections are named ``runwire-server:<prefix>`` (``CLIENT LIST`` shows them): two or three for writing
    and one for reading, however many runs and streams this worker has.
    """

    def __init__(self, url: str, *, prefix: str = "runwire:server:", retain: float = RETAIN_SECONDS,
                 ttl: int = 24 * 3600, block_ms: int = 2_000, max_connections: int = 64) -> None:
        import redis.asyncio as aioredis

        self.url, self.prefix, self.retain, self.ttl, self.block_ms = url, prefix, retain, ttl, block_ms
        name = f"runwire-server:{prefix}"
        self.client = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5,
                                              max_connections=max_connections, client_name=name)
        self.local = MemoryBroker()  # the runs this worker drives: their streams here skip Redis
        self.writer = _Writer(self.client, self._key, ttl)  # run counts, openings: what a run waits for to start
        self.events = _Writer(self.client, self._key, ttl)  # events, then their segment's close, in order
        self.follower = _Follower(url, self.client, block_ms, name)

    def _key(self, run_id: str) -> str:
        return f"{self.prefix}events:{run_id}"

    async def open(self, run_id: str) -> SegmentHandle:
        """Returns once Redis holds the new segment: a client told of the run may then watch it from any worker."""
        handle = SegmentHandle.new(run_id)  # its token tags the segment's entries and close in Redis
        key = self._key(run_id)

        def build(pipe: Any) -> None:
            pipe.eval(_OPEN, 1, key, self.ttl, handle.token)  # one step: no reader finds the key gone or half replaced

        await self.writer.call(build)
        self.local.start(handle)
        return handle

    async def publish(self, segment: SegmentHandle, event: LiveEvent) -> None:
        if segment in self.local.live:  # (readers elsewhere skip it once a later segment replaced it)
            await self.local.publish(segment, event)
            self.events.publish(segment.run_id, segment.token, event)

    async def close(self, segment: SegmentHandle) -> None:
        if segment not in self.local.live:
            return
        await self.local.close(segment)
        key, retain, token = self._key(segment.run_id), int(self.retain), segment.token

        def build(pipe: Any) -> None:
            pipe.eval(_CLOSE, 1, key, token, retain)  # written only while the stream holds this segment

        try:
            await self.events.call(build)  # after the segment's events
        except Exception as exc:  # readers elsewhere find the stream expired, then read the log
            logger.error("runwire-server: could not close the live stream of run %s in Redis: %s", segment.run_id, exc)

    async def subscribe(self, run_id: str, *, started_here: bool = False) -> Optional[AsyncIterator[LiveEvent]]:
        """The segment this worker drives, from memory, while it is the stream's in Redis; else the stream's.

        A paused run continued on another worker before this one closed its segment: the continue's is read.
        """
        key = self._key(run_id)
        token: Optional[str] = None
        if started_here:  # the request that launched the run here: no continue can have replaced it yet
            return await self.local.subscribe(run_id)
        if run_id in self.local.current:
            try:
                first, = await self.writer.call(lambda pipe: pipe.xrange(key, count=1))
                token = first[0][1].get("t") if first else None
            except Exception as exc:  # Redis out of reach: this worker's segment is the one it knows
                logger.error("runwire-server: could not read the live stream of run %s in Redis: %s", run_id, exc)
            here = self.local.current.get(run_id)  # (as of now: an open here goes to Redis first)
            if here is not None and token in (None, here.token):  # None: Redis lost it; this worker has it all
                return read_segment(self.local.live[here])
        watch = self.follower.watched.get(key)
        if token is None and (watch is None or watch.segment.closed):
            exists, = await self.writer.call(lambda pipe: pipe.exists(key))
            if not exists:
                return None
        return await self.follower.watch(key)

    def _count_key(self, user_id: str) -> str:
        return f"{self.prefix}active:{json.dumps(user_id)}"

    async def acquire(self, user_id: str, limit: int) -> bool:
        key = self._count_key(user_id)

        def build(pipe: Any) -> None:
            pipe.incr(key)
            pipe.expire(key, self.ttl)

        count, _ = await self.writer.call(build)
        if int(count) > limit:
            await self.writer.call(lambda pipe: pipe.decr(key))
            return False
        return True

    async def release(self, user_id: str) -> None:
        key = self._count_key(user_id)
        await self.writer.call(lambda pipe: pipe.decr(key))

    async def aclose(self) -> None:
        await self.events.aclose()
        await self.writer.aclose()
        await self.follower.aclose()
        await self.client.aclose()
