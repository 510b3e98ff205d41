"""The parser model: turns the main model's free answer into ``output_schema``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, AsyncIterator

from runwire.models.base import ModelRequest
from runwire.models.message import Message
from runwire.run.events import ParserModelResponseCompletedEvent, ParserModelResponseStartedEvent, RunOutputEvent
from runwire.run.model_call import complete
from runwire.run.structured import parse_structured

if TYPE_CHECKING:
    from runwire.run.context import RunContext

PROMPT = ("Convert the text below into a single JSON object matching this JSON schema. Reply with the JSON only.\n"
          "Schema: {schema}\n\nText:\n{text}")


def schema_json(schema: Any) -> str:
    as_json = getattr(schema, "model_json_schema", None)
    return json.dumps(as_json() if as_json is not None else schema)


async def run_parser_model(ctx: "RunContext", text: str) -> AsyncIterator[RunOutputEvent]:
    """Yield ParserModelResponseStarted/Completed; the parsed object lands on ``ctx.output.content``."""
    agent = ctx.agent
    yield ctx.stamp(ParserModelResponseStartedEvent())
    prompt = agent.parser_model_prompt or PROMPT
    request = ModelRequest(
        messages=[Message(role="user", content=prompt.format(schema=schema_json(agent.output_schema), text=text))],
        output_schema=agent.output_schema,
    )
    answer, parsed = await complete(ctx, agent.get_helper_model("parser_model"), request, "parser_model")
    ctx.output.content = parse_structured(agent.output_schema, answer, parsed)
    yield ctx.stamp(ParserModelResponseCompletedEvent())
