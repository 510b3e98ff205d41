"""The benchmarks' OpenAI-compatible server, in its own process so it does not share the clients' GIL.

Requests with tools whose last message is from the user get a tool call;
everything else gets N words (``--words``), streamed as N chunks. The server is
runwire's OpenAIStub: HTTP/1.1 keep-alive, TCP_NODELAY, one write per response.
Prints the base URL on its first line, then serves until killed.
"""

from __future__ import annotations

import argparse
import sys
import time

from runwire.testing import ToolCall
from runwire.testing.openai_stub import OpenAIStub


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer (and between chunks)")
    args = parser.parse_args()
    answer = " ".join(["word"] * args.words)

    def respond(body: dict) -> object:
        last = body["messages"][-1]
        if body.get("tools") and last.get("role") == "user":
            return [ToolCall("get_weather", {"city": "Paris"}, id="call_bench")]
        return answer

    with OpenAIStub(respond, chunk_delay=args.delay) as stub:
        print(stub.url, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
