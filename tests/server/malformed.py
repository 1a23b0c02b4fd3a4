#!/usr/bin/env python3
"""Malformed requests against a running ingot-server: broken HTTP, broken JSON, wrong types,
invalid UTF-8, bodies that lie about their length, clients that send half a request and
leave. Every answer that comes is a 4xx with OpenAI's error object (or a closed connection
for bytes that are not HTTP), and the server is alive and serving afterwards. The test
command also runs this against the server built with ASan + UBSan.

usage: malformed.py SERVER_BINARY SOURCE_DIR (stories260K is looked up under its models/ or ../shared/models/)"""
import concurrent.futures
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from server_util import Server, require_model  # noqa: E402

BINARY, SOURCE = sys.argv[1:3]
failures = []


def raw(url, data, read=True, timeout=10):
    """Sends bytes on a fresh connection; returns the response's bytes (b"" when closed) and
    how the connection ended, with the time it took (for a failure's message)."""
    host, port = url[len("http://"):].split(":")
    start = time.time()
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        if not read:
            return b"", "not read"
        out = b""
        how = "closed"
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except ConnectionResetError:
            how = "reset"
        except socket.timeout:
            how = "timed out"
        return out, "%s after %.2f s" % (how, time.time() - start)


def post(path, body, extra_headers=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n" +
            extra_headers + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def quietly(url, data):
    try:
        raw(url, data, timeout=1)
    except OSError:
        pass


def expect_4xx(url, name, data):
    out, how = raw(url, data)
    status_line = out.split(b"\r\n", 1)[0]
    ok = status_line.startswith(b"HTTP/1.1 4")
    if ok and b"\r\n\r\n" in out:
        body = out.split(b"\r\n\r\n", 1)[1]
        try:
            ok = "error" in json.loads(body) and "message" in json.loads(body)["error"]
        except ValueError:
            ok = False
    if not ok:
        failures.append(name)  # list.append is atomic: safe from the pool's threads
        print("FAIL:", name, how, out[:300], flush=True)


def main():
    model = require_model(SOURCE, "stories260K/stories260K.bin")
    with Server(BINARY, ["-m", model, "-np", "2", "--max-body-kib", "256"]) as server:
        url = server.url
        cases = {
            "empty body": post(b"/v1/completions", b""),
            "not JSON": post(b"/v1/completions", b"{{{{"),
            "truncated JSON": post(b"/v1/completions", b'{"prompt": "abc'),
            "JSON array": post(b"/v1/completions", b"[1,2,3]"),
            "invalid UTF-8 in a string": post(b"/v1/completions", b'{"prompt": "\xff\xfe"}'),
            "a lone surrogate escape": post(b"/v1/completions", b'{"prompt": "\\ud800"}'),
            "NUL bytes": post(b"/v1/completions", b'{"prompt": "a\x00b"}'),
            "deep nesting": post(b"/v1/completions", b"[" * 200000),
            "deep object nesting": post(b"/v1/completions", b'{"a":' * 50000),
            "huge number": post(b"/v1/completions", b'{"prompt": "a", "max_tokens": 1e999}'),
            "negative max_tokens": post(b"/v1/completions", b'{"prompt": "a", "max_tokens": -5}'),
            "temperature NaN": post(b"/v1/completions", b'{"prompt": "a", "temperature": NaN}'),
            "token id out of range": post(b"/v1/completions", b'{"prompt": [1, 99999999]}'),
            "prompt of nulls": post(b"/v1/completions", b'{"prompt": [null, null]}'),
            "messages of numbers": post(b"/v1/chat/completions", b'{"messages": [1, 2]}'),
            "role missing": post(b"/v1/chat/completions", b'{"messages": [{"content": "x"}]}'),
            "stop of objects": post(b"/v1/completions", b'{"prompt": "a", "stop": [{}]}'),
            "body larger than allowed": post(b"/v1/completions", b"{" + b" " * (300 * 1024) + b"}"),
            "a Content-Length beyond the body limit": (b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                                                       b"Connection: close\r\nContent-Length: 99999999999\r\n\r\n{}"),
            "an unknown method": b"BREW /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "an unknown path": post(b"/v1/../../etc/passwd", b"{}"),
            "a bad chunked body": (b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                   b"Connection: close\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n"),
        }
        # Eight at a time (the server waits out its 5-s read timeout on a body that never comes).
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            checks = [pool.submit(expect_4xx, url, name, data) for name, data in cases.items()]
            # Bytes that are not HTTP, half requests and clients that leave: no answer is owed,
            # but nothing may break.
            for data in (b"\x00\x01\x02garbage\r\n\r\n", b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 100000 + b"\r\n\r\n",
                         b"POST /v1/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"prompt\":"):
                pool.submit(quietly, url, data)
        for check in checks:
            check.result()  # an exception in a check (a refused connection, say) fails the test
        for _ in range(5):
            raw(url, post(b"/v1/completions", b'{"prompt": "Once", "max_tokens": 200, "stream": true}'), read=False)
        time.sleep(0.5)
        r = json.loads(raw(url, post(b"/v1/completions", b'{"prompt": "Once", "max_tokens": 4}'))[0].split(b"\r\n\r\n", 1)[1])
        if r.get("usage", {}).get("completion_tokens") != 4:
            failures.append("served after the malformed requests")
        if not server.wait_idle(10):
            failures.append("slots freed after the clients left")
    if failures:
        sys.exit("%d failures: %s" % (len(failures), ", ".join(failures)))
    print("%d malformed requests answered with 4xx; the server stayed up and stopped cleanly" % len(cases))


main()
