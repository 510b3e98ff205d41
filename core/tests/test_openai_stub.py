"""The OpenAI-compatible stub behaves as a real HTTP/1.1 server: prompt answers, kept-alive connections.

Clients are the standard library's ``http.client`` (code nobody here wrote).
"""

import http.client
import json
import statistics
import time
from urllib.parse import urlsplit

import pytest

from runwire.testing import ToolCall
from runwire.testing.openai_stub import BrokenStream, HTTPFailure, OpenAIStub


def _connect(stub: OpenAIStub) -> http.client.HTTPConnection:
    url = urlsplit(stub.url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def _ask(conn: http.client.HTTPConnection, stream: bool) -> tuple[http.client.HTTPResponse, bytes]:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response, response.read()


def test_non_streamed_answers_in_the_same_order_of_time_as_streamed():
    # Regression: headers and body written separately without TCP_NODELAY stalled every
    # non-streamed answer ~40 ms on Nagle + delayed ACK, against ~1 ms streamed.
    # A ratio of medians over fresh connections, never an absolute timing.
    with OpenAIStub(lambda body: "the same short answer") as stub:
        timings: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(7):
            for stream in (False, True):
                conn = _connect(stub)
                start = time.perf_counter()
                response, data = _ask(conn, stream)
                _ask(conn, stream)  # a second request on the kept-alive connection
                timings[stream].append(time.perf_counter() - start)
                conn.close()
                assert response.status == 200 and data
    non_streamed, streamed = statistics.median(timings[False]), statistics.median(timings[True])
    assert non_streamed < 5 * streamed, f"non-streamed {non_streamed * 1e3:.1f} ms vs streamed {streamed * 1e3:.1f} ms"


def test_a_keep_alive_client_reuses_one_connection():
    turns = ["one two", [ToolCall("add", {"a": 1})], "three", HTTPFailure(429, "slow down"), "four five"]
    with OpenAIStub(turns) as stub:
        conn = _connect(stub)
        first, data = _ask(conn, stream=True)
        assert first.getheader("Transfer-Encoding") == "chunked" and data.endswith(b"data: [DONE]\n\n")
        words = [json.loads(line[6:])["choices"][0]["delta"].get("content")
                 for line in data.decode().split("\n\n") if line.startswith("data: {") and '"choices": [{' in line]
        assert "".join(w for w in words if w) == "one two"
        second, data = _ask(conn, stream=False)
        assert json.loads(data)["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "add"
        assert _ask(conn, stream=True)[0].status == 200
        failed, data = _ask(conn, stream=False)
        assert failed.status == 429 and json.loads(data)["error"]["message"] == "slow down"
        assert _ask(conn, stream=False)[0].status == 200
        conn.close()
        assert stub.connections == 1 and len(stub.requests) == 5


def test_connection_close_is_honoured_and_a_broken_stream_is_cut():
    with OpenAIStub(["fine", BrokenStream("a b c d e f", after_chunks=3)]) as stub:
        conn = _connect(stub)
        conn.request("POST", "/v1/chat/completions", body=json.dumps({"messages": []}), headers={"Connection": "close"})
        response = conn.getresponse()
        assert response.getheader("Connection") == "close" and json.loads(response.read())["choices"]
        conn = _connect(stub)
        conn.request("POST", "/v1/chat/completions", body=json.dumps({"messages": [], "stream": True}))
        with pytest.raises(http.client.IncompleteRead):
            conn.getresponse().read()
        assert stub.connections == 2


def test_garbage_is_refused_without_stopping_the_server():
    with OpenAIStub(["still here"]) as stub:
        conn = _connect(stub)
        conn.request("POST", "/v1/chat/completions", body=b"{not json")
        response = conn.getresponse()
        assert response.status == 400 and b"not JSON" in response.read()
        conn.request("GET", "/v1/models")
        assert json.loads(conn.getresponse().read())["data"][0]["id"] == "stub-model"
        assert json.loads(_ask(conn, stream=False)[1])["choices"][0]["message"]["content"] == "still here"
