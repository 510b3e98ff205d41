"""Token and timing metrics, per model call and summed per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from runwire._codec import dataclass_from_dict, dataclass_to_dict


@dataclass
class Usage:
    """Token usage reported by a provider for one model call."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost: Optional[float] = None

    def __post_init__(self) -> None:
        if not self.total_tokens:
            self.total_tokens = self.input_tokens + self.output_tokens


@dataclass
class ToolCallMetrics:
    """Timing of one tool call: wall-clock ``start_time`` / ``end_time`` (epoch seconds) and ``duration``."""

    start_time: Optional[float] = None
    end_time: Optional[float] = None
    duration: Optional[float] = None


def generation_rate(output_tokens: int, duration: Optional[float], time_to_first_token: Optional[float]) -> Optional[float]:
    """Output tokens per second of generation (after the first token); None without tokens or time."""
    if not output_tokens or duration is None:
        return None
    gen = duration - (time_to_first_token or 0.0)
    return output_tokens / gen if gen > 0 else None


@dataclass
class Metrics:
    """Metrics of a model call, or of a whole run (the sum of its calls).

    Times are seconds. ``time_to_first_token`` is measured from the start of the
    run (or call) to the first content or reasoning token. ``details`` keeps the
    per-call metrics by kind of model ("model", "parser_model", ...), each
    naming its model (``id``, ``provider``).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost: Optional[float] = None
    time_to_first_token: Optional[float] = None
    duration: Optional[float] = None
    model_calls: int = 0
    details: Optional[dict[str, list["Metrics"]]] = None
    provider_metrics: dict[str, Any] = field(default_factory=dict)
    id: Optional[str] = None  # on a model call's entry in ``details``: the model's id
    provider: Optional[str] = None  # ... and its provider

    @property
    def tokens_per_second(self) -> Optional[float]:
        """Output tokens per second of generation (after the first token)."""
        return generation_rate(self.output_tokens, self.duration, self.time_to_first_token)

    def add_usage(self, usage: "Usage | Metrics") -> None:
        """Add token counts and cost (written out: this runs once per model call)."""
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.total_tokens += usage.total_tokens
        self.reasoning_tokens += usage.reasoning_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        if usage.cost is not None:
            self.cost = (self.cost or 0.0) + usage.cost

    def add_call(self, kind: str, call: "Metrics") -> None:
        """Fold one model call's metrics into this run's totals."""
        self.add_usage(call)
        self.model_calls += 1
        if self.details is None:
            self.details = {}
        self.details.setdefault(kind, []).append(call)

    def to_dict(self) -> dict[str, Any]:
        data = dataclass_to_dict(self)
        data["tokens_per_second"] = self.tokens_per_second
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Metrics":
        return dataclass_from_dict(cls, data)
