"""Tokens per second on the embedded model: through runwire versus llama-cpp-python directly.

Both sides are measured the same way, from the outside: a streamed consumer stamps the first and the last
non-empty content chunk it receives, and the rate is (chunks - 1) / (last - first). Time to first token is
from the call to the first such chunk (runwire's includes its run set-up and the hop to the worker thread).
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Iterable

from common import Result, installed, scale

PROMPT = "Once upon a time"


def _measure(chunks: Iterable[Any], text: Any) -> tuple[float, float]:
    """(tokens per second between the first and last content chunk, seconds to the first one)."""
    started = time.perf_counter()
    stamps = [time.perf_counter() for chunk in chunks if text(chunk)]
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]), stamps[0] - started


def bench_llamacpp() -> list[Result]:
    if not installed("runwire_llamacpp"):
        return [Result("llama.cpp", "tokens per second", 0, "", note="runwire-llamacpp not installed")]
    from runwire.agent import Agent
    from runwire_llamacpp import LlamaCpp

    tokens = scale(96, 16)
    model = LlamaCpp(max_tokens=tokens, temperature=0.0)
    llm, _ = model.load()
    agent = Agent(model=model)

    def direct() -> tuple[float, float]:
        chunks = llm.create_chat_completion(messages=[{"role": "user", "content": PROMPT}], stream=True,
                                            max_tokens=tokens, temperature=0.0, top_p=0.95)
        return _measure(chunks, lambda c: c["choices"][0]["delta"].get("content"))

    def through_runwire() -> tuple[float, float]:
        return _measure(agent.run(PROMPT, stream=True), lambda e: e.event == "RunContent" and e.content)

    direct(), through_runwire()  # warm the model and caches
    rounds = scale(9, 1)
    ours, theirs = [], []
    for i in range(rounds):  # interleaved pairs, alternating who goes first: the machine's noise hits both alike
        if i % 2:
            ours.append(through_runwire())
            theirs.append(direct())
        else:
            theirs.append(direct())
            ours.append(through_runwire())
    ratio = statistics.median(o[0] / t[0] for o, t in zip(ours, theirs, strict=True))  # robust to drift
    first = statistics.median(o[1] - t[1] for o, t in zip(ours, theirs, strict=True))
    rate, rate_direct = statistics.median(o[0] for o in ours), statistics.median(t[0] for t in theirs)
    ttft, ttft_direct = statistics.median(o[1] for o in ours), statistics.median(t[1] for t in theirs)
    return [
        Result("llama.cpp (Gemma 3 270M)", "tokens/s through runwire", rate, "tok/s", "llama-cpp-python directly",
               rate_direct, target=">= 0.97 x (median paired ratio)", ok=ratio >= 0.97,
               note=f"median paired ratio {ratio:.3f}", extra={"paired_ratio": ratio}),
        Result("llama.cpp (Gemma 3 270M)", "time to first token through runwire", ttft * 1e3, "ms",
               "llama-cpp-python directly", ttft_direct * 1e3,
               note=f"median paired difference {first * 1e3:.1f} ms", extra={"paired_difference_ms": first * 1e3}),
    ]
