"""What the server tests and scripts share: starting ingot-server on a free port and stopping
it, its resident memory, server-sent events read with Python's requests, and run-model's
greedy text for comparison."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests


class Server:
    """ingot-server on 127.0.0.1 and a port the system picks, for a `with` block. Stopped with
    SIGTERM at the end, which must end it cleanly (exit status 0)."""

    def __init__(self, binary, args, env=None):
        self.proc = subprocess.Popen([binary, "--port", "0"] + list(args), stderr=subprocess.PIPE, text=True,
                                     env=env)
        self.log = []
        deadline = time.time() + 120
        while True:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("ingot-server ended before listening:\n" + "".join(self.log))
            self.log.append(line)
            m = re.search(r"listening on (http://[0-9.]+:[0-9]+)", line)
            if m:
                self.url = m.group(1)
                break
            if time.time() > deadline:
                raise RuntimeError("ingot-server did not start")
        # The server logs a line a request: read them as they come, or a full pipe would stop it.
        self.drain = threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True)
        self.drain.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise RuntimeError("ingot-server did not stop on SIGTERM")
        self.drain.join(timeout=10)
        if self.proc.returncode != 0:
            raise RuntimeError("ingot-server exited with %d:\n%s" % (self.proc.returncode, "".join(self.log)))

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def post(self, path, body, **kw):
        return requests.post(self.url + path, json=body, **kw)

    def health(self):
        return requests.get(self.url + "/health", timeout=10).json()

    def wait_idle(self, timeout=5.0):
        """True once no slot is busy and nothing is queued."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            h = self.health()
            if h["slots_busy"] == 0 and h["queued"] == 0:
                return True
            time.sleep(0.05)
        return False


def sse_events(response):
    """The JSON texts of a server-sent event stream, up to and without "[DONE]" (which must come)."""
    events = []
    for line in response.iter_lines(decode_unicode=False):
        if not line:
            continue
        assert line.startswith(b"data: "), line
        data = line[len(b"data: "):].decode("utf-8")
        if data == "[DONE]":
            return events
        events.append(data)
    raise AssertionError("the stream ended without data: [DONE]")


def run_model(binary_dir, model, prompt, n_predict, extra=()):
    """run-model's greedy generation: (generated text, tokens generated)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(prompt)
        path = f.name
    try:
        out = subprocess.run([os.path.join(binary_dir, "run-model"), "-m", model, "-n", str(n_predict), "--temp", "0",
                              *extra, path], stdin=subprocess.DEVNULL, capture_output=True, check=True)
    finally:
        os.unlink(path)
    text = out.stdout.decode("utf-8")
    chat = "--no-chat" not in extra and b"chat template" in out.stderr
    head = prompt + ("\n" if chat else "")
    assert text.startswith(head) and text.endswith("\n> \n"), text
    n = int(re.search(rb"generation (\d+) tokens", out.stderr).group(1))
    return text[len(head):-len("\n> \n")], n


def find_model(source_dir, relative):
    """A file under models/, in the source tree or in ../shared; None when absent."""
    for root in (source_dir, os.path.join(source_dir, "..", "shared")):
        path = os.path.join(root, "models", relative)
        if os.path.exists(path):
            return path
    return None


def require_model(source_dir, relative):
    """find_model, or the end of the test: skipped (77) with a reason, or failed when the test
    command asks for every asset (INGOT_REQUIRE_ASSETS)."""
    path = find_model(source_dir, relative)
    if path is None:
        if os.environ.get("INGOT_REQUIRE_ASSETS"):
            sys.exit(relative + " not found")
        print("skipped: %s not found" % relative)
        sys.exit(77)
    return path
