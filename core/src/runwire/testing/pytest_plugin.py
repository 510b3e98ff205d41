"""pytest plugin for runwire plugin authors (entry point ``pytest11``).

Fixtures:
- ``runwire_registry``: a freshly discovered plugin registry, installed as the
  process-wide one for the test and forgotten afterwards.
- ``scripted_model``: an empty :class:`ScriptedModel`; ``.add(...)`` turns.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from runwire.testing.scripted import ScriptedModel


@pytest.fixture
def runwire_registry() -> Iterator[object]:
    from runwire.plugins import build_registry, reset_registry

    registry = build_registry()
    reset_registry(registry)
    try:
        yield registry
    finally:
        reset_registry(None)


@pytest.fixture
def scripted_model() -> ScriptedModel:
    return ScriptedModel([])
