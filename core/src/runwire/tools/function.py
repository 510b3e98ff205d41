"""``Function``: a Python callable the model can call, with its JSON schema."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Generic, Optional, ParamSpec, Sequence, TypeVar, cast

from runwire.run.tool_execution import UserInputField

# Parameters filled in by runwire, never by the model.
INJECTED_PARAMS = frozenset({"agent", "run_context", "session_state", "tool_execution"})

P = ParamSpec("P")
R = TypeVar("R")


class Function(Generic[P, R]):
    """A tool: a sync or async function, or a (async) generator function.

    Generators may yield :class:`~runwire.run.agent.CustomEvent` instances, which
    are streamed as events; anything else they yield becomes part of the result.
    The argument schema comes from the type hints, or is given as a JSON schema
    with ``parameters=`` (then ``fn`` takes the arguments as keywords, and checks
    them beyond the ``required`` ones itself).
    """

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        requires_confirmation: bool = False,
        requires_user_input: bool = False,
        user_input_fields: Optional[Sequence[str]] = None,
        external_execution: bool = False,
        timeout_seconds: Optional[float] = None,
        stop_after_tool_call: bool = False,
        parameters: Optional[dict[str, Any]] = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"a tool must be callable, got {type(fn).__name__}: {fn!r}")
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be positive, got {timeout_seconds!r}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", None) or type(fn).__name__
        self._description = description
        self.requires_confirmation = requires_confirmation
        self.requires_user_input = requires_user_input or bool(user_input_fields)
        self.user_input_fields = list(user_input_fields or [])
        self.external_execution = external_execution
        self.timeout_seconds = timeout_seconds
        self.stop_after_tool_call = stop_after_tool_call
        self.kind = _kind(fn)
        # built lazily: pydantic costs nothing until a run; a given JSON schema (parameters=) is used as is
        self._schema: Any = None if parameters is None else GivenSchema(self.name, description, parameters)
        self._spec: Optional[dict[str, Any]] = None
        self._model_parameters: Optional[dict[str, Any]] = None
        params = inspect.signature(fn).parameters
        self.injected = tuple(p for p in params if p in INJECTED_PARAMS)
        unknown = [f for f in self.user_input_fields if f not in params]
        if unknown:
            raise ValueError(f"tool {self.name!r}: user_input_fields {unknown} are not parameters of the function")
        if parameters is None:
            from runwire.tools.schema import check_signature

            check_signature(fn, self.name, self.injected, documented=description is not None)

    @property
    def entrypoint(self) -> Callable[P, R]:
        """The wrapped function (Agno's name for it): ``tool.entrypoint(**args)`` runs it directly."""
        return self.fn

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Function(name={self.name!r}, kind={self.kind!r})"

    @property
    def needs_human(self) -> bool:
        return self.requires_confirmation or self.requires_user_input or self.external_execution

    @property
    def schema(self) -> Any:
        if self._schema is None:
            from runwire.tools.schema import build_schema

            self._schema = build_schema(self.fn, self.name, self._description, self.injected)
        return self._schema

    @property
    def description(self) -> str:
        return str(self.schema.description)

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON schema of the arguments the model gives (``user_input_fields`` are the human's, not its)."""
        if not self.user_input_fields:
            return cast("dict[str, Any]", self.schema.parameters)
        if self._model_parameters is None:
            params = dict(self.schema.parameters)
            hidden = set(self.user_input_fields)
            params["properties"] = {k: v for k, v in params.get("properties", {}).items() if k not in hidden}
            if "required" in params:
                params["required"] = [k for k in params["required"] if k not in hidden]
            self._model_parameters = params
        return self._model_parameters

    def spec(self) -> dict[str, Any]:
        """The OpenAI-style function spec sent to models (built once; treat it as read-only)."""
        if self._spec is None or self._spec["function"]["name"] != self.name:
            self._spec = {
                "type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
            }
        return self._spec

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Check and coerce ``arguments``; raises ``ToolArgumentsError`` naming what is wrong."""
        return cast("dict[str, Any]", self.schema.validate(arguments))

    def user_input_schema(self, arguments: Optional[dict[str, Any]] = None) -> list[UserInputField]:
        """Every parameter as a field for the human, pre-filled with the model's ``arguments``.

        With ``user_input_fields`` those fields are the ones the human must fill;
        without, every parameter that has no default.
        """
        import typing

        try:
            hints = typing.get_type_hints(self.fn)
        except Exception:
            hints = {}
        props = self.schema.parameters.get("properties", {})
        chosen = set(self.user_input_fields)
        fields = []
        for name, param in inspect.signature(self.fn).parameters.items():
            if name in self.injected or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            hint = hints.get(name, str)
            required = name in chosen if chosen else param.default is inspect.Parameter.empty
            fields.append(UserInputField(
                name=name, field_type=hint if isinstance(hint, type) else str,
                description=props.get(name, {}).get("description"),
                value=(arguments or {}).get(name) if name not in chosen else None, required=required,
            ))
        return fields


class GivenSchema:
    """A tool schema given as JSON schema (an MCP server's, say): arguments are checked for
    being an object with the required properties; the tool checks the rest."""

    def __init__(self, tool_name: str, description: Optional[str], parameters: dict[str, Any]) -> None:
        if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
            raise ValueError(f"tool {tool_name!r}: parameters must be a JSON schema of type 'object', got {parameters!r}")
        self.tool_name = tool_name
        self.description = description or f"Call {tool_name}."
        self.parameters = parameters

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in self.parameters.get("required", ()) if name not in arguments]
        if missing:
            from runwire.exceptions import ToolArgumentsError

            raise ToolArgumentsError(
                f"invalid arguments for tool {self.tool_name!r}: missing {', '.join(missing)}. "
                f"Expected arguments matching: {self.parameters.get('properties', {})}"
            )
        return dict(arguments)


def _kind(fn: Callable[..., Any]) -> str:
    """sync, async, generator or async_generator: of the function, or of a callable object's ``__call__``."""
    for target in (fn, getattr(type(fn), "__call__", None)):
        if target is None:
            continue
        if inspect.isasyncgenfunction(target):
            return "async_generator"
        if inspect.isgeneratorfunction(target):
            return "generator"
        if inspect.iscoroutinefunction(target):
            return "async"
    return "sync"


def as_function(obj: Any) -> Function[..., Any]:
    """Wrap a plain callable as a :class:`Function` (a Function is returned as is)."""
    if isinstance(obj, Function):
        return obj
    return Function(obj)
