"""Each served agent as an MCP server (Streamable HTTP) at ``/mcp/{agent_id}``, behind the server's auth.

Needs runwire-mcp. Every request must carry a credential ``current_user`` accepts
(401 otherwise); an MCP session serves only the user who opened it; the run an
MCP call starts belongs to that request's user and is stored in the server's
storage, so ``GET /runs/{id}`` shows it to them alone.
"""

from __future__ import annotations

import contextlib
import importlib.util
from typing import TYPE_CHECKING, Any, AsyncIterator, Optional

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from runwire.agent import Agent

    from runwire_server.app import ServerState

USER_KEY = "runwire_user_id"  # where the endpoint leaves the authenticated user in the request's state


def mcp_available() -> bool:
    """True when runwire-mcp (and so the MCP SDK) is installed."""
    return importlib.util.find_spec("runwire_mcp") is not None


def _user_of(ctx: "Context") -> Optional[str]:
    request = ctx.request_context.request
    user_id = getattr(request.state, USER_KEY, None) if isinstance(request, Request) else None
    return user_id if isinstance(user_id, str) else None


class MCPEndpoint:
    """The ASGI app of ``/mcp/{agent_id}``: authenticates, then hands the request to that agent's MCP server."""

    def __init__(self, agents: dict[str, "Agent"]) -> None:
        from mcp.server.transport_security import TransportSecuritySettings
        from runwire_mcp.server import agent_server

        # Every request needs a bearer credential, which a rebinding page cannot send: no Host/Origin allow-list.
        security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
        self.managers: dict[str, StreamableHTTPSessionManager] = {}
        for agent_id, agent in agents.items():
            server = agent_server(agent, user_id_for=_user_of)
            server.streamable_http_app(streamable_http_path="/", transport_security=security)
            self.managers[agent_id] = server.session_manager

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run every session manager (Starlette does not run a mounted app's lifespan)."""
        async with contextlib.AsyncExitStack() as stack:
            for manager in self.managers.values():
                await stack.enter_async_context(manager.run())
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from fastapi.responses import JSONResponse
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        from runwire_server.app import authenticate, unauthorized_detail

        request = Request(scope, receive)
        state: ServerState = request.app.state.runwire
        user_id = await authenticate(state, request.headers.get("authorization"))
        if user_id is None:
            response: Any = JSONResponse({"detail": unauthorized_detail(state)}, 401,
                                         headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        manager = self.managers.get(scope["path_params"]["agent_id"])
        if manager is None:
            response = JSONResponse({"detail": f"no agent {scope['path_params']['agent_id']!r}: see GET /agents"}, 404)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[USER_KEY] = user_id
        # The SDK binds an MCP session to the principal that opened it: another user's requests in it get 404.
        scope["user"] = AuthenticatedUser(AccessToken(token="", client_id=user_id, subject=user_id, scopes=[]))
        await manager.handle_request(scope, receive, send)
