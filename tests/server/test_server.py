#!/usr/bin/env python3
"""ingot-server end to end, through clients that are not ingot's own (Python's requests, curl):
greedy text equal to run-model's for one and for parallel requests, streaming and not, chat
and completions; the KV prefix reused; and the API's errors (400, 401, 404, 413, 503), a client
that goes away freeing its slot.

usage: test_server.py BIN_DIR SOURCE_DIR SCRATCH_DIR"""
import json
import os
import subprocess
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from server_util import Server, require_model, run_model, sse_events  # noqa: E402

BIN, SOURCE, SCRATCH = sys.argv[1:4]
os.makedirs(SCRATCH, exist_ok=True)
SERVER = os.path.join(BIN, "ingot-server")
PROMPTS = ["Once upon a time", "The little dog ran to the park and", "Tom and Sue went to the beach.",
           "One day, a big bear"]
N = 40
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what, flush=True)


def complete(server, prompt, stream=False, **kw):
    """(text, finish_reason, usage) of a greedy /v1/completions request."""
    body = {"prompt": prompt, "max_tokens": N, "temperature": 0, **kw}
    if not stream:
        r = server.post("/v1/completions", body, timeout=120)
        assert r.status_code == 200, r.text
        j = r.json()
        return j["choices"][0]["text"], j["choices"][0]["finish_reason"], j["usage"]
    body.update(stream=True, stream_options={"include_usage": True})
    with server.post("/v1/completions", body, stream=True, timeout=120) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream"), r.text
        events = [json.loads(e) for e in sse_events(r)]
    text = "".join(e["choices"][0]["text"] for e in events if e["choices"])
    finish = [e["choices"][0]["finish_reason"] for e in events if e["choices"]][-1]
    return text, finish, events[-1]["usage"]


def test_greedy_equals_run_model(stories):
    expected = [run_model(BIN, stories, p, N) for p in PROMPTS]
    with Server(SERVER, ["-m", stories, "-np", "4", "-t", "2"]) as server:
        for p, (text, n) in zip(PROMPTS, expected):  # one at a time, both ways
            for stream in (False, True):
                got, finish, usage = complete(server, p, stream)
                check(got == text, "one request (stream %s) %r: %r != run-model's %r" % (stream, p, got, text))
                check(usage["completion_tokens"] == n, "completion_tokens %d != %d" % (usage["completion_tokens"], n))
        for stream in (False, True):  # four at once, decoded together
            results = [None] * len(PROMPTS)

            def one(i):
                results[i] = complete(server, PROMPTS[i], stream)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(PROMPTS))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for p, (text, n), r in zip(PROMPTS, expected, results):
                check(r is not None and r[0] == text, "parallel (stream %s) %r: %r != %r" % (stream, p, r and r[0], text))
                check(r is not None and r[2]["completion_tokens"] == n, "parallel completion_tokens")
        # A prompt that extends an earlier one reuses that slot's KV cache, with the same text.
        longer = PROMPTS[0] + expected[0][0][:30]
        text, n = run_model(BIN, stories, longer, N)
        got, _, usage = complete(server, longer)
        check(got == text, "prefix reuse: %r != %r" % (got, text))
        check(usage["prompt_tokens_details"]["cached_tokens"] >= 5,
              "prefix reuse: only %d cached tokens" % usage["prompt_tokens_details"]["cached_tokens"])
        # Token ids as the prompt, a stop string, and curl.
        ids = server.post("/v1/completions", {"prompt": [1, 100, 200], "max_tokens": 5, "temperature": 0}).json()
        check(ids["usage"]["prompt_tokens"] == 3, "a prompt of token ids")
        stop = expected[1][0][10:14]
        got, finish, _ = complete(server, PROMPTS[1], stop=[stop])
        check(got == expected[1][0][:expected[1][0].find(stop)] and finish == "stop", "stop string: %r" % got)
        out = subprocess.run(["curl", "-sS", "--fail-with-body", server.url + "/v1/completions", "-H",
                              "Content-Type: application/json", "-d",
                              json.dumps({"prompt": PROMPTS[2], "max_tokens": N, "temperature": 0})],
                             capture_output=True, check=True)
        check(json.loads(out.stdout)["choices"][0]["text"] == expected[2][0], "curl")
        out = subprocess.run(["curl", "-sSN", server.url + "/v1/completions", "-d",
                              json.dumps({"prompt": PROMPTS[3], "max_tokens": N, "temperature": 0, "stream": True})],
                             capture_output=True, check=True)
        lines = [l[6:] for l in out.stdout.decode().split("\n") if l.startswith("data: ")]
        check(lines[-1] == "[DONE]", "curl stream ends with [DONE]")
        text = "".join(json.loads(l)["choices"][0]["text"] for l in lines[:-1])
        check(text == expected[3][0], "curl stream: %r" % text)
        check(server.wait_idle(), "slots free at the end")


def test_chat_equals_run_model():
    model = os.path.join(SCRATCH, "tiny-qwen2.gguf")
    subprocess.run([os.path.join(BIN, "make-random-model"), "--shape", "tiny-qwen2", model], check=True,
                   capture_output=True)
    prompt = "What is the capital of France?"
    text, n = run_model(BIN, model, prompt, N, ["--repeat-penalty", "1"])
    with Server(SERVER, ["-m", model, "-np", "2"]) as server:
        body = {"messages": [{"role": "user", "content": prompt}], "max_tokens": N, "temperature": 0,
                "repeat_penalty": 1}
        j = server.post("/v1/chat/completions", body).json()
        check(j["choices"][0]["message"]["content"] == text, "chat: %r != %r" % (j["choices"][0]["message"], text))
        check(j["usage"]["completion_tokens"] == n, "chat completion_tokens")
        with server.post("/v1/chat/completions", {**body, "stream": True}, stream=True) as r:
            events = [json.loads(e) for e in sse_events(r)]
        check(events[0]["choices"][0]["delta"].get("role") == "assistant", "chat stream: the role comes first")
        streamed = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
        check(streamed == text, "chat stream: %r != %r" % (streamed, text))
        check(events[-1]["object"] == "chat.completion.chunk" and events[-1]["choices"][0]["finish_reason"],
              "chat stream: the last chunk has finish_reason")
        # Parallel chats equal the lone one.
        results = []
        threads = [threading.Thread(target=lambda: results.append(server.post("/v1/chat/completions", body).json()))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(all(r["choices"][0]["message"]["content"] == text for r in results), "parallel chats")
        # The conversation continued: its first turn is in a slot's KV cache already (all of it
        # but the last token: that "\n" and the answer's leading newlines are one BPE token once
        # the answer is written back into the conversation).
        more = {**body, "messages": body["messages"] + [{"role": "assistant", "content": text},
                                                          {"role": "user", "content": "And of Spain?"}]}
        k = server.post("/v1/chat/completions", more).json()
        check(k["usage"]["prompt_tokens_details"]["cached_tokens"] >= j["usage"]["prompt_tokens"] - 1,
              "a continued chat reuses its first turn: %s" % k["usage"])


def test_errors(stories):
    with Server(SERVER, ["-m", stories, "-np", "1", "--api-key", "sekret", "--max-body-kib", "64"]) as server:
        auth = {"Authorization": "Bearer sekret"}
        r = requests.post(server.url + "/v1/completions", json={"prompt": "a"})
        check(r.status_code == 401 and r.json()["error"]["type"] == "authentication_error", "no key: 401")
        r = requests.post(server.url + "/v1/completions", json={"prompt": "a"}, headers={"Authorization": "Bearer x"})
        check(r.status_code == 401, "a wrong key: 401")
        check(requests.get(server.url + "/health").status_code == 200, "/health needs no key")
        r = requests.get(server.url + "/v1/models", headers=auth)
        check(r.status_code == 200 and r.json()["data"][0]["id"] == "stories260K.bin", "/v1/models")
        for body, status, param in [
                ({"prompt": "a", "model": "gpt-4"}, 400, "model"),
                ({"prompt": "a", "temperature": "x"}, 400, "temperature"),
                ({"prompt": "a", "max_tokens": -1}, 400, "max_tokens"),
                ({"messages": [{"role": "user", "content": "hi"}]}, 400, "prompt"),
                ({"prompt": "a " * 2000}, 400, "prompt")]:  # longer than the context
            r = requests.post(server.url + "/v1/completions", json=body, headers=auth)
            check(r.status_code == status and r.json()["error"]["param"] == param, "%s: %s" % (body, r.text[:200]))
        r = requests.post(server.url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]},
                          headers=auth)
        check(r.status_code == 400 and "chat template" in r.json()["error"]["message"], "chat without a template")
        r = requests.post(server.url + "/v1/completions", data=b"{not json", headers=auth)
        check(r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"], "bad JSON")
        r = requests.post(server.url + "/v1/completions", data=b"x" * (65 * 1024), headers=auth)
        check(r.status_code == 413 and "larger" in r.json()["error"]["message"], "413: %s" % r.text)
        r = requests.get(server.url + "/v2/nothing", headers=auth)
        check(r.status_code == 404 and r.json()["error"]["message"].startswith("no such endpoint"), "404")


def test_busy_and_disconnects():
    # A model slow enough (135M parameters) that a long generation is still running when the
    # next request comes or the client leaves.
    model = os.path.join(SCRATCH, "smollm2-135m.gguf")
    subprocess.run([os.path.join(BIN, "make-random-model"), "--shape", "smollm2-135m", "--type", "q8_0", model],
                   check=True, capture_output=True)
    body = {"prompt": "Hello there", "max_tokens": 3000, "temperature": 0}
    with Server(SERVER, ["-m", model, "-np", "1", "--queue", "0", "-c", "4096"]) as server:
        with server.post("/v1/completions", {**body, "stream": True}, stream=True, timeout=60) as r:
            lines = r.iter_lines()
            first = next(l for l in lines if l)
            check(first.startswith(b"data: "), "the first event")
            busy = server.post("/v1/completions", body, timeout=10)
            check(busy.status_code == 503 and busy.headers.get("Retry-After") == "1", "busy: 503, %s" % busy.text)
            check(server.health()["slots_busy"] == 1, "the slot is busy while streaming")
        # The stream's client is gone: its slot is freed long before 3000 tokens.
        check(server.wait_idle(5), "a closed stream frees its slot")
        try:
            server.post("/v1/completions", body, timeout=0.5)
            check(False, "the long request should have timed out on the client")
        except requests.exceptions.ReadTimeout:
            pass
        check(server.wait_idle(5), "a closed non-streaming request frees its slot")
        r = server.post("/v1/completions", {"prompt": "Hello", "max_tokens": 3, "temperature": 0}, timeout=30)
        check(r.status_code == 200 and r.json()["usage"]["completion_tokens"] == 3, "the server still serves")


def main():
    stories = require_model(SOURCE, "stories260K/stories260K.bin")
    for test in (lambda: test_greedy_equals_run_model(stories), test_chat_equals_run_model,
                 lambda: test_errors(stories), test_busy_and_disconnects):
        start = time.time()
        test()
        print("ran %s in %.1f s" % (getattr(test, "__name__", "test"), time.time() - start), flush=True)
    if failures:
        sys.exit("%d failures" % len(failures))
    print("all server tests passed")


main()
