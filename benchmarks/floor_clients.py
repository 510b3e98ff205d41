"""Clients without a framework, for the HTTP benchmarks' floors: a raw asyncio-socket HTTP/1.1 client
(the floor quoted in targets), bare httpx, bare aiohttp and bare runwire_openai.http11 (the candidates for
runwire-openai's transport; http11 is the one it uses).

Each does a whole workload the way a careful hand-written client would: keep-alive
connections, JSON bodies, SSE parsed line by line, tool calls assembled from fragments.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any, Optional
from urllib.parse import urlsplit

Calls = list[dict[str, str]]


def assemble(chunks: list[dict[str, Any]]) -> tuple[str, Calls]:
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text.append(delta["content"])
            for frag in delta.get("tool_calls") or ():
                slot = calls.setdefault(frag.get("index", 0), {"id": "", "name": "", "args": ""})
                slot["id"] = frag.get("id") or slot["id"]
                function = frag.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["args"] += function.get("arguments") or ""
    return "".join(text), list(calls.values())


def from_completion(data: dict[str, Any]) -> tuple[str, Calls]:
    message = data["choices"][0]["message"]
    calls = [{"id": c["id"], "name": c["function"]["name"], "args": c["function"]["arguments"]}
             for c in message.get("tool_calls") or ()]
    return message.get("content") or "", calls


class RawSocketClient:
    """HTTP/1.1 on asyncio streams: a pool of idle keep-alive connections, nothing else."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path.rstrip("/") + "/chat/completions"
        self.head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {key}\r\n"
                     "Content-Type: application/json\r\nContent-Length: ").encode()
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle:
            return self.idle.pop()
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    async def chat(self, body: dict[str, Any]) -> tuple[str, Calls]:
        payload = json.dumps(body).encode()
        reader, writer = await self._connection()
        writer.write(self.head + b"%d\r\n\r\n" % len(payload) + payload)
        head = (await reader.readuntil(b"\r\n\r\n")).lower()
        if b"transfer-encoding: chunked" in head:
            events: list[dict[str, Any]] = []
            buffer = b""
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
                if size == 0:
                    await reader.readexactly(2)
                    break
                buffer += (await reader.readexactly(size + 2))[:-2]
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.startswith(b"data: {"):
                        events.append(json.loads(line[6:]))
            result = assemble(events)
        else:
            length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
            result = from_completion(json.loads(await reader.readexactly(length)))
        self.idle.append((reader, writer))
        return result

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


class HttpxClient:
    def __init__(self, url: str, key: str) -> None:
        import httpx

        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        self.http = httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60, limits=limits)

    async def chat(self, body: dict[str, Any]) -> tuple[str, Calls]:
        content = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if not body.get("stream"):
            response = await self.http.post("/chat/completions", content=content, headers=headers)
            return from_completion(json.loads(response.content))
        events = []
        async with self.http.stream("POST", "/chat/completions", content=content, headers=headers) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    events.append(json.loads(line[6:]))
        return assemble(events)

    async def aclose(self) -> None:
        await self.http.aclose()


_OPEN: list[Any] = []


async def close_all() -> None:
    """Close the clients made so far (their pools)."""
    while _OPEN:
        await _OPEN.pop().aclose()


class AiohttpClient:
    def __init__(self, url: str, key: str) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.session: Optional[Any] = None

    async def chat(self, body: dict[str, Any]) -> tuple[str, Calls]:
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
            _OPEN.append(self)
        async with self.session.post(self.url, data=json.dumps(body).encode(), headers=self.headers) as response:
            if not body.get("stream"):
                return from_completion(json.loads(await response.read()))
            events = []
            async for line in response.content:
                if line.startswith(b"data: {"):
                    events.append(json.loads(line[6:]))
            return assemble(events)

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


class Http11Client:
    """runwire-openai's own HTTP/1.1 client (``runwire_openai.http11``) without runwire: the transport alone."""

    def __init__(self, url: str, key: str) -> None:
        from runwire_openai.http11 import Target

        self.target = Target(url.rstrip("/") + "/chat/completions",
                             {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        self.pool: Optional[Any] = None

    async def chat(self, body: dict[str, Any]) -> tuple[str, Calls]:
        from runwire_openai.http11 import Pool

        if self.pool is None:
            self.pool = Pool(timeout=60, max_connections=1000)
            _OPEN.append(self)
        response = await self.pool.post(self.target, json.dumps(body).encode())
        try:
            if not body.get("stream"):
                return from_completion(json.loads(await response.read(1 << 30)))
            events: list[dict[str, Any]] = []
            buffer = b""
            async for piece in response.iter_any():
                buffer += piece
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.startswith(b"data: {"):
                        events.append(json.loads(line[6:]))
            return assemble(events)
        finally:
            response.release()

    async def aclose(self) -> None:
        if self.pool is not None:
            self.pool.close()
