"""The ``runwire`` command line: run an agent, list plugins, models and tools."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional, Sequence


def _cmd_run(args: argparse.Namespace) -> int:
    from runwire.agent.agent import Agent
    from runwire.exceptions import RunFailedError, RunwireError
    from runwire.utils.pprint import pprint_run_response

    agent = Agent(model=args.model, tools=args.tool or None, instructions=args.instructions, markdown=True)
    try:
        if args.stream or args.show_events:
            stream = agent.run(args.prompt, stream=True, stream_events=args.show_events)
            if args.show_events:
                return _print_events(stream)
            pprint_run_response(stream, markdown=True)
            output = stream.run_output
        else:
            output = agent.run(args.prompt)
            pprint_run_response(output, markdown=True)
    except RunFailedError as exc:
        print(f"runwire: {exc}", file=sys.stderr)
        return 1
    except (RunwireError, LookupError, TypeError, ValueError) as exc:
        print(f"runwire: {exc}", file=sys.stderr)
        return 2
    _print_metrics(output.metrics)
    return 0 if output.status == "completed" else 1


def _print_events(stream: Any) -> int:
    status = 0
    for event in stream:
        if event.event == "RunContent":
            print(event.content, end="", flush=True)
            continue
        print(f"\n[{event.event}]", end="", flush=True)
        if event.event == "RunError":
            print(f" {event.error_type}: {event.content}", end="")
            status = 1
        elif event.event.startswith("ToolCall"):
            print(f" {event.tool.tool_name}({json.dumps(event.tool.tool_args)})", end="")
    print()
    _print_metrics(stream.run_output.metrics)
    return status


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


def _storage(args: argparse.Namespace) -> Any:
    import os

    from runwire.storage import resolve_storage

    return resolve_storage(args.db or os.environ.get("RUNWIRE_DB") or "sqlite:///runwire.db")


def _cmd_sessions(args: argparse.Namespace) -> int:
    from runwire.run.sync_bridge import get_runner

    sessions = get_runner()(_storage(args).list_sessions(args.user, args.limit))
    for session in sessions:
        runs = get_runner()(_storage(args).list_runs(session.session_id))
        statuses = ", ".join(f"{r.run_id[:8]} {r.status}" for r in runs)
        print(f"{session.session_id:<38} user={session.user_id or '-':<20} runs: {statuses or '-'}")
    if not sessions:
        print("no sessions", file=sys.stderr)
    return 0


def _cmd_runs_show(args: argparse.Namespace) -> int:
    from runwire.run.sync_bridge import get_runner

    run = get_runner()(_storage(args).get_run(args.run_id))
    if run is None:
        print(f"runwire: no run {args.run_id!r} in {args.db or 'the database'}", file=sys.stderr)
        return 1
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
        print(f"  +{event.created_at - start:8.3f}s  {event.event:<28} {detail}")
    if str(run.status) == "running":
        print("  (no RunCompleted: the run is in progress, or its process stopped before it finished: "
              "`runwire runs recover` tells which)")
    return 0


def _cmd_runs_recover(args: argparse.Namespace) -> int:
    from runwire.run.sync_bridge import get_runner
    from runwire.storage.liveness import recover_runs

    storage = _storage(args)
    print("runwire: looking for runs whose process died...", file=sys.stderr)
    recovered = get_runner()(recover_runs(storage))
    for run_id in recovered:
        print(f"{run_id}  interrupted")
    print(f"runwire: {len(recovered)} run(s) marked interrupted; continue one with "
          "agent.continue_run(run_id=...) or stop it with agent.cancel_run(run_id)", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runwire", description="Run agents and inspect runwire plugins.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an agent on a prompt")
    run.add_argument("prompt")
    run.add_argument("--model", "-m", default=None, help="model string, e.g. llamacpp:gemma-3-270m (default: the embedded model)")
    run.add_argument("--tool", "-t", action="append", help="a registered tool to give the agent (repeatable)")
    run.add_argument("--instructions", default=None)
    run.add_argument("--stream", action="store_true", help="stream the answer as it is generated")
    run.add_argument("--show-events", action="store_true", help="print every event of the run")
    run.set_defaults(func=_cmd_run)
    plugins = sub.add_parser("plugins", help="list plugins, what they registered and their errors")
    plugins.add_argument("--json", action="store_true")
    plugins.set_defaults(func=_cmd_plugins)
    sub.add_parser("models", help="list model providers").set_defaults(func=_cmd_models)
    sub.add_parser("tools", help="list registered tools").set_defaults(func=_cmd_tools)
    sessions = sub.add_parser("sessions", help="list stored sessions and their runs")
    sessions.add_argument("--db", help="storage URL (default: $RUNWIRE_DB or sqlite:///runwire.db)")
    sessions.add_argument("--user", help="only this user's sessions")
    sessions.add_argument("--limit", type=int, default=50)
    sessions.set_defaults(func=_cmd_sessions)
    runs = sub.add_parser("runs", help="inspect stored runs")
    runs_sub = runs.add_subparsers(dest="runs_command", required=True)
    show = runs_sub.add_parser("show", help="a run's timeline of events")
    show.add_argument("run_id")
    show.add_argument("--db", help="storage URL (default: $RUNWIRE_DB or sqlite:///runwire.db)")
    show.set_defaults(func=_cmd_runs_show)
    recover = runs_sub.add_parser(
        "recover", help="mark runs whose process died (left 'running') as 'interrupted', so they can be continued")
    recover.add_argument("--db", help="storage URL (default: $RUNWIRE_DB or sqlite:///runwire.db)")
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
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
