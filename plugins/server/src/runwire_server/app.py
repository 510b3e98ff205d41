"""``create_app``: the FastAPI application serving agents (runs, resumable event streams, sessions, AG-UI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Mapping, Optional, Sequence, Union

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from runwire.agent import Agent
from runwire.storage import Storage, resolve_storage

from runwire_server.auth import HOW_TO_ADD_AUTH, AuthConfig, as_auth_config
from runwire_server.broker import Broker, MemoryBroker
from runwire_server.limits import BodyLimit
from runwire_server.runs import RunManager

logger = logging.getLogger("runwire.server")

DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_MAX_RUNS_PER_USER = 16

AgentsSpec = Union[Agent, Sequence[Agent], Mapping[str, Agent]]


@dataclass
class ServerState:
    """What every request of one app shares."""

    agents: dict[str, Agent]
    storage: Storage
    broker: Broker
    runs: RunManager
    auth: AuthConfig
    ping_seconds: float


def collect_agents(agents: Any) -> dict[str, Agent]:
    """Agents by id from an Agent, a list or dict of them, or a callable returning one of those."""
    if callable(agents) and not isinstance(agents, Agent):
        agents = agents()
    if isinstance(agents, Agent):
        items: list[tuple[Optional[str], Any]] = [(None, agents)]
    elif isinstance(agents, Mapping):
        items = list(agents.items())
    elif isinstance(agents, (list, tuple)):
        items = [(None, a) for a in agents]
    else:
        raise TypeError(f"expected an Agent, a list or dict of Agents, or a callable returning them; got {agents!r}")
    found: dict[str, Agent] = {}
    for key, agent in items:
        if not isinstance(agent, Agent):
            raise TypeError(f"{agent!r} is not a runwire Agent")
        if key is not None and agent._id is None and agent.name is None:
            agent._id = str(key)  # a dict key names an agent that has neither id nor name
        if agent.id in found:
            raise ValueError(f"two agents have the id {agent.id!r}: give them distinct id= or name=")
        found[agent.id] = agent
    if not found:
        raise ValueError("no agents to serve")
    return found


def _storage_for(agents: dict[str, Agent], db: Any) -> Storage:
    if db is None:
        given = [a.get_storage() for a in agents.values() if a.db is not None]
        db = given[0] if given else os.environ.get("RUNWIRE_DB", "sqlite:///runwire.db")
    storage = resolve_storage(db)
    storage.coalesce_content = False  # one seq per event: a stream resumes from any event
    for agent in agents.values():
        agent.db, agent._storage = storage, storage  # every run of this app goes to one event log
    return storage


def _broker_for(redis: Optional[str], broker: Optional[Broker]) -> Broker:
    if broker is not None:
        return broker
    if redis:
        from runwire_server.redis_broker import RedisBroker

        return RedisBroker(redis)
    return MemoryBroker()


def create_app(
    agents: AgentsSpec,
    *,
    db: Union[Storage, str, None] = None,
    auth: Any = None,
    redis: Optional[str] = None,
    broker: Optional[Broker] = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    max_runs_per_user: int = DEFAULT_MAX_RUNS_PER_USER,
    ping_seconds: float = 15.0,
    title: str = "runwire server",
    web_ui: bool = True,
    mcp: Optional[bool] = None,
) -> FastAPI:
    """The ASGI app serving ``agents``.

    ``db``: a Storage or URL (default: the agents' own, else ``$RUNWIRE_DB`` or
    ``sqlite:///runwire.db``). ``auth``: None reads ``RUNWIRE_SERVER_KEYS`` and
    ``RUNWIRE_SERVER_JWT_*`` from the environment; with nothing configured every
    endpoint but ``/health`` answers 401. ``redis``: a Redis URL through which
    several workers share live events (give them a shared PostgreSQL ``db``).
    The agents' own ``db`` is replaced by the server's storage, so every run they
    serve lands in one event log. ``web_ui``: serve the web page at ``/`` (public;
    every API call it makes needs a credential). ``mcp``: serve each agent as an
    MCP server (Streamable HTTP) at ``/mcp/{agent_id}``, behind the same auth
    (default: when runwire-mcp is installed).
    """
    served = collect_agents(agents)
    storage = _storage_for(served, db)
    live = _broker_for(redis, broker)
    auth_config = as_auth_config(auth)
    if not auth_config.configured:
        logger.warning("runwire-server: no authentication configured, so every request but /health gets 401; %s",
                       HOW_TO_ADD_AUTH)
    runs = RunManager(storage, live, max_runs_per_user=max_runs_per_user)
    state = ServerState(served, storage, live, runs, auth_config, ping_seconds)
    from runwire_server.mcp import MCPEndpoint, mcp_available

    if mcp and not mcp_available():
        raise ImportError("create_app(mcp=True) needs runwire-mcp: pip install runwire-mcp")
    mcp_endpoint = MCPEndpoint(served) if (mcp_available() if mcp is None else mcp) else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _reset_sse_exit_flag()
        await storage.setup()
        try:
            async with mcp_endpoint.running() if mcp_endpoint else contextlib.nullcontext():
                yield
        finally:
            await runs.aclose()
            await live.aclose()
            await storage.aclose()

    app = FastAPI(title=title, lifespan=lifespan, description="runwire agents over HTTP with resumable event streams.")
    app.state.runwire = state
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)

    @app.get("/health", tags=["server"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    from runwire_server.routes import router

    app.include_router(router, dependencies=[Depends(current_user)])
    from runwire_server.agui import router as agui_router

    app.include_router(agui_router, dependencies=[Depends(current_user)])
    if mcp_endpoint is not None:
        from starlette.routing import Route

        app.router.routes.append(Route("/mcp/{agent_id}", mcp_endpoint, include_in_schema=False))
    if web_ui:
        from runwire_server.web_ui import mount_web_ui

        mount_web_ui(app)
    return app


def _reset_sse_exit_flag() -> None:
    # sse-starlette keeps a process-wide "server is exiting" flag; a second app in one process must start clean.
    with contextlib.suppress(Exception):
        from sse_starlette.sse import AppStatus

        AppStatus.should_exit = False


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.runwire
    return state


async def authenticate(state: ServerState, header: Optional[str]) -> Optional[str]:
    """The user_id an ``Authorization`` header proves, or None."""
    if state.auth.blocking:
        return await asyncio.to_thread(state.auth.authenticate, header)
    return state.auth.authenticate(header)


def unauthorized_detail(state: ServerState) -> str:
    if state.auth.configured:
        return "missing or invalid credential: send 'Authorization: Bearer <API key or JWT>'"
    return f"this server has no authentication configured, so it accepts no request: {HOW_TO_ADD_AUTH}"


async def current_user(request: Request) -> str:
    """The caller's user_id, from ``Authorization: Bearer ...`` (API key or JWT); 401 otherwise."""
    state = server_state(request)
    user_id = await authenticate(state, request.headers.get("authorization"))
    if user_id is None:
        raise HTTPException(401, unauthorized_detail(state), headers={"WWW-Authenticate": "Bearer"})
    request.state.user_id = user_id
    return user_id


def error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
