"""Tokens per second on the embedded model: through runwire versus llama-cpp-python directly."""

from __future__ import annotations

import statistics
import time

from common import Result, installed, scale

PROMPT = "Once upon a time"


def bench_llamacpp() -> list[Result]:
    if not installed("runwire_llamacpp"):
        return [Result("llama.cpp", "tokens per second", 0, "", note="runwire-llamacpp not installed")]
    from runwire.agent import Agent
    from runwire_llamacpp import LlamaCpp

    tokens = scale(96, 16)
    model = LlamaCpp(max_tokens=tokens, temperature=0.0)
    llm, _ = model.load()
    agent = Agent(model=model)

    def direct() -> float:
        first = None
        count = 0
        for chunk in llm.create_chat_completion(messages=[{"role": "user", "content": PROMPT}], stream=True,
                                                max_tokens=tokens, temperature=0.0, top_p=0.95):
            if "content" in chunk["choices"][0]["delta"]:
                count += 1
                if first is None:
                    first = time.perf_counter()
        return (count - 1) / (time.perf_counter() - first)  # generation rate after the first token

    def through_runwire() -> float:
        out = agent.run(PROMPT)
        m = out.metrics
        return (m.output_tokens - 1) / (m.duration - m.time_to_first_token)

    direct(), through_runwire()  # warm the model and caches
    rounds = scale(9, 1)
    ours, theirs = [], []
    for _ in range(rounds):  # interleaved pairs: the machine's noise hits both alike
        theirs.append(direct())
        ours.append(through_runwire())
    ratio = statistics.median(o / t for o, t in zip(ours, theirs, strict=True))  # median of paired ratios: robust to drift
    ours_med, theirs_med = statistics.median(ours), statistics.median(theirs)
    return [Result("llama.cpp (Gemma 3 270M)", "tokens/s through runwire", ours_med, "tok/s", "llama-cpp-python directly",
                   theirs_med, target=">= 0.97 x (median paired ratio)", ok=ratio >= 0.97,
                   note=f"median paired ratio {ratio:.3f}", extra={"paired_ratio": ratio})]
