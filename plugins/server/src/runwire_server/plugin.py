"""The runwire plugin: ``runwire serve app:agents`` and ``runwire server-key USER``."""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import os
import secrets
import sys
from typing import Any

from runwire import hookimpl

TARGET_ENV = "RUNWIRE_SERVER_TARGET"
DB_ENV = "RUNWIRE_SERVER_DB"
REDIS_ENV = "RUNWIRE_SERVER_REDIS"
INSECURE_ENV = "RUNWIRE_SERVER_INSECURE_NO_AUTH"
REDIS_PREFIX_ENV = "RUNWIRE_SERVER_REDIS_PREFIX"  # keys under another prefix than runwire:server:
MAX_RUNS_ENV = "RUNWIRE_SERVER_MAX_RUNS_PER_USER"
MAX_BODY_ENV = "RUNWIRE_SERVER_MAX_BODY_BYTES"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_target(target: str) -> Any:
    """``module:attr`` (or ``path/to/file.py:attr``): an Agent, a list or dict of Agents, or a callable returning them."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise SystemExit(f"runwire serve: expected MODULE:NAME (e.g. app:agents), got {target!r}")
    if module_name.endswith(".py"):
        directory, module_name = os.path.split(module_name[:-3])
        sys.path.insert(0, os.path.abspath(directory or "."))
    elif os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name.replace("/", "."))
    try:
        return getattr(module, attr)
    except AttributeError:
        raise SystemExit(f"runwire serve: module {module_name!r} has no {attr!r}") from None


def app_from_env() -> Any:
    """The app for one uvicorn worker, from the settings ``runwire serve`` put in the environment."""
    from runwire_server.app import create_app
    from runwire_server.auth import InsecureNoAuth

    auth = InsecureNoAuth() if os.environ.get(INSECURE_ENV) == "1" else None
    redis, broker = os.environ.get(REDIS_ENV) or None, None
    if redis and os.environ.get(REDIS_PREFIX_ENV):
        from runwire_server.redis_broker import RedisBroker

        broker = RedisBroker(redis, prefix=os.environ[REDIS_PREFIX_ENV])
    limits: dict[str, Any] = {name: int(os.environ[env]) for name, env in (
        ("max_runs_per_user", MAX_RUNS_ENV), ("max_body_bytes", MAX_BODY_ENV)) if os.environ.get(env)}
    return create_app(load_target(os.environ[TARGET_ENV]), db=os.environ.get(DB_ENV) or None, auth=auth,
                      redis=redis, broker=broker, **limits)


def configure_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="MODULE:NAME naming an Agent, a list or dict of Agents, or a callable returning them")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7777, help="port (default 7777)")
    parser.add_argument("--db", default=None, help="storage URL (default $RUNWIRE_DB or sqlite:///runwire.db)")
    parser.add_argument("--redis", default=None,
                        help="Redis URL shared by the workers (default $RUNWIRE_CANCELLATION when it is redis://)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (more than 1 needs PostgreSQL and Redis)")
    parser.add_argument("--insecure-no-auth", action="store_true",
                        help="accept every request as user 'local' (loopback hosts only, for development)")
    parser.add_argument("--max-runs-per-user", type=int, default=None, help="live runs per user before 429 (default 16)")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="request body limit before 413 (default 10 MB)")
    parser.add_argument("--log-level", default="info", help="uvicorn log level: critical, error, warning, info, debug or trace (default: info)")


def serve_settings(args: argparse.Namespace, environ: Any = None) -> dict[str, str]:
    """Check the options and return the environment for the workers; SystemExit with what to do when refused."""
    from runwire_server.auth import HOW_TO_ADD_AUTH, auth_from_env

    env = os.environ if environ is None else environ
    db = args.db or env.get("RUNWIRE_DB") or "sqlite:///runwire.db"
    cancellation = env.get("RUNWIRE_CANCELLATION", "")
    redis = args.redis or (cancellation if cancellation.startswith(("redis://", "rediss://")) else "")
    if args.insecure_no_auth and not is_loopback(args.host):
        raise SystemExit(f"runwire serve: --insecure-no-auth is for loopback development only, not --host {args.host}; "
                         f"to serve on the network, {HOW_TO_ADD_AUTH}")
    if not args.insecure_no_auth and not auth_from_env(dict(env)).configured and not is_loopback(args.host):
        raise SystemExit(f"runwire serve: refusing to serve on {args.host} without authentication: {HOW_TO_ADD_AUTH}")
    if args.workers < 1:
        raise SystemExit("runwire serve: --workers must be at least 1")
    if args.workers > 1 and (not db.startswith(("postgresql://", "postgres://", "postgresql+")) or not redis):
        raise SystemExit("runwire serve: --workers > 1 needs a shared event log and live events: give "
                         "--db postgresql://... and --redis redis://... (or RUNWIRE_CANCELLATION=redis://...)")
    settings = {TARGET_ENV: args.target, DB_ENV: db, REDIS_ENV: redis, INSECURE_ENV: "1" if args.insecure_no_auth else "0"}
    for flag, value, env_name in (("--max-runs-per-user", args.max_runs_per_user, MAX_RUNS_ENV),
                                  ("--max-body-bytes", args.max_body_bytes, MAX_BODY_ENV)):
        if value is not None:
            if value < 1:
                raise SystemExit(f"runwire serve: {flag} must be at least 1")
            settings[env_name] = str(value)
    if redis and not cancellation:
        settings["RUNWIRE_CANCELLATION"] = redis  # cancel reaches the worker running the run
    return settings


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = serve_settings(args)
    os.environ.update(settings)
    load_target(args.target)  # fail here, once, with a clear error, rather than in every worker
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    from runwire_server import workers

    if args.workers > 1 and workers.supported():  # a socket per worker: connections spread evenly over them
        return workers.run_workers(args.host, args.port, args.workers, args.log_level, settings)
    uvicorn.run("runwire_server.plugin:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level=args.log_level, timeout_graceful_shutdown=10)
    return 0


def configure_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_id", help="the user the key belongs to")


def run_key(args: argparse.Namespace) -> int:
    from runwire_server.auth import hash_key

    key = "rw_" + secrets.token_urlsafe(32)
    print(f"API key (give it to {args.user_id}; it is not stored anywhere): {key}")
    print("line for the RUNWIRE_SERVER_KEYS file:")
    print(f"{args.user_id}:{hash_key(key)}")
    return 0


@hookimpl
def runwire_register_commands(register: Any) -> None:
    register("serve", configure_serve, run_serve, help="serve agents over HTTP (runwire-server)")
    register("server-key", configure_key, run_key, help="make an API key for runwire serve, stored hashed")
