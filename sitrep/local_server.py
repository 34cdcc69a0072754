"""``sitrep serve`` in a subprocess on a free loopback port, for tests and measurements."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator, Sequence

__all__ = ["free_port", "running_server", "post_json"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(model: str, args: Sequence[str] = (), timeout_s: float = 60.0
                   ) -> Iterator[tuple[subprocess.Popen, str]]:
    """``sitrep serve`` (with more ``args``) in a subprocess on a free loopback port, healthy; stopped on exit."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sitrep", "serve", "--model", model, "--host", "127.0.0.1",
                             "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"sitrep serve did not become healthy on {base}") from None
                time.sleep(0.25)
        yield proc, base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def post_json(url: str, body: dict) -> dict:
    """POST ``body`` as JSON; the JSON answer."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=120).read())
