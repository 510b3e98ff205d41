"""Fixtures: the reference MCP server from npm, free ports, and MCP servers written as scripts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).parent / "node"
EVERYTHING = NODE_DIR / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"


@pytest.fixture(scope="session")
def everything() -> list[str]:
    """The command starting ``@modelcontextprotocol/server-everything`` (pinned in node/package.json) over stdio."""
    node = shutil.which("node")
    if node is None or not EVERYTHING.is_file():
        why = "node is not on PATH" if node is None else f"{EVERYTHING} is missing"
        hint = f"{why}; install it with: npm ci --prefix {NODE_DIR.relative_to(Path.cwd()) if NODE_DIR.is_relative_to(Path.cwd()) else NODE_DIR}"
        if os.environ.get("RUNWIRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"the reference MCP server is required (RUNWIRE_REQUIRE_SERVICES=1): {hint}")
        pytest.skip(hint)
    return [node, str(EVERYTHING), "stdio"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_server(directory: Path, body: str, name: str = "server.py") -> Path:
    """An MCP server script (MCPServer of the official SDK) with ``body`` defining its tools as ``mcp``."""
    path = directory / name
    path.write_text("import os, sys, asyncio\nfrom mcp.server.mcpserver import MCPServer, Context\n"
                    + textwrap.dedent(body))
    return path


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    for _ in range(600):  # a bound on attempts, not a timed assertion
        if process.poll() is not None:
            out = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {out}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[object]:
    """Starts an MCP server script over Streamable HTTP (real uvicorn on a free port); yields a starter."""
    processes: list[subprocess.Popen] = []

    def start(body: str, transport: str = "streamable-http") -> str:
        port = free_port()
        script = write_server(tmp_path, body + textwrap.dedent(f"""
            import uvicorn
            app = mcp.streamable_http_app() if {transport!r} == "streamable-http" else mcp.sse_app()
            uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
        """), name=f"http_server_{port}.py")
        process = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)
        processes.append(process)
        wait_for_port(port, process, "the MCP test server")
        return f"http://127.0.0.1:{port}/" + ("mcp" if transport == "streamable-http" else "sse")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
