"""HTTP proxies for the lean path, found as httpx and requests find them.

``OpenAIChat(proxy="http://user:password@host:port")`` names one; ``proxy=None``
(the default) takes ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` from the
environment, minus the hosts ``NO_PROXY`` lists; ``proxy=False`` goes direct.
An https target is reached through a ``CONNECT`` tunnel (TLS to the target inside
it), an http target with requests in absolute form. The URL's credentials go
into ``Proxy-Authorization: Basic`` and never into a message or a repr.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import urllib.request
from typing import Callable, Literal, Optional, TypeVar, Union
from urllib.parse import unquote, urlsplit

from runwire.utils.redact import redact_url
from runwire_openai.errors import APIConnectionError

ProxyOption = Union[str, Literal[False], None]
MAX_CONNECT_ANSWER = 64 * 1024  # the proxy's status line and headers in answer to CONNECT

P = TypeVar("P", bound=asyncio.Protocol)


class Proxy:
    """An ``http://`` proxy: where it is, and the ``Proxy-Authorization`` value its URL's credentials make."""

    __slots__ = ("host", "port", "label", "authorization")

    def __init__(self, url: str) -> None:
        url = _with_scheme(url)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError(f"the proxy URL {redact_url(url)!r} is not a valid URL") from None
        if parts.scheme == "https":
            raise ValueError("https:// proxy URLs (TLS to the proxy) are not supported on the lean path: use the "
                             "proxy's http:// URL (an https target stays encrypted end to end in its CONNECT "
                             "tunnel), or use_sdk=True")
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the proxy URL {redact_url(url)!r} is not an http:// URL with a host")
        self.host = parts.hostname
        self.port = port or 80
        self.label = f"http://{authority(self.host, self.port)}"  # what messages show: no credentials
        self.authorization: Optional[str] = None
        if parts.username or parts.password:
            credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
            self.authorization = f"Basic {base64.b64encode(credentials.encode()).decode('ascii')}"

    def __repr__(self) -> str:
        return f"Proxy({self.label!r})"


def _with_scheme(url: str) -> str:
    """``url``, with ``http://`` in front when it has no scheme ("proxy:3128", as environment variables often say)."""
    return url if "://" in url else f"http://{url}"


def authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def proxy_for(option: ProxyOption, scheme: str, host: str, port: int) -> Optional[Proxy]:
    """The proxy a request to ``scheme://host:port`` goes through: ``option``'s URL, none for False or "",
    else the environment's (None when ``NO_PROXY`` lists the host)."""
    if option is False or option == "":
        return None
    if isinstance(option, str):
        return Proxy(option)
    if option is not None:
        raise TypeError(f"proxy must be a URL, False or None, not {type(option).__name__}")
    proxies = urllib.request.getproxies_environment()
    url = proxies.get(scheme) or proxies.get("all")
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # (not in typeshed)
    if not url or bypass(host if ":" in host else f"{host}:{port}", proxies):
        return None
    return Proxy(url)


def proxy_secrets(option: ProxyOption) -> list[str]:
    """The passwords of the proxy URLs in use (given or from the environment), to keep out of messages."""
    urls = [option] if isinstance(option, str) else list(urllib.request.getproxies_environment().values())
    out = []
    for url in urls:
        try:
            parts = urlsplit(_with_scheme(url))
        except ValueError:
            continue
        out += [unquote(v) for v in (parts.password,) if v]
    return out


class _ConnectAnswer(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT: its status line and headers."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proxy: Proxy) -> None:
        self.proxy = proxy
        self.data = bytearray()
        self.done: asyncio.Future[bytes] = loop.create_future()

    def data_received(self, data: bytes) -> None:
        self.data += data
        if self.done.done():
            return
        if b"\r\n\r\n" in self.data:
            self.done.set_result(bytes(self.data))
        elif len(self.data) > MAX_CONNECT_ANSWER:
            self.done.set_exception(APIConnectionError(
                f"the proxy {self.proxy.label} sent more than {MAX_CONNECT_ANSWER} bytes of headers to CONNECT"))

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if not self.done.done():
            self.done.set_exception(APIConnectionError(
                f"the proxy {self.proxy.label} closed the connection before answering CONNECT"))


async def open_tunnel(loop: asyncio.AbstractEventLoop, proxy: Proxy, host: str, port: int,
                      context: ssl.SSLContext, protocol: Callable[[], P]) -> P:
    """A TLS connection to ``host:port`` through a CONNECT tunnel of ``proxy``, run by a new ``protocol()``."""
    transport, answer = await loop.create_connection(lambda: _ConnectAnswer(loop, proxy), proxy.host, proxy.port)
    try:
        where = authority(host, port)
        lines = [f"CONNECT {where} HTTP/1.1", f"Host: {where}"]
        if proxy.authorization:
            lines.append(f"Proxy-Authorization: {proxy.authorization}")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = await answer.done
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        fields = status_line.split(" ", 2)
        status = int(fields[1]) if len(fields) > 1 and fields[0].startswith("HTTP/") and fields[1].isdigit() else 0
        if not 200 <= status < 300:
            reason = "".join(c for c in (fields[2] if len(fields) > 2 else "") if c.isprintable())[:80]
            detail = f"status {status} {reason}".strip() if status else f"not an HTTP answer: {status_line[:40]!r}"
            hint = ": check the user and password in the proxy URL" if status == 407 else ""
            raise APIConnectionError(f"the proxy {proxy.label} refused to open a tunnel to {where} ({detail}){hint}")
        if rest:
            raise APIConnectionError(f"the proxy {proxy.label} sent bytes after its answer to CONNECT")
        conn = protocol()
        tls_transport = await loop.start_tls(transport, conn, context, server_hostname=host)
        if tls_transport is None:
            raise APIConnectionError(f"the TLS handshake with {where} through the proxy {proxy.label} failed")
        conn.connection_made(tls_transport)
        return conn
    except BaseException:
        transport.abort()
        raise
