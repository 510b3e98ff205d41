import pytest

from runwire.agent import Agent
from runwire.exceptions import ModelError, RunFailedError
from runwire.models.resolve import resolve_model
from runwire.testing.conformance import CANARY_KEY, ModelConformance
from runwire.testing.openai_stub import HTTPFailure, OpenAIStub
from runwire_tinychat import TinyChat


class TestTinyChatConformance(ModelConformance):
    """runwire's model conformance suite, played by a local OpenAI-compatible stub server."""

    name = "tinychat"

    def model(self, turns):
        self.stub = self.stack.enter_context(OpenAIStub(turns))
        return TinyChat("stub-model", base_url=self.stub.url, api_key=CANARY_KEY)


def test_the_model_string_goes_to_the_registered_factory(runwire_registry, monkeypatch):
    assert "tinychat" in runwire_registry.models  # registered through the entry point
    with OpenAIStub(["Hello from the stub."]) as stub:
        monkeypatch.setenv("TINYCHAT_BASE_URL", stub.url)
        out = Agent(model="tinychat:qwen2.5").run("Hi")
        assert out.content == "Hello from the stub." and out.model == "qwen2.5" and out.model_provider == "tinychat"
        assert stub.requests[0].body["model"] == "qwen2.5"
    model = resolve_model("tinychat:qwen2.5", base_url="http://10.0.0.7:8080/v1", timeout=5.0)  # options
    assert isinstance(model, TinyChat) and model.base_url == "http://10.0.0.7:8080/v1" and model.timeout == 5.0


def test_a_server_that_is_not_running_is_named_in_the_error(unused_port):
    agent = Agent(model=TinyChat("qwen2.5", base_url=f"http://127.0.0.1:{unused_port}/v1"))
    with pytest.raises(RunFailedError) as info:
        agent.run("Hi")
    assert isinstance(info.value.__cause__, ModelError)
    assert f"at http://127.0.0.1:{unused_port}/v1: ConnectError" in str(info.value)
    assert "point $TINYCHAT_BASE_URL (or base_url=) at it" in str(info.value)


def test_a_refused_key_says_which_variable_to_set():
    with OpenAIStub([HTTPFailure(401, "invalid api key")]) as stub:
        with pytest.raises(RunFailedError, match=r"HTTP 401: invalid api key. To fix: set \$TINYCHAT_API_KEY"):
            Agent(model=TinyChat("qwen2.5", base_url=stub.url, api_key=CANARY_KEY)).run("Hi")


@pytest.fixture
def unused_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
