"""The ``runwire`` command line: run an agent, list plugins, models and tools."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from runwire.utils.redact import redact as redact_url

DB_HELP = "storage URL, e.g. sqlite:///runwire.db or postgresql://... (default: $RUNWIRE_DB or sqlite:///runwire.db)"


class CliError(Exception):
    """A command failed in a way the user can fix; main() prints the message, without a traceback."""


def _cmd_run(args: argparse.Namespace) -> int:
    from runwire.agent.agent import Agent
    from runwire.utils.pprint import pprint_run_response

    db = args.db or os.environ.get("RUNWIRE_DB")
    agent = Agent(model=args.model, tools=args.tool or None, instructions=args.instructions, markdown=True,
                  db=db, session_id=args.session)
    if args.stream or args.show_events:
        stream = agent.run(args.prompt, stream=True, stream_events=args.show_events)
        if args.show_events:
            status = _print_events(stream)
            output = stream.run_output
        else:
            pprint_run_response(stream, markdown=True)
            output = stream.run_output
            status = 0
    else:
        output = agent.run(args.prompt)
        pprint_run_response(output, markdown=True)
        status = 0
    _print_metrics(output.metrics)
    if db:
        print(f"runwire: run {output.run_id} in session {output.session_id} stored in {redact_url(db)}",
              file=sys.stderr)
    return status or (0 if output.status == "completed" else 1)


def _print_events(stream: Any) -> int:
    """One line per event: the answer's text as it streams, every other event on a line of its own."""
    from rich.console import Console
    from rich.markup import escape

    from runwire.run.events import CustomEvent

    console = Console(highlight=False, soft_wrap=True)
    status = 0
    in_text = False
    for event in stream:
        if event.event == "RunContent":
            console.print(str(event.content or ""), end="", markup=False)
            in_text = True
            continue
        if in_text:
            console.print()
            in_text = False
        detail = ""
        if isinstance(event, CustomEvent):
            detail = _custom_detail(event)
        elif event.event == "RunError":
            detail = f"{event.error_type}: {event.content}"
            status = 1
        elif event.event.startswith("ToolCall") and getattr(event, "tool", None) is not None:
            tool = event.tool
            detail = f"{tool.tool_name}({json.dumps(tool.tool_args, default=str)})"
            if event.event == "ToolCallCompleted":
                detail += f" -> {str(tool.result)[:200]}"
        console.print(f"[bold cyan]\\[{event.event}][/]" + (f" {escape(detail)}" if detail else ""))
    if in_text:
        console.print()
    return status


_COMMON_FIELDS = frozenset({"event", "created_at", "run_id", "session_id", "agent_id", "agent_name", "content",
                            "event_class", "tool_call_id"})


def _custom_detail(event: Any) -> str:
    """A custom event's class and its own fields: ``StationRead city='Oslo' temperature_c=21.0``."""
    # vars(): the fields of a class this process does not know are attributes, not dataclass fields
    fields = {k: v for k, v in vars(event).items() if k not in _COMMON_FIELDS and k != "stored_class"}
    name = getattr(event, "stored_class", type(event).__qualname__).rpartition(".")[2]
    return f"{name} " + " ".join(f"{k}={v!r}" for k, v in fields.items())


def _print_metrics(metrics: Any) -> None:
    parts = [f"tokens in/out {metrics.input_tokens}/{metrics.output_tokens}"]
    if metrics.time_to_first_token is not None:
        parts.append(f"first token {metrics.time_to_first_token * 1000:.0f} ms")
    if metrics.tokens_per_second:
        parts.append(f"{metrics.tokens_per_second:.1f} tokens/s")
    if metrics.duration is not None:
        parts.append(f"total {metrics.duration:.2f} s")
    print("metrics: " + ", ".join(parts), file=sys.stderr)


def _cmd_plugins(args: argparse.Namespace) -> int:
    from runwire.plugins import get_registry

    registry = get_registry()
    if args.json:
        print(json.dumps([p.to_dict() for p in registry.plugins.values()], indent=2))
        return 0
    for info in registry.plugins.values():
        dist = f"{info.distribution} {info.version}" if info.distribution else "(source tree)"
        state = f"ERROR {info.error}" if info.error else (f"skipped: {info.skipped}" if info.skipped else "loaded")
        print(f"{info.name:<16} {dist:<28} {state}")
        if info.hooks:
            print(f"{'':<16} hooks: {', '.join(info.hooks)}")
        for kind, names in info.registered.items():
            print(f"{'':<16} {kind}: {', '.join(names)}")
    return 1 if any(p.error for p in registry.plugins.values()) else 0


def _cmd_models(args: argparse.Namespace) -> int:
    from runwire.plugins import get_registry

    for provider in get_registry().models.values():
        extra = []
        if provider.default_model:
            extra.append(f"embedded default: {provider.name}:{provider.default_model}")
        if provider.bare_ids:
            extra.append("serves bare model ids")
        note = f" ({'; '.join(extra)})" if extra else ""
        print(f"{provider.name:<12} from {provider.plugin}{note}: {provider.description}")
    return 0


def _cmd_tools(args: argparse.Namespace) -> int:
    from runwire.plugins import get_registry

    for name, fn in get_registry().tools.items():
        print(f"{name:<20} {fn.description.splitlines()[0] if fn.description else ''}")
    return 0


def _db_url(args: argparse.Namespace) -> str:
    return str(args.db or os.environ.get("RUNWIRE_DB") or "sqlite:///runwire.db")


def _existing_storage(args: argparse.Namespace) -> Any:
    """The storage to read from, or None when it is a SQLite file that does not exist (nothing is created)."""
    from runwire.storage import resolve_storage

    url = _db_url(args)
    if url.startswith("sqlite://"):
        from runwire.storage.sqlite import path_from_url

        path = path_from_url(url)
        if path != ":memory:" and not Path(path).exists():
            return None
    return resolve_storage(url)


def _cmd_sessions(args: argparse.Namespace) -> int:
    from runwire.run.sync_bridge import get_runner

    storage = _existing_storage(args)
    if storage is None:
        print(f"no sessions: there is no database at {_db_url(args)} (give --db or set RUNWIRE_DB)", file=sys.stderr)
        return 0
    run = get_runner()
    sessions = run(storage.list_sessions(args.user, args.limit))
    for session in sessions:
        runs = run(storage.list_runs(session.session_id))
        statuses = ", ".join(f"{r.run_id[:8]} {r.status}" for r in runs)
        print(f"{session.session_id:<38} user={session.user_id or '-':<20} runs: {statuses or '-'}")
    if not sessions:
        print("no sessions", file=sys.stderr)
    return 0


async def _find_run_ids(storage: Any, prefix: str) -> list[str]:
    """Every stored run id that starts with ``prefix`` (the ids ``runwire sessions`` shows are 8 characters)."""
    found = []
    for session in await storage.list_sessions(None, 1_000_000):
        found += [r.run_id for r in await storage.list_runs(session.session_id) if r.run_id.startswith(prefix)]
    return sorted(set(found))


def _cmd_runs_show(args: argparse.Namespace) -> int:
    from runwire.run.events import CustomEvent
    from runwire.run.sync_bridge import get_runner

    storage = _existing_storage(args)
    if storage is None:
        raise CliError(f"no run {args.run_id!r}: there is no database at {_db_url(args)} (give --db or set RUNWIRE_DB)")
    runner = get_runner()
    run = runner(storage.get_run(args.run_id))
    if run is None:
        matches = runner(_find_run_ids(storage, args.run_id))
        if len(matches) > 1:
            raise CliError(f"run id prefix {args.run_id!r} is ambiguous: it starts {len(matches)} runs "
                           f"({', '.join(matches[:5])}{', ...' if len(matches) > 5 else ''}); give more characters")
        run = runner(storage.get_run(matches[0])) if matches else None
    if run is None:
        raise CliError(f"no run {args.run_id!r} (or starting so) in {redact_url(_db_url(args))}; "
                       "`runwire sessions` lists the stored runs")
    print(f"run {run.run_id}  session {run.session_id}  user {run.user_id or '-'}  status {run.status}")
    start = run.events[0].created_at if run.events else run.created_at
    for event in run.events or []:
        detail = ""
        if event.event == "RunContent":
            detail = repr(getattr(event, "content", ""))[:80]
        elif event.event.startswith("ToolCall") and getattr(event, "tool", None):
            detail = f"{event.tool.tool_name}({json.dumps(event.tool.tool_args)}) -> {str(event.tool.result)[:60]}"
        elif event.event in ("RunError", "RunCancelled"):
            detail = str(getattr(event, "content", None) or getattr(event, "reason", ""))
        elif isinstance(event, CustomEvent):
            detail = _custom_detail(event)[:200]
        print(f"  +{event.created_at - start:8.3f}s  {event.event:<28} {detail}")
    if str(run.status) == "running":
        print("  (no RunCompleted: the run is in progress, or its process stopped before it finished: "
              "`runwire runs recover` tells which)")
    return 0


def _cmd_runs_recover(args: argparse.Namespace) -> int:
    from rich.console import Console

    from runwire.run.sync_bridge import get_runner
    from runwire.storage import resolve_storage
    from runwire.storage.liveness import recover_runs

    storage = resolve_storage(_db_url(args))
    with Console(stderr=True).status(f"looking for runs whose process died in {redact_url(_db_url(args))}..."):
        recovered = get_runner()(recover_runs(storage))
    for run_id in recovered:
        print(f"{run_id}  interrupted")
    print(f"runwire: {len(recovered)} run(s) marked interrupted; continue one with "
          "agent.continue_run(run_id=...) or stop it with agent.cancel_run(run_id)", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from runwire import __version__

    parser = argparse.ArgumentParser(prog="runwire", description="Run agents and inspect runwire plugins, "
                                     "sessions and runs. `runwire COMMAND --help` describes a command.")
    parser.add_argument("--version", action="version", version=f"runwire {__version__}",
                        help="print runwire's version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run an agent on a prompt", description="Run an agent on a prompt and print "
                         "its answer and metrics. With --db (or $RUNWIRE_DB) the run is stored and can be listed "
                         "with `runwire sessions` and continued in its --session.")
    run.add_argument("prompt", help="what to ask the agent")
    run.add_argument("--model", "-m", default=None, help="model string, e.g. llamacpp:gemma-3-270m (default: the embedded model)")
    run.add_argument("--tool", "-t", action="append", help="a registered tool to give the agent (repeatable; see `runwire tools`)")
    run.add_argument("--instructions", default=None, help="instructions for the agent (its system prompt)")
    run.add_argument("--stream", action="store_true", help="stream the answer as it is generated")
    run.add_argument("--show-events", action="store_true", help="print every event of the run, one per line")
    run.add_argument("--db", help="store the run here: " + DB_HELP.replace(" (default: $RUNWIRE_DB or sqlite:///runwire.db)",
                                                                        " (default: $RUNWIRE_DB; unset: not stored)"))
    run.add_argument("--session", default=None, help="session id to run in (continues its history; default: a new session)")
    run.set_defaults(func=_cmd_run)
    plugins = sub.add_parser("plugins", help="list plugins, what they registered and their errors")
    plugins.add_argument("--json", action="store_true", help="print the list as JSON")
    plugins.set_defaults(func=_cmd_plugins)
    sub.add_parser("models", help="list model providers").set_defaults(func=_cmd_models)
    sub.add_parser("tools", help="list registered tools").set_defaults(func=_cmd_tools)
    sessions = sub.add_parser("sessions", help="list stored sessions and their runs")
    sessions.add_argument("--db", help=DB_HELP)
    sessions.add_argument("--user", help="only this user's sessions")
    sessions.add_argument("--limit", type=int, default=50, help="list at most this many sessions (default: 50)")
    sessions.set_defaults(func=_cmd_sessions)
    runs = sub.add_parser("runs", help="inspect stored runs")
    runs_sub = runs.add_subparsers(dest="runs_command", required=True, metavar="SUBCOMMAND")
    show = runs_sub.add_parser("show", help="a run's timeline of events")
    show.add_argument("run_id", help="the run's id, or any unique start of it (as `runwire sessions` shows)")
    show.add_argument("--db", help=DB_HELP)
    show.set_defaults(func=_cmd_runs_show)
    recover = runs_sub.add_parser(
        "recover", help="mark runs whose process died (left 'running') as 'interrupted', so they can be continued")
    recover.add_argument("--db", help=DB_HELP)
    recover.set_defaults(func=_cmd_runs_recover)
    try:
        from runwire.plugins import get_registry

        commands = list(get_registry().commands.values())
    except Exception as exc:  # a broken registry must not break the CLI
        print(f"runwire: plugins could not be loaded: {exc}", file=sys.stderr)
        commands = []
    for spec in commands:
        command = sub.add_parser(spec.name, help=spec.help or f"(from plugin {spec.plugin})")
        spec.configure(command)
        command.set_defaults(func=spec.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; every command reports its errors the same way: one line, exit status 1 or 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("runwire: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("RUNWIRE_DEBUG"):
            raise
        from runwire.exceptions import RunFailedError, RunwireError

        kind = "" if isinstance(exc, CliError) else f"{type(exc).__name__}: "
        print(f"runwire: {kind}{redact_url(str(exc))}", file=sys.stderr)
        if not isinstance(exc, (CliError, RunwireError)):
            print("runwire: (set RUNWIRE_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 1 if isinstance(exc, (RunFailedError, CliError)) else 2


if __name__ == "__main__":
    sys.exit(main())
