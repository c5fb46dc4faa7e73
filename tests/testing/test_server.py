"""The fake OpenAI server, driven with stdlib HTTP so these tests do not depend on the adapter."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from multitrust.testing.server import (
    CANNED_REPLIES,
    ServerHandle,
    ServerOptions,
    prompt_sha256,
    spawn_server,
    start_server,
)

pytestmark = pytest.mark.timeout(60)

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    with start_server() as handle:
        yield handle


def _post(url: str, body: Any, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _chat(url: str, text: str, *, model: str = "m", max_tokens: int | None = None, **kw: Any) -> tuple:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": text}]}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    return _post(url + "/chat/completions", body, **kw)


def test_chat_completion_shape_and_echo(server: ServerHandle) -> None:
    status, _, raw = _chat(server.url, "hello there world", model="gpt-x")
    assert status == 200
    body = json.loads(raw)
    assert body["object"] == "chat.completion"
    assert body["model"] == "gpt-x"
    assert body["id"].startswith("chatcmpl-")
    assert isinstance(body["created"], int)
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "hello there world"}
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 3
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 3


def test_max_tokens_cuts_reply_with_length(server: ServerHandle) -> None:
    _, _, raw = _chat(server.url, "one two three four", max_tokens=2)
    choice = json.loads(raw)["choices"][0]
    assert choice["message"]["content"] == "one two"
    assert choice["finish_reason"] == "length"


def test_models_route(server: ServerHandle) -> None:
    _chat(server.url, "x", model="seen-model")
    with urllib.request.urlopen(server.url + "/models", timeout=5) as resp:
        ids = [m["id"] for m in json.loads(resp.read())["data"]]
    assert "seen-model" in ids


def test_stats_count_prompts_models_images_and_reset(server: ServerHandle) -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    content = [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": "what is it"}]
    body = {
        "model": "vision",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": content}],
    }
    status, _, raw = _post(server.url + "/chat/completions", body)
    assert status == 200
    assert json.loads(raw)["choices"][0]["message"]["content"] == "what is it"
    _chat(server.url, "what is it")
    _chat(server.url, "other")

    stats = server.stats()
    assert stats["requests"] == stats["chat_requests"] == 3
    assert stats["images"] == 1
    assert stats["statuses"] == {"200": 3}
    assert stats["models"] == {"vision": 1, "m": 2}
    assert stats["prompts"][prompt_sha256("what is it")] == 2
    assert stats["prompts"][prompt_sha256("other")] == 1

    with urllib.request.urlopen(urllib.request.Request(server.url[:-3] + "/reset", method="POST"), timeout=5):
        pass
    assert server.stats()["chat_requests"] == 0
    _chat(server.url, "x")
    server.reset()
    assert server.stats()["prompts"] == {}


@pytest.mark.parametrize("mode", ["yes", "no", "refuse", "comply"])
def test_canned_reply_modes(mode: str) -> None:
    with start_server(reply=mode) as srv:
        _, _, raw = _chat(srv.url, "anything")
    text = json.loads(raw)["choices"][0]["message"]["content"]
    assert text == CANNED_REPLIES[mode]
    assert text.startswith({"yes": "Yes.", "no": "No.", "refuse": "I'm sorry", "comply": "Sure"}[mode])


def test_fixed_reply_and_reply_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.jsonl"
    rules.write_text(
        "# comment\n"
        '{"match": "cat", "reply": "meow"}\n'
        '{"match": "^dog\\\\b", "reply": "woof", "regex": true}\n'
        '{"match": "cat", "reply": "never: first rule wins"}\n'
        '{"match": "nothing", "reply": null}\n'
    )
    with start_server(reply="fixed:default answer", reply_file=str(rules)) as srv:

        def ask(text: str) -> Any:
            return json.loads(_chat(srv.url, text)[2])["choices"][0]["message"]["content"]

        assert ask("a cat here") == "meow"
        assert ask("dog days") == "woof"
        assert ask("hotdog") == "default answer"
        assert ask("say nothing") is None


def test_hostile_reply_rules_raw_bytes_lone_surrogates_and_error_messages(tmp_path: Path) -> None:
    """U+DC80–U+DCFF in a reply go out as raw bytes (invalid UTF-8); another lone surrogate as its JSON escape;
    a rule with a status answers that HTTP error with the reply as its message."""
    rules = tmp_path / "rules.jsonl"
    rules.write_text(
        '{"match": "bytes", "reply": "caf\\udce9 \\udcff!"}\n'
        '{"match": "lone", "reply": "a\\ud800b"}\n'
        '{"match": "fail", "reply": "bad \\u001b[2J", "status": 400}\n'
        '{"match": "emoji", "reply": "\\ud83d\\udc80"}\n'
    )
    with start_server(reply_file=str(rules)) as srv:
        status, _, body = _chat(srv.url, "bytes please")
        assert status == 200 and b'"caf\xe9 \xff!"' in body
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        status, _, body = _chat(srv.url, "lone please")
        assert status == 200 and b'"a\\ud800b"' in body
        assert json.loads(body)["choices"][0]["message"]["content"] == "a\ud800b"
        status, _, body = _chat(srv.url, "emoji please")  # a surrogate pair is one character, sent as UTF-8
        assert json.loads(body.decode("utf-8"))["choices"][0]["message"]["content"] == "\U0001f480"
        status, _, body = _chat(srv.url, "fail please")
        assert status == 400 and json.loads(body)["error"]["message"] == "bad \x1b[2J"
    rules.write_text('{"match": "a", "reply": "b", "status": 200}\n')
    with pytest.raises(ValueError, match=r"rules.jsonl:1: .*status must be an HTTP error status"):
        start_server(reply_file=str(rules))


def test_bad_reply_file_names_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.jsonl"
    rules.write_text('{"match": "a", "reply": "b"}\n{"reply": "no match key"}\n')
    with pytest.raises(ValueError, match=r"rules.jsonl:2"):
        start_server(reply_file=str(rules))


def test_fault_directive_500_then_success(server: ServerHandle) -> None:
    prompt = "[[fault:500:2]] boom"
    codes = [_chat(server.url, prompt)[0] for _ in range(3)]
    assert codes == [500, 500, 200]
    stats = server.stats()
    assert stats["faults"] == {"500": 2}
    assert stats["statuses"] == {"500": 2, "200": 1}


def test_fault_directive_429_sends_retry_after() -> None:
    with start_server(retry_after=7) as srv:
        status, headers, raw = _chat(srv.url, "[[fault:429:1]] slow down")
    assert status == 429
    assert headers["Retry-After"] == "7"
    assert json.loads(raw)["error"]["type"] == "rate_limit_error"


def test_fault_directive_malformed_and_400(server: ServerHandle) -> None:
    status, _, raw = _chat(server.url, "[[fault:malformed:1]] x")
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    assert _chat(server.url, "[[fault:malformed:1]] x")[0] == 200
    assert _chat(server.url, "[[fault:400:1]] y")[0] == 400


def test_fault_directive_hang_sleeps_then_answers() -> None:
    with start_server(hang_s=0.3) as srv:
        t0 = time.monotonic()
        status, _, _ = _chat(srv.url, "[[fault:hang:1]] wait")
        assert status == 200
        assert time.monotonic() - t0 >= 0.3
        t0 = time.monotonic()
        _chat(srv.url, "[[fault:hang:1]] wait")
        assert time.monotonic() - t0 < 0.3


def test_latency_applies() -> None:
    with start_server(latency_ms=150) as srv:
        t0 = time.monotonic()
        _chat(srv.url, "hi")
        assert time.monotonic() - t0 >= 0.15


def test_random_faults_are_seeded() -> None:
    def statuses(seed: int) -> list[int]:
        with start_server(fail_rate=0.3, rate_limit_rate=0.2, malformed_rate=0.2, seed=seed) as srv:
            return [_chat(srv.url, f"p{i}")[0] for i in range(40)]

    first = statuses(1)
    assert first == statuses(1)
    assert {500, 429, 200} <= set(first)
    with start_server(fail_rate=1.0) as srv:
        assert {_chat(srv.url, f"q{i}")[0] for i in range(5)} == {500}


def test_bad_requests_and_routes(server: ServerHandle) -> None:
    assert _post(server.url + "/chat/completions", b"{not json")[0] == 400
    assert _post(server.url + "/chat/completions", {"model": "m", "messages": []})[0] == 400
    assert _post(server.url + "/nope", {"model": "m"})[0] == 404
    assert server.stats()["statuses"] == {"400": 2, "404": 1}


def test_keep_alive_reuses_one_connection(server: ServerHandle) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    for _ in range(3):
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200
        resp.read()
    sock = conn.sock
    assert sock is not None
    conn.close()


def test_stop_wakes_hanging_request() -> None:
    srv = start_server(hang_s=30)

    result: list[Any] = []

    def call() -> None:
        try:
            result.append(_chat(srv.url, "[[fault:hang:1]] z", timeout=10))
        except OSError as exc:  # the server closed the connection: expected
            result.append(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    srv.stop()
    t.join(5)
    assert not t.is_alive()
    assert time.monotonic() - t0 < 5
    srv.stop()  # idempotent


def test_options_validate() -> None:
    with pytest.raises(ValueError, match="rates"):
        ServerOptions(fail_rate=0.8, hang_rate=0.5)
    with pytest.raises(ValueError, match="reply mode"):
        ServerOptions(reply="shout")
    argv = ServerOptions(port=5, reply="fixed:a b").to_argv()
    assert argv[:2] == ["--port", "5"] and "fixed:a b" in argv


def test_spawn_server_subprocess() -> None:
    with spawn_server(port=0, latency_ms=1, reply="yes") as proc:
        assert proc.url.startswith("http://127.0.0.1:") and proc.url.endswith("/v1")
        status, _, raw = _chat(proc.url, "hello")
        assert status == 200
        assert json.loads(raw)["choices"][0]["message"]["content"].startswith("Yes.")
        assert proc.stats()["prompts"] == {prompt_sha256("hello"): 1}
        proc.reset()
        assert proc.stats()["chat_requests"] == 0
    assert proc._proc.returncode == 0  # SIGTERM → clean exit


# ------------------------------------------------------------------------- endpoint behaviours


def _image_chat(url: str, model: str = "m") -> tuple:
    data_url = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    content = [{"type": "image_url", "image_url": {"url": data_url}}, {"type": "text", "text": "what is this?"}]
    return _post(url + "/chat/completions", {"model": model, "messages": [{"role": "user", "content": content}]})


def test_text_only_answers_every_image_request_with_the_same_500() -> None:
    with start_server(text_only=True) as srv:
        bodies = set()
        for _ in range(3):
            status, _, raw = _image_chat(srv.url)
            assert status == 500
            bodies.add(raw)
        assert len(bodies) == 1
        assert json.loads(bodies.pop()) == {
            "error": {"code": 500, "message": 'can only concatenate str (not "list") to str', "type": "server_error"}
        }
        assert _chat(srv.url, "plain text")[0] == 200
        assert srv.stats()["statuses"] == {"500": 3, "200": 1}


def test_served_models_are_listed_and_others_get_404() -> None:
    with start_server(models=("alpha", "beta")) as srv:
        with urllib.request.urlopen(srv.url + "/models", timeout=10) as resp:
            assert [m["id"] for m in json.loads(resp.read())["data"]] == ["alpha", "beta"]
        assert _chat(srv.url, "hi", model="alpha")[0] == 200
        status, _, raw = _chat(srv.url, "hi", model="gamma")
        assert status == 404
        error = json.loads(raw)["error"]
        assert error["code"] == "model_not_found" and "`gamma` does not exist" in error["message"]


def test_api_key_is_required_when_set() -> None:
    with start_server(api_key="k-123") as srv:
        assert _chat(srv.url, "hi")[0] == 401
        req = urllib.request.Request(srv.url + "/models", headers={"Authorization": "Bearer k-123"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        req = urllib.request.Request(
            srv.url + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer k-123"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200


def test_new_options_survive_the_command_line() -> None:
    argv = ServerOptions(text_only=True, models=("a", "b"), api_key="k").to_argv()
    assert "--text-only" in argv and argv[argv.index("--models") + 1] == "a,b"
    with spawn_server(text_only=True, models=("a",)) as proc:
        assert _image_chat(proc.url, model="a")[0] == 500
        assert _chat(proc.url, "x", model="z")[0] == 404
