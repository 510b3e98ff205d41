"""``pprint_run_response``: show a RunOutput, or a live stream of events, with rich."""

from __future__ import annotations

import json
from typing import Any, AsyncIterable, Iterable, Optional, Union

from runwire.run.events import RunOutputEvent
from runwire.run.output import RunOutput


def _renderable(content: Any, markdown: bool) -> Any:
    from rich.markdown import Markdown
    from rich.text import Text

    if content is None:
        return Text("")
    if not isinstance(content, str):
        dump = getattr(content, "model_dump", None)
        data = dump(mode="json") if dump is not None else content
        from rich.json import JSON

        return JSON(json.dumps(data, default=str))
    return Markdown(content) if markdown else Text(content)


def _panel(body: Any, title: str, style: str) -> Any:
    from rich.panel import Panel

    return Panel(body, title=title, title_align="left", border_style=style, expand=True)


def _error_line(event: RunOutputEvent) -> Optional[str]:
    if event.event == "RunError":
        return f"RunError ({getattr(event, 'error_type', None)}): {getattr(event, 'content', '')}"
    if event.event == "RunCancelled":
        return f"RunCancelled: {getattr(event, 'reason', '')}"
    if event.event == "RunPaused":
        tools = ", ".join(t.tool_name for t in getattr(event, "tools", None) or [])
        return f"RunPaused: waiting for a human on {tools}"
    return None


def pprint_run_response(
    run_response: Union[RunOutput, Iterable[RunOutputEvent]],
    markdown: bool = False,
    show_time: bool = False,
    console: Any = None,
) -> None:
    """Print a run's answer; for a stream, live as it arrives.

    Works when stdout is not a terminal (the final answer is printed once).
    """
    from rich.console import Console, Group
    from rich.live import Live
    from rich.text import Text

    console = console or Console()
    if isinstance(run_response, RunOutput):
        title = "Response" + (f" ({run_response.metrics.duration:.1f}s)" if show_time and run_response.metrics.duration else "")
        console.print(_panel(_renderable(run_response.content, markdown), title, "blue"))
        return
    text: list[str] = []
    structured: Any = None
    notes: list[str] = []

    def view() -> Any:
        body = _renderable(structured if structured is not None else "".join(text), markdown)
        parts = [body] + [Text(n, style="bold red") for n in notes]
        return _panel(Group(*parts), "Response", "blue")

    with Live(view(), console=console, refresh_per_second=12, auto_refresh=console.is_terminal) as live:
        for event in run_response:
            if event.event == "RunContent":
                content = getattr(event, "content", None)
                if isinstance(content, str):
                    text.append(content)
                elif content is not None:
                    structured = content
            else:
                note = _error_line(event)
                if note is None:
                    continue
                notes.append(note)
            if console.is_terminal:
                live.update(view())
        live.update(view(), refresh=True)
    if not console.is_terminal:
        console.line()


async def apprint_run_response(
    run_response: Union[RunOutput, AsyncIterable[RunOutputEvent]], markdown: bool = False, console: Any = None
) -> None:
    """Async :func:`pprint_run_response` for ``arun(stream=True)``."""
    if isinstance(run_response, RunOutput):
        pprint_run_response(run_response, markdown=markdown, console=console)
        return
    events = [event async for event in run_response]
    pprint_run_response(events, markdown=markdown, console=console)
