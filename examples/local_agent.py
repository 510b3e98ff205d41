"""The main job: an agent answering on the embedded local model, streaming its events.

    python examples/local_agent.py "Tell me a 5 second short story about a robot"

Needs runwire-llamacpp installed (the README's set-up command does it). No
network, no API key: the model is Gemma 3 270M running in this process.
"""

import sys
from collections import Counter

from rich.console import Console
from rich.table import Table

from runwire.agent import Agent
from runwire.utils.pprint import pprint_run_response

prompt = " ".join(sys.argv[1:]) or "Tell me a 5 second short story about a robot"
console = Console()

# No model named: the embedded default (llamacpp:gemma-3-270m) answers.
agent = Agent(name="storyteller", store_events=True, events_to_skip=[])
console.print(f"[bold]Model:[/] {agent.get_model().name}   [bold]Prompt:[/] {prompt}")

# The answer streams token by token, live.
stream = agent.run(prompt, stream=True, stream_events=True)
pprint_run_response(stream, markdown=True)
output = stream.run_output

# Then the run's events, in order (RunContent chunks counted, not listed).
timeline = Table(title=f"Events of run {output.run_id[:8]}", show_lines=False)
timeline.add_column("#", justify="right")
timeline.add_column("event")
timeline.add_column("detail")
counts = Counter(event.event for event in output.events)
shown_content = False
for index, event in enumerate(output.events, 1):
    if event.event == "RunContent":
        if not shown_content:
            timeline.add_row(str(index), "RunContent", f"x {counts['RunContent']} chunks")
            shown_content = True
        continue
    detail = ""
    if event.event == "RunStarted":
        detail = f"{event.model_provider}:{event.model}"
    elif event.event == "RunError":
        detail = f"{event.error_type}: {event.content}"
    timeline.add_row(str(index), event.event, detail)
console.print(timeline)

# And its metrics.
m = output.metrics
metrics = Table(title="Metrics")
metrics.add_column("metric")
metrics.add_column("value", justify="right")
metrics.add_row("status", str(output.status))
metrics.add_row("input tokens", str(m.input_tokens))
metrics.add_row("output tokens", str(m.output_tokens))
metrics.add_row("time to first token", f"{m.time_to_first_token:.3f} s" if m.time_to_first_token is not None else "-")
metrics.add_row("tokens per second", f"{m.tokens_per_second:.1f}" if m.tokens_per_second else "-")
metrics.add_row("duration", f"{m.duration:.2f} s")
console.print(metrics)
sys.exit(0 if output.status == "completed" else 1)
