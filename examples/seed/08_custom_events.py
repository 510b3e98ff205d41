"""Seed: Custom Events, yielded from a tool."""
from dataclasses import dataclass
from typing import Optional

from runwire.agent import Agent
from runwire.run.agent import CustomEvent
from runwire.testing import ScriptedModel, ToolCall
from runwire.tools import tool


@dataclass
class CustomerProfileEvent(CustomEvent):
    """CustomEvent for customer profile."""

    customer_name: Optional[str] = None
    customer_email: Optional[str] = None
    customer_phone: Optional[str] = None


@tool()
async def get_customer_profile():
    """Example custom tool that simply yields a custom event."""

    yield CustomerProfileEvent(
        customer_name="John Doe",
        customer_email="john.doe@example.com",
        customer_phone="1234567890",
    )


agent = Agent(
    model=ScriptedModel([[ToolCall("get_customer_profile", {})], "John Doe's profile is ready."]),
    tools=[get_customer_profile],
)

for event in agent.run("Get the customer profile", stream=True, stream_intermediate_steps=True):
    if isinstance(event, CustomerProfileEvent):
        print(f"Custom event: {event.customer_name} <{event.customer_email}> {event.customer_phone}")
    else:
        print(event.event)
