"""The system message an agent sends, built from its description and instructions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from runwire.models.message import Message

if TYPE_CHECKING:
    from runwire.agent.agent import Agent


def system_message(agent: "Agent") -> Optional[Message]:
    """None when the agent has nothing to say up front."""
    if agent.system_message is not None:
        return Message(role="system", content=agent.system_message)
    parts: list[str] = []
    if agent.description:
        parts.append(agent.description)
    instructions = agent.instructions
    if instructions:
        if isinstance(instructions, str):
            parts.append(instructions)
        else:
            parts.append("\n".join(f"- {line}" for line in instructions))
    if agent.expected_output:
        parts.append(f"Expected output: {agent.expected_output}")
    if agent.markdown and agent.output_schema is None:
        parts.append("Format your answer in Markdown.")
    if agent.output_schema is not None:
        parts.append(_schema_instruction(agent.output_schema))
    if not parts:
        return None
    return Message(role="system", content="\n\n".join(parts))


def _schema_instruction(schema: object) -> str:
    import json

    as_json = getattr(schema, "model_json_schema", None)
    spec = as_json() if as_json is not None else schema
    return "Answer with a single JSON object (no prose, no code fences) that matches this JSON schema:\n" + json.dumps(spec)
