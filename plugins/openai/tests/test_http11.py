"""runwire-openai's HTTP/1.1 client against servers that misbehave, over real sockets: each server here is a
real asyncio socket server that writes exactly the bytes a test gives it."""

import asyncio
import gzip
import json
import ssl
import subprocess
import zlib

import pytest

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing.openai_stub import OpenAIStub
from runwire_openai import OpenAIChat

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
    """Answers each request with what ``respond(index, request_body)`` returns (sync or async): bytes to write,
    ``(bytes, "close")`` to close the connection after them, or None to close it without an answer."""

    def __init__(self, respond, *, tls: ssl.SSLContext | None = None) -> None:
        self.respond = respond
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.open = 0
        self.most_open = 0

    async def __aenter__(self) -> "RawServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://{'localhost' if self.tls else '127.0.0.1'}:{port}/v1"
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                out = self.respond(len(self.requests) - 1, body)
                if asyncio.iscoroutine(out):
                    out = await out
                if out is None:
                    break
                close = isinstance(out, tuple)
                writer.write(out[0] if close else out)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


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


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


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
