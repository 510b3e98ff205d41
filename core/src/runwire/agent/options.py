"""The keyword options of ``Agent.run`` / ``arun`` / ``continue_run`` / ``acontinue_run``, for type checkers."""

from __future__ import annotations

from typing import Any, Optional, Sequence, TypedDict, Union

from runwire.media import Audio, File, Image, Video


class RunStreamOptions(TypedDict, total=False):
    """Everything ``run()`` and ``arun()`` accept besides ``input``, ``stream`` and ``yield_run_output``."""

    stream_events: Optional[bool]
    stream_intermediate_steps: Optional[bool]
    user_id: Optional[str]
    session_id: Optional[str]
    session_state: Optional[dict[str, Any]]
    run_id: Optional[str]
    images: Optional[Sequence[Union[Image, str]]]
    audio: Optional[Sequence[Union[Audio, str]]]
    videos: Optional[Sequence[Union[Video, str]]]
    files: Optional[Sequence[Union[File, str]]]
    store_events: Optional[bool]
    metadata: Optional[dict[str, Any]]


class RunOptions(RunStreamOptions, total=False):
    """Everything ``run()`` and ``arun()`` accept besides ``input`` and ``stream``."""

    yield_run_output: bool


class ContinueStreamOptions(TypedDict, total=False):
    """Everything ``continue_run()`` and ``acontinue_run()`` accept besides ``run_response``, ``stream`` and
    ``yield_run_output``."""

    run_id: Optional[str]
    session_id: Optional[str]
    updated_tools: Optional[Sequence[Any]]
    requirements: Optional[Sequence[Any]]
    stream_events: Optional[bool]
    stream_intermediate_steps: Optional[bool]


class ContinueOptions(ContinueStreamOptions, total=False):
    """Everything ``continue_run()`` and ``acontinue_run()`` accept besides ``run_response`` and ``stream``."""

    yield_run_output: bool
