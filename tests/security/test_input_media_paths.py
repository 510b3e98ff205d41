"""Run input from a client (JSON) cannot make the server read its own files and send them to the provider."""

import base64
import json
import os
import threading

import pytest

from runwire.agent import Agent
from runwire.media import File, Image, MediaPathError, confine_media
from runwire.testing import ScriptedModel
from runwire.testing.openai_stub import OpenAIStub

SECRET = b"server secret: do not send"


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.pdf"
    path.write_bytes(SECRET)
    return path


@pytest.fixture
def uploads(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "report.pdf").write_bytes(b"the uploaded report")
    return uploads


def _client_json(filepath):
    """What an app forwarding a client's request body passes to run()."""
    body = json.dumps([{"role": "user", "content": "summarise", "files": [{"filepath": str(filepath)}]}])
    return json.loads(body)


def test_a_message_dict_naming_a_server_file_is_refused_before_any_model_call(secret):
    model = ScriptedModel(["should not run"])
    with pytest.raises(MediaPathError, match="local paths in input data are refused.*media_root="):
        Agent(model=model).run(_client_json(secret))
    assert model.requests == []


@pytest.mark.parametrize("kind", ["images", "audio", "videos", "files"])
def test_every_media_kind_is_confined(secret, kind):
    message = {"role": "user", "content": "x", kind: [{"filepath": str(secret)}]}
    with pytest.raises(MediaPathError):
        Agent(model=ScriptedModel(["no"])).run([message])


def test_nothing_reaches_a_real_http_provider(secret):
    pytest.importorskip("openai")
    from runwire_openai import OpenAIChat

    with OpenAIStub(["never"]) as stub:
        agent = Agent(model=OpenAIChat("stub", base_url=stub.url, api_key="sk-test"))
        with pytest.raises(MediaPathError):
            agent.run(_client_json(secret))
        assert stub.requests == []


def test_with_media_root_a_file_under_it_is_sent(uploads):
    model = ScriptedModel(["read it"])
    Agent(model=model, media_root=uploads).run(_client_json("report.pdf"))  # relative to media_root
    sent = model.requests[0].messages[-1].files[0]
    assert sent.get_bytes() == b"the uploaded report"
    Agent(model=ScriptedModel(["ok"]), media_root=uploads).run(_client_json(uploads / "report.pdf"))  # absolute too


@pytest.mark.parametrize("escape", ["../secret.pdf", "{secret}", "link.pdf", "linkdir/secret.pdf"])
def test_with_media_root_paths_leaving_it_are_refused(uploads, secret, escape):
    os.symlink(secret, uploads / "link.pdf")
    os.symlink(secret.parent, uploads / "linkdir")
    with pytest.raises(MediaPathError, match="outside the agent's media_root"):
        Agent(model=ScriptedModel(["no"]), media_root=uploads).run(_client_json(escape.format(secret=secret)))


@pytest.mark.timeout(60)
def test_a_fifo_under_media_root_is_refused_not_blocking(uploads):
    os.mkfifo(uploads / "pipe.pdf")
    agent = Agent(model=ScriptedModel(["no"]), media_root=uploads)
    with pytest.raises(MediaPathError, match="not a regular file"):
        agent.run(_client_json("pipe.pdf"))
    with pytest.raises(MediaPathError, match="not a regular file"):  # read later (swapped in since the check)
        item = File(filepath=str(uploads / "pipe.pdf"))
        item._media_root = str(uploads.resolve())
        item.get_bytes()


@pytest.mark.timeout(120)
def test_a_symlink_swapped_in_after_the_check_is_caught_when_read(uploads, secret):
    """The path is checked at input and again on the opened descriptor: a swap in between never leaks."""
    target = uploads / "swap.pdf"
    target.write_bytes(b"inside")
    stop = threading.Event()

    def swap():
        staging = uploads / ".staging"
        while not stop.is_set():
            for make in (lambda p: p.write_bytes(b"inside"), lambda p: os.symlink(secret, p)):
                if staging.is_symlink() or staging.exists():
                    staging.unlink()
                make(staging)
                os.replace(staging, target)

    media = []
    for _ in range(300):  # media confined at input, as run() does; read later, as a provider does
        item = File.from_dict({"filepath": "swap.pdf"})
        try:
            confine_media(item, uploads)
        except MediaPathError:
            continue
        media.append(item)
    thread = threading.Thread(target=swap, daemon=True)
    thread.start()
    leaked, read = 0, 0
    try:
        for _ in range(3000):
            item = media[_ % len(media)]
            try:
                data = item.get_bytes()
            except (OSError, MediaPathError):
                continue
            read += 1
            leaked += SECRET in data
    finally:
        stop.set()
        thread.join()
    assert leaked == 0 and read > 0


def test_media_objects_built_by_the_application_keep_working(secret):
    model = ScriptedModel(["ok"])
    Agent(model=model).run("summarise", files=[File(filepath=secret)], images=[Image(content=b"\x89PNG")])
    assert model.requests[0].messages[-1].files[0].get_bytes() == SECRET


def test_url_and_inline_content_in_input_data_are_fine():
    model = ScriptedModel(["ok"])
    message = {"role": "user", "content": "look", "images": [{"url": "https://example.com/cat.png"}],
               "files": [{"content": base64.b64encode(b"inline").decode()}]}
    Agent(model=model).run([message])
    sent = model.requests[0].messages[-1]
    assert sent.images[0].url == "https://example.com/cat.png" and sent.files[0].get_bytes() == b"inline"
