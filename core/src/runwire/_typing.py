"""The type variables of runwire's generic classes (``RunOutput[T]``, ``Agent[T]``, ``RunStream[T, Item]``).

Type checkers see PEP 696 defaults (``typing_extensions.TypeVar(default=Any)``), so a bare
``RunOutput`` or ``Agent`` in user code still means "content of any type"; at run time these are
plain ``typing.TypeVar``s, so importing runwire does not load ``typing_extensions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel
    from typing_extensions import TypeVar

    from runwire.run.event_union import RunStreamEvent

    ContentT = TypeVar("ContentT", default=Any)
    """A run's ``content``: the output schema's model for a structured run, ``Any`` when unknown."""
    SchemaT = TypeVar("SchemaT", bound=BaseModel, default=Any)
    """An agent's ``output_schema`` (a pydantic model), ``Any`` for none or a JSON-schema dict."""
    ItemT = TypeVar("ItemT", covariant=True, default=RunStreamEvent)
    """What a run's stream yields: its events, and the RunOutput last with ``yield_run_output=True``."""
else:
    from typing import TypeVar

    ContentT = TypeVar("ContentT")
    SchemaT = TypeVar("SchemaT")
    ItemT = TypeVar("ItemT", covariant=True)
