"""``runwire serve --workers N`` on Linux: N uvicorn workers, each listening on its own SO_REUSEPORT socket.

With one shared listening socket (uvicorn's own ``--workers``), whichever worker wakes first accepts every
connection waiting, up to its backlog: a burst of 200 clients split 155 / 45 between two workers in our
benchmark, and the busier one set the tail latency. With a socket each in one SO_REUSEPORT group, the kernel
spreads new connections over the workers evenly. The supervisor forwards SIGINT / SIGTERM (each worker shuts
down gracefully) and restarts a worker that dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import time
from typing import Any

APP = "runwire_server.plugin:app_from_env"
RESTART_PAUSE = 1.0  # seconds between restarts of a worker that keeps dying


def supported() -> bool:
    """True where the kernel balances an SO_REUSEPORT group's connections (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Bind the address once without SO_REUSEPORT: a port already in use fails here, clearly."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise SystemExit(f"runwire serve: cannot listen on {host}:{port}: {exc.strerror}") from None


def _worker(host: str, port: int, log_level: str, settings: dict[str, str]) -> None:
    import uvicorn

    os.environ.update(settings)
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host.strip("[]"), port))
    sock.set_inheritable(True)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level=log_level,
                            timeout_graceful_shutdown=10)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(host: str, port: int, workers: int, log_level: str, settings: dict[str, str]) -> int:
    """Run ``workers`` worker processes until SIGINT or SIGTERM; returns the exit status."""
    check_port_free(host, port)
    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def start() -> Any:
        process = context.Process(target=_worker, args=(host, port, log_level, settings), daemon=False)
        process.start()
        return process

    def stop(signum: int, frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    print(f"runwire serve: worker {process.pid} exited ({process.exitcode}); starting another",
                          file=sys.stderr, flush=True)
                    time.sleep(RESTART_PAUSE)
                    processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)  # each shuts down gracefully (runs left interrupted)
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
