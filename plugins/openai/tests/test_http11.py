"""runwire-openai's HTTP/1.1 client against servers that misbehave, over real sockets: each server here is a
real asyncio socket server that writes exactly the bytes a test gives it."""

import asyncio
import gc
import gzip
import json
import random
import re
import ssl
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing.openai_stub import OpenAIStub
from runwire_openai import OpenAIChat, http11

KEY = "sk-canary-0a1b2c3d4e5f60718293a4b5"


def completion(text: str) -> bytes:
    return json.dumps({"id": "c1", "object": "chat.completion", "model": "m",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()


def answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def sse(*texts: str) -> bytes:
    events = [json.dumps({"choices": [{"index": 0, "delta": {"content": t}}]}) for t in texts]
    events.append(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    return "".join(f"data: {e}\n\n" for e in events).encode() + b"data: [DONE]\n\n"


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


class RawServer:
    """Answers each request with what ``respond(index, request_body)`` returns (sync or async): bytes to write
    (or a list or async iterator of pieces, written one at a time), ``(bytes, "close")`` to close the connection
    after them (``"abort"``: without closing TLS first), or None to close it without an answer."""

    def __init__(self, respond, *, tls: ssl.SSLContext | None = None) -> None:
        self.respond = respond
        self.tls = tls
        self.requests: list[bytes] = []
        self.connection_of: list[int] = []  # each request's connection (1, 2, ... as they were made)
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.handlers: set[asyncio.Task] = set()

    async def __aenter__(self) -> "RawServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://{'localhost' if self.tls else '127.0.0.1'}:{port}/v1"
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        for handler in self.handlers:
            handler.cancel()
        await asyncio.gather(*self.handlers)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.handlers.add(asyncio.current_task())
        self.connections += 1
        number = self.connections
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                self.connection_of.append(number)
                out = self.respond(len(self.requests) - 1, body)
                if asyncio.iscoroutine(out):
                    out = await out
                if hasattr(out, "__aiter__"):
                    async for piece in out:
                        writer.write(piece)
                        await writer.drain()
                    continue
                if out is None:
                    break
                close = isinstance(out, tuple)
                pieces = out[0] if close else out
                for piece in pieces if isinstance(pieces, list) else [pieces]:
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0)  # the client reads it before the next piece (mostly)
                if close:
                    if out[1] == "abort":  # no FIN (TLS: no close_notify either)
                        writer.transport.abort()
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.CancelledError):
            pass  # (cancelled: by __aexit__, which waits for it)
        finally:
            self.open -= 1
            writer.close()
            try:  # read how the connection ended (a broken pipe when the client went first): asyncio logs it
                await writer.wait_closed()  # as "never retrieved" otherwise, whenever the collector frees it first
            except OSError:
                pass


def agent_for(url: str, **options) -> Agent:
    return Agent(model=OpenAIChat(id="m", base_url=url, api_key=KEY, max_retries=options.pop("max_retries", 0),
                                  **options))


async def test_a_kept_alive_connection_the_server_closed_is_replaced_without_an_error():
    # the second request finds its kept-alive connection closed by the server (as at the end of a
    # keep-alive timeout) before any answer: it goes again on a fresh connection, not as a retry
    async with RawServer(lambda i, body: None if i == 1 else answer(completion(f"answer {i}"))) as server:
        agent = agent_for(server.url)  # max_retries=0
        assert (await agent.arun("one")).content == "answer 0"
        assert (await agent.arun("two")).content == "answer 2"
        assert server.connections == 2
        await agent.get_model().aclose()


async def test_when_every_kept_alive_connection_went_stale_the_request_goes_on_a_new_one():
    def respond(i, body):  # the server forgot its first two connections (as after a restart)
        return None if i >= 2 and server.connection_of[i] <= 2 else answer(completion(f"answer {i}"))

    async with RawServer(respond) as server:
        agent = agent_for(server.url)  # max_retries=0
        await asyncio.gather(agent.arun("one"), agent.arun("two"))
        assert server.connections == 2  # both kept alive
        assert (await agent.arun("three")).content == "answer 3"  # one stale try, then a new connection
        await agent.get_model().aclose()


async def test_connection_close_and_a_body_that_ends_with_the_connection():
    def respond(i, body):
        if i == 0:
            return answer(completion("closing"), "Connection: close"), "close"
        # no length, not chunked: the body ends when the server closes the connection
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + completion("until eof"), "close"

    async with RawServer(respond) as server:
        agent = agent_for(server.url)
        assert (await agent.arun("one")).content == "closing"
        assert (await agent.arun("two")).content == "until eof"
        assert server.connections == 2
        await agent.get_model().aclose()


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_answers_are_decoded(encoding):
    compress = gzip.compress if encoding == "gzip" else zlib.compress

    def respond(i, body):
        if json.loads(body)["stream"]:
            return (f"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: {encoding}\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n").encode() + chunked(compress(sse("Hel", "lo")))
        return answer(compress(completion("zipped")), f"Content-Encoding: {encoding}")

    async with RawServer(respond) as server:
        agent = agent_for(server.url)
        assert (await agent.arun("x")).content == "zipped"
        chunks = [e.content async for e in agent.arun("x", stream=True) if e.event == "RunContent"]
        assert chunks == ["Hel", "lo"]
        assert server.connections == 1
        await agent.get_model().aclose()


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n{}",
    b"NOT HTTP AT ALL\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    answer(b"{}") + answer(b"{}"),  # two answers to one request
], ids=["bad-length", "not-http", "huge-header", "two-answers"])
async def test_a_malformed_answer_is_a_clear_model_error_and_the_connection_is_not_reused(reply):
    async with RawServer(lambda i, body: reply if i == 0 else answer(completion("fine"))) as server:
        agent = agent_for(server.url)
        with pytest.raises(RunFailedError, match="the server") as failed:
            await agent.arun("x")
        assert KEY not in str(failed.value)
        assert (await agent.arun("again")).content == "fine"  # a fresh connection, not the poisoned one
        assert server.connections == 2
        await agent.get_model().aclose()


async def test_a_server_that_stops_answering_times_out():
    async def stall(i, body):
        if i == 0:
            return b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" + \
                chunked(b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n')[:-5]
        return answer(completion("fine"))

    async with RawServer(stall) as server:
        agent = agent_for(server.url, timeout=0.5)
        events = [e async for e in agent.arun("x", stream=True)]
        assert events[-1].event == "RunError" and "0.5 s" in events[-1].content
        assert [e.content for e in events if e.event == "RunContent"] == ["Hi"]
        assert (await agent.arun("again")).content == "fine"
        await agent.get_model().aclose()


async def test_a_slow_consumer_pauses_reading_instead_of_timing_out():
    texts = [f"{i:05d}" + "x" * 2000 for i in range(400)]  # ~800 KiB: more than the pool buffers

    async with RawServer(lambda i, body: b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" + chunked(sse(*texts))) as server:
        agent = agent_for(server.url, timeout=0.3)
        got = []
        async for event in agent.arun("x", stream=True):
            if event.event == "RunContent":
                got.append(event.content)
                if len(got) == 1:
                    await asyncio.sleep(0.8)  # longer than the timeout, with the server done sending
        assert got == texts
        await agent.get_model().aclose()


async def test_at_most_max_connections_requests_in_flight():
    async def slow(i, body):
        await asyncio.sleep(0.02)
        return answer(completion(json.loads(body)["messages"][-1]["content"]))

    async with RawServer(slow) as server:
        agent = agent_for(server.url, max_connections=2)
        outs = await asyncio.gather(*(agent.arun(f"q{i}") for i in range(10)))
        assert [o.content for o in outs] == [f"q{i}" for i in range(10)]
        assert server.most_open <= 2 and server.connections <= 2
        await agent.get_model().aclose()


async def test_a_cancelled_request_frees_its_place_and_its_connection_is_not_reused():
    async def respond(i, body):
        if i == 0:
            await asyncio.sleep(30)  # held: only cancelling lets the run end
        return answer(completion(f"answer {i}"))

    async with RawServer(respond) as server:
        agent = agent_for(server.url, max_connections=1)
        held = asyncio.ensure_future(agent.arun("held", run_id="held"))
        while not server.requests:
            await asyncio.sleep(0.01)
        assert await agent.acancel_run("held")
        assert (await asyncio.wait_for(held, 10)).status == "cancelled"
        out = await asyncio.wait_for(agent.arun("next"), 10)  # the one place is free again
        assert out.content == "answer 1" and server.connections == 2
        await agent.get_model().aclose()


def test_header_injection_and_bad_urls_are_refused_before_anything_is_sent():
    with OpenAIStub(["never"]) as stub:
        agent = Agent(model=OpenAIChat(id="m", base_url=stub.url, api_key=KEY, max_retries=0,
                                       default_headers={"X-Team": "a\r\nX-Admin: yes"}))
        with pytest.raises(RunFailedError, match="CR, LF or NUL"):
            agent.run("x")
        assert stub.requests == []
    with pytest.raises(RunFailedError, match=r"not an http\(s\) URL") as failed:
        Agent(model=OpenAIChat(id="m", base_url="ftp://user:secret@example.com/v1", api_key=KEY)).run("x")
    assert "secret" not in str(failed.value)


async def test_https_verifies_the_server_certificate(tls_files, monkeypatch):
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    async with RawServer(lambda i, body: answer(completion("over TLS")), tls=context) as server:
        untrusted = agent_for(server.url)
        with pytest.raises(RunFailedError, match="(?i)certificate"):
            await untrusted.arun("x")
        await untrusted.get_model().aclose()

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted as any system CA would be
        agent = agent_for(server.url)
        assert (await agent.arun("x")).content == "over TLS"
        assert (await agent.arun("y")).content == "over TLS"
        await agent.get_model().aclose()


async def test_a_tls_answer_cut_off_without_close_notify_is_not_taken_as_whole(tls_files, monkeypatch):
    # asyncio reports a TLS connection's end without close_notify as a clean end: a body framed by the
    # connection's end (no length, not chunked) is then cut short unseen, and what is inside must tell
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    events = sse("Hel", "lo")
    async with RawServer(lambda i, body: ((head + events[:events.index(b"data", 9)], "abort") if i == 0 else
                                          (head + events, "abort")), tls=context) as server:
        agent = agent_for(server.url)
        kind, message = await outcome(agent, "x", stream=True)
        assert kind == "error" and "the stream ended before the response was complete" in message
        assert await outcome(agent, "x", stream=True) == ("ok", "Hello")
        await agent.get_model().aclose()


# -- what a hostile server can send -------------------------------------------------------------------------
# Each of these must end in a result or a clear RunFailedError soon (WAIT only catches a hang), with the key
# nowhere in the message, the place in the pool given back and the pool usable by the next run.
WAIT = 20


async def check_pool_recovers(agent: Agent, answer: str = "fine") -> None:
    assert (await asyncio.wait_for(agent.arun("again"), WAIT)).content == answer
    assert agent.get_model()._pools.get()._in_flight == 0  # no public view of the pool's places
    await agent.get_model().aclose()


async def outcome(agent: Agent, prompt: str, stream: bool) -> tuple[str, str]:
    """("ok", the content) or ("error", the message) of one run, streamed or not."""
    if not stream:
        try:
            return "ok", (await asyncio.wait_for(agent.arun(prompt), WAIT)).content
        except RunFailedError as exc:
            return "error", str(exc)
    events = [e async for e in agent.arun(prompt, stream=True)]
    if events[-1].event == "RunError":
        return "error", events[-1].content
    return "ok", "".join(e.content for e in events if e.event == "RunContent")


STATUS_LINES = [b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 500 Oops", b"HTTP/1.1 429 Slow", b"HTTP/1.1 404 No",
                b"HTTP/1.1 101 Switching Protocols", b"HTTP/1.1 000 Zero",
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK",
                b"HTTP/9.9 200 OK", b"HTTP/1.1 2000 Big", b"\x00\x01\x02", b"HTTP/1.1 200 OK\x00"]
HEADERS = [b"Connection: close", b"Connection: keep-alive", b"X-Nul: a\x00b", b"Retry-After: nan",
           b"X-Long: " + b"a" * 70_000, b"Bad Header", b" folded: x", b"Content-Encoding: br", b"Content-Length: 7"]
FRAMINGS = ["length", "length-short", "length-long", "length-huge", "length-negative", "chunked", "chunked-bad-size",
            "chunked-huge-size", "chunked-no-end", "chunked-trailer", "eof", "both"]


@st.composite
def hostile_answers(draw):
    """(stream?, the text a good answer holds, the bytes the server sends, whether it then closes). Each part is
    mostly well-formed, so that whole answers are well-formed often enough too."""
    def pick(good, bad):
        return draw(st.sampled_from(good)) if draw(st.integers(0, 7)) else draw(st.sampled_from(bad + good))

    stream = draw(st.booleans())
    text = draw(st.text("abcxyz é€", min_size=1, max_size=12))
    valid = sse(text) if stream else completion(text)
    body = {"valid": valid, "truncated": valid[:draw(st.integers(0, len(valid) - 1))],
            "garbage": draw(st.binary(max_size=64)),
            "deep": b"[" * 5000, "not-a-completion": b'{"choices": [7]}' if not stream else b"data: [1]\n\n",
            "bad-usage": completion(text).replace(b'"prompt_tokens": 1', b'"prompt_tokens": "x"'),
            "key": b'{"error": {"message": "Bearer %s is not valid"}}' % KEY.encode(),  # an echo of the request
            }[pick(["valid"], ["garbage", "deep", "not-a-completion", "bad-usage", "truncated", "key"])]
    headers = [b"Content-Type: " + (b"text/event-stream" if stream else b"application/json")]
    encoding = pick(["", "gzip", "deflate"], ["gzip-corrupt", "gzip-twice"])
    if encoding:
        headers.append(b"Content-Encoding: " + encoding.split("-")[0].encode())
        packed = gzip.compress(body) if encoding != "deflate" else zlib.compress(body)
        broken = {"gzip-corrupt": packed[:10] + b"\xff" * 8 + packed[18:], "gzip-twice": packed + packed}
        body = broken.get(encoding, packed)
    headers += pick([[]], [[h] for h in HEADERS] + [HEADERS[:2]])
    framing = pick(FRAMINGS[:1] + ["chunked", "eof"], FRAMINGS)
    cut = draw(st.integers(0, len(body)))
    if framing.startswith("length") or framing == "both":
        size = {"length-short": max(len(body) - 3, 0), "length-long": len(body) + 3, "length-huge": 10 ** 30,
                "length-negative": -1}.get(framing, len(body))
        headers.append(b"Content-Length: %d" % size)
        payload = body
    elif framing == "eof":
        payload = body
    else:
        headers.append(b"Transfer-Encoding: chunked")
        payload = chunked(body[:cut], body[cut:]) if body else chunked()
        payload = {"chunked-bad-size": b"zz\r\n" + payload, "chunked-huge-size": b"ffffffffffffffffffff\r\n" + payload,
                   "chunked-no-end": payload[:-5], "chunked-trailer": payload[:-2] + b"X-T: 1\r\n\r\n",
                   }.get(framing, payload)
    if framing == "both":
        headers.append(b"Transfer-Encoding: chunked")
    data = pick(STATUS_LINES[:1], STATUS_LINES) + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + payload
    data += pick([b""], [b"garbage", answer(b"{}")])  # after the answer
    splits = sorted(draw(st.lists(st.integers(0, len(data)), max_size=4)))
    pieces = [data[a:b] for a, b in zip([0, *splits], [*splits, len(data)], strict=True)]
    return stream, text, pieces, framing == "eof" or draw(st.booleans())


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(hostile_answers())
def test_whatever_a_server_answers_a_run_gets_its_answer_or_a_clear_error_and_the_pool_recovers(case):
    stream, text, pieces, close = case

    async def check():
        async with RawServer(lambda i, body: ((pieces, "close") if close else pieces) if i == 0
                             else answer(completion("fine"))) as server:
            agent = agent_for(server.url, timeout=0.3)
            kind, got = await outcome(agent, "x", stream)
            if kind == "ok":  # only what the server said, never something made up or mixed
                assert got == text
            else:
                assert got.startswith(("the run failed: ModelError: openai model 'm'", "openai model 'm'"))
                assert "the call failed" not in got, got  # (what provider_error says of an error it does not know)
                assert KEY not in got
            await check_pool_recovers(agent)

    asyncio.run(check())


async def endless(start: bytes, piece: bytes, every: float):
    """An answer that begins with ``start`` and then sends ``piece`` every ``every`` seconds, without end."""
    yield start
    while True:
        await asyncio.sleep(every)
        yield piece


CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("start, piece, every, error", [
    (b"HTTP/1.1 200 OK\r\nX-Pad: ", b"a" * 65536, 0, "without any body"),  # a header that never ends
    (b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 100, 0, "without any body"),  # interim answers without end
    (CHUNKED + chunked(sse("Hi").split(b"\n\n")[0] + b"\n\n")[:-2] + b"X-Trailer: ", b"a" * 65536, 0,
     "without any body"),
    (CHUNKED + b"5;ext=", b"a" * 65536, 0, "without any body"),  # a chunk extension that never ends
    (b"HTTP/1.1 200 OK\r\nX-Pad: ", b"a", 0.02, "did not answer .status line and headers. within 0.3 s"),  # slow loris
    (CHUNKED, chunked(b"x" * 65536)[:-5], 0, "line longer than"),  # server-sent events without a line's end
], ids=["header", "interim", "trailer", "chunk-extension", "slow-loris", "endless-line"])
async def test_a_server_that_sends_without_end_is_cut_off_with_a_clear_error(start, piece, every, error):
    async with RawServer(lambda i, body: endless(start, piece, every) if i == 0 else answer(completion("fine"))) \
            as server:
        agent = agent_for(server.url, timeout=0.3)
        kind, message = await outcome(agent, "x", stream=True)
        assert kind == "error" and re.search(error, message), message
        await check_pool_recovers(agent)


def bomb(line: bytes, size: int) -> bytes:
    """A gzip body of ``size`` bytes of ``line`` repeated: about a thousandth of that on the wire."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = line * (1024 * 1024 // len(line))
    return b"".join([*(packer.compress(block) for _ in range(size // len(block))), packer.flush()])


def bombing(body: bytes):
    def respond(i, request):
        if json.loads(request)["messages"][-1]["content"] != "bomb":
            return answer(completion("fine"))
        kind = b"text/event-stream" if json.loads(request)["stream"] else b"application/json"
        return b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (
            kind, len(body), body)
    return respond


@pytest.mark.parametrize("stream", [False, True])
async def test_a_decompression_bomb_fails_at_the_limit(stream, monkeypatch):
    monkeypatch.setattr(http11, "MAX_EXPANDED", 8 * 1024 * 1024)  # (256 MiB as shipped: the same, slower)
    async with RawServer(bombing(bomb(b"\0", 64 * 1024 * 1024))) as server:
        agent = agent_for(server.url)
        kind, message = await outcome(agent, "bomb", stream)
        assert kind == "error" and "expands to more than 8388608 bytes" in message, message
        await check_pool_recovers(agent)


async def test_other_runs_go_on_while_a_bomb_expands():
    # 200 MiB of blank lines (no limit is reached): expanding them took the event loop for seconds, with no
    # timeout, cancellation or other run able to act meanwhile
    async with RawServer(bombing(bomb(b":" + b" " * 254 + b"\n", 200 * 1024 * 1024))) as server:
        agent = agent_for(server.url)
        bombed = asyncio.ensure_future(outcome(agent, "bomb", stream=True))
        while len(server.requests) < 1:
            await asyncio.sleep(0.01)
        assert (await agent.arun("meanwhile")).content == "fine"
        assert not bombed.done()
        kind, message = await bombed
        assert kind == "error" and "the stream ended before the response was complete" in message
        await check_pool_recovers(agent)


@pytest.mark.parametrize("seed", range(6))
async def test_runs_cancelled_and_connections_dropped_at_random_lose_no_place_and_mix_no_answers(seed):
    rng = random.Random(seed)
    calm = False

    async def respond(i, request):
        body = json.loads(request)
        prompt = body["messages"][-1]["content"]
        events = [e + b"\n\n" for e in sse(*prompt).split(b"\n\n") if e]
        data = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(*events) if body["stream"]
                else answer(completion(prompt)))
        if calm:
            return data
        fate, cut = rng.random(), rng.randrange(1, len(data))
        await asyncio.sleep(rng.random() * 0.005)
        if fate < 0.1:
            return None  # closed before an answer (as a kept-alive connection at the server's idle timeout)
        if fate < 0.2:
            return [data[:cut]], "close"  # closed mid-answer
        return [data[:cut], data[cut:]]

    async def run(n: int):
        kind, got = await outcome(agent, f"q{n}", stream=n % 2 == 0)
        return got

    logged: list[dict] = []  # what asyncio reports: a run's task that ended in an error nobody saw, ...
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: logged.append(context))
    async with RawServer(respond) as server:
        agent = agent_for(server.url, max_connections=3, timeout=5)
        runs = [asyncio.ensure_future(run(n)) for n in range(40)]
        for task in runs:
            if rng.random() < 0.5:
                asyncio.get_running_loop().call_later(rng.random() * 0.05, task.cancel)
        outs = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), WAIT)
        for n, out in enumerate(outs):  # its own answer, a clear failure, or cancelled: never another's answer
            assert out == f"q{n}" or isinstance(out, asyncio.CancelledError) or "could not be reached" in out, (n, out)
        calm = True
        outs = await asyncio.wait_for(asyncio.gather(*(run(n) for n in range(6))), WAIT)
        assert outs == [f"q{n}" for n in range(6)]
        await check_pool_recovers(agent, "again")
    gc.collect()
    assert not logged, logged


async def test_a_stream_whose_server_goes_quiet_after_done_completes_without_waiting_for_the_timeout():
    # [DONE] and then nothing: not the chunked body's end. The answer is whole, so the run completes once the
    # short grace for the body's end has passed (not after timeout=600), and the connection is not reused.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    async with RawServer(lambda i, body: head + chunked(sse("Hel", "lo"))[:-5] if i == 0
                         else answer(completion("next"))) as server:
        agent = agent_for(server.url)  # timeout=600
        events = await asyncio.wait_for(_collect(agent.arun("x", stream=True)), 60)  # (a bound, not a timing)
        assert [e.content for e in events if e.event == "RunContent"] == ["Hel", "lo"]
        assert (await agent.arun("again")).content == "next"
        assert server.connections == 2
        await agent.get_model().aclose()


async def _collect(stream):
    return [event async for event in stream]
