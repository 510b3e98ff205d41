"""The lean path through a real HTTP proxy nobody here wrote: proxy.py (from PyPI), run as a subprocess with
basic auth. Its access log shows what went through it."""

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runwire.agent import Agent
from runwire.exceptions import RunFailedError
from runwire.testing.openai_stub import OpenAIStub
from runwire_openai import OpenAIChat

KEY = "sk-canary-0a1b2c3d4e5f60718293a4b5"
PASSWORD = "pa55-w0rd-canary"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class ProxyServer:
    """proxy.py on a free port of 127.0.0.1, asking for ``user:PASSWORD``; ``url(password)`` to reach it."""

    def __init__(self, folder: Path) -> None:
        self.log = folder / "proxy.log"
        port_file = folder / "proxy.port"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
             "--num-workers", "1", "--num-acceptors", "1", "--basic-auth", f"user:{PASSWORD}", "--log-level", "INFO",
             "--log-file", str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"proxy.py did not start: {self.log.read_text() if self.log.exists() else ''}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def url(self, password: str = PASSWORD) -> str:
        return f"http://user:{password}@127.0.0.1:{self.port}"

    async def access(self, what: str, count: int) -> list[str]:
        """The access-log lines naming ``what``, once there are ``count`` of them (proxy.py writes one when a
        client's connection ends), or what there is after 10 s."""
        deadline = time.monotonic() + 10
        while True:
            lines = [line for line in self.log.read_text().splitlines() if "access_log" in line and what in line]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group it started (its workers), and only that
        except ProcessLookupError:
            pass
        self.process.wait(10)


@pytest.fixture(scope="module")
def proxy_server(tmp_path_factory):
    server = ProxyServer(tmp_path_factory.mktemp("proxy"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def completion(text: str) -> bytes:
    return json.dumps({"id": "c1", "object": "chat.completion", "model": "m",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()


class TLSServer:
    """An https chat server for ``localhost`` that answers every request with one completion."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.connections = 0
        self.requests = 0

    async def __aenter__(self) -> "TLSServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.context)
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f"https://localhost:{self.port}/v1"
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]))
                self.requests += 1
                body = completion(f"over TLS {self.requests}")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def model_for(url: str, **options) -> OpenAIChat:
    return OpenAIChat(id="m", base_url=url, api_key=KEY, max_retries=0, **options)


@pytest.fixture
def tls_server_context(tls_files, monkeypatch):
    cert, key = tls_files
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts it as any system CA
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_an_http_target_goes_through_the_proxy_of_the_environment(proxy_server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url())
    with OpenAIStub(["one", "two", "three"]) as stub:
        model = model_for(stub.url)
        agent = Agent(model=model)
        assert [(await agent.arun(p)).content for p in ("a", "b")] == ["one", "two"]
        chunks = [e.content async for e in agent.arun("c", stream=True) if e.event == "RunContent"]
        assert "".join(chunks) == "three"  # a streamed answer through the proxy too
        await model.aclose()
        port = stub.url.split(":")[2].split("/")[0]
        # proxy.py logs a client's connection when it ends: one, kept alive across the three runs
        lines = await proxy_server.access(f"POST 127.0.0.1:{port}/v1/chat/completions", 1)
        assert len(lines) == 1 and "200 OK" in lines[0]
        assert len(stub.requests) == 3 and stub.connections == 1
        assert PASSWORD not in proxy_server.log.read_text()


async def test_an_https_target_goes_through_one_connect_tunnel_that_is_reused(proxy_server, tls_server_context):
    async with TLSServer(tls_server_context) as server:
        model = model_for(server.url, proxy=proxy_server.url())  # the option: no environment needed
        agent = Agent(model=model)
        answers = [(await agent.arun(p)).content for p in ("a", "b", "c")]
        assert answers == ["over TLS 1", "over TLS 2", "over TLS 3"]
        await asyncio.gather(agent.arun("d"), agent.arun("e"))  # two at once: a second tunnel
        assert server.connections == 2
        await model.aclose()
        lines = await proxy_server.access(f"CONNECT localhost:{server.port}", 2)
        assert len(lines) == 2


async def test_no_proxy_and_proxy_false_go_direct(monkeypatch):
    with socket.socket() as closed:  # a port where no proxy listens: a request sent there fails
        closed.bind(("127.0.0.1", 0))
        dead_proxy = f"http://user:{PASSWORD}@127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", dead_proxy)
    with OpenAIStub(["direct"] * 3) as stub:
        with pytest.raises(RunFailedError, match=r"through the proxy http://127\.0\.0\.1:\d+") as failed:
            await Agent(model=model_for(stub.url)).arun("x")
        assert PASSWORD not in str(failed.value)

        assert (await Agent(model=model_for(stub.url, proxy=False)).arun("x")).content == "direct"
        monkeypatch.setenv("NO_PROXY", "example.com, 127.0.0.1")
        assert (await Agent(model=model_for(stub.url)).arun("x")).content == "direct"
        monkeypatch.setenv("NO_PROXY", "*")
        assert (await Agent(model=model_for(stub.url)).arun("x")).content == "direct"
        assert len(stub.requests) == 3


async def test_wrong_proxy_credentials_are_a_clear_error_without_the_password(proxy_server, tls_server_context):
    wrong = "wr0ng-pa55-canary"
    async with TLSServer(tls_server_context) as server:
        model = model_for(server.url, proxy=proxy_server.url(wrong))
        with pytest.raises(RunFailedError, match=r"proxy http://127\.0\.0\.1:\d+ refused to open a tunnel to "
                                                 r"localhost:\d+ \(status 407 .*user and password") as failed:
            await Agent(model=model).arun("x")
        assert server.connections == 0
    with OpenAIStub(["never"]) as stub:
        model = model_for(stub.url, proxy=proxy_server.url(wrong))
        with pytest.raises(RunFailedError, match="407.*user and password in the proxy URL") as failed_http:
            await Agent(model=model).arun("x")
        assert stub.requests == []
        await model.aclose()
    for error in (failed.value, failed_http.value):
        text = f"{error} {error.__cause__!r} {error.__context__!r} {model!r}"
        assert wrong not in text and "user:" not in text


def test_proxy_urls_that_cannot_be_used_are_refused_before_anything_is_sent(monkeypatch):
    with OpenAIStub(["never"]) as stub:
        with pytest.raises(RunFailedError, match="https:// proxy URLs .* not supported"):
            Agent(model=model_for(stub.url, proxy=f"https://user:{PASSWORD}@127.0.0.1:1")).run("x")
        monkeypatch.setenv("HTTP_PROXY", f"socks5://user:{PASSWORD}@127.0.0.1:1")
        with pytest.raises(RunFailedError, match=r"not an http:// URL with a host") as failed:
            Agent(model=model_for(stub.url)).run("x")
        assert PASSWORD not in str(failed.value)
        assert stub.requests == []
    with pytest.raises(TypeError, match="proxy URL, False or None"):
        OpenAIChat(id="m", api_key=KEY, proxy=True)  # type: ignore[arg-type]


async def test_the_official_client_takes_the_same_proxy_option(proxy_server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # (discard: nothing listens) unused by either model
    with OpenAIStub(["via the proxy", "direct"]) as stub:
        through = model_for(stub.url, proxy=proxy_server.url(), use_sdk=True)
        assert (await Agent(model=through).arun("x")).content == "via the proxy"
        await through.aclose()
        direct = model_for(stub.url, proxy=False, use_sdk=True)
        assert (await Agent(model=direct).arun("x")).content == "direct"
        await direct.aclose()
        port = stub.url.split(":")[2].split("/")[0]
        assert len(await proxy_server.access(f"POST 127.0.0.1:{port}/v1/chat/completions", 1)) == 1
