"""The HTTP service: every endpoint and error with TestClient, then one real server on loopback."""
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient

from inference import EventExtractor
from inference.server import ServerSettings, create_app
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def client(tiny_model_dir):
    ex = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")
    app = create_app(ex, ServerSettings(model_dir=str(tiny_model_dir), max_texts=3, max_chars=500))
    return TestClient(app), ex


def test_health_and_metadata(client):
    c, _ = client
    assert c.get("/health").json() == {"status": "ok"}
    meta = c.get("/metadata").json()
    assert list(meta["ontology"]["event_types"]) == ["Ambush", "Retreat", "Coup", "Statement"]
    assert meta["limits"] == {"max_texts": 3, "max_chars": 500} and "dev" in meta["training_metrics"]


def test_extract_matches_python_api(client):
    c, ex = client
    text = "Rebels ambushed a convoy near Gao on Monday, the army said."
    r = c.post("/extract", json={"text": text})
    assert r.status_code == 200
    assert r.json()["documents"] == [ex.extract(text)[0].to_dict()]
    r = c.post("/extract", json={"texts": [text, ""]})
    assert [d["text"] for d in r.json()["documents"]] == [text, ""]


@pytest.mark.parametrize("body, status, message", [
    ({"texts": ["a", "b", "c", "d"]}, 413, "the limit is 3"),
    ({"text": "x" * 501}, 413, "the limit is 500"),
    ({}, 422, "exactly one of 'text' or 'texts'"),
    ({"text": "a", "texts": ["b"]}, 422, "exactly one of"),
    ({"texts": "not a list"}, 422, "list"),
    ({"text": "a", "min_score": 2}, 422, "less than or equal to 1"),
])
def test_limits_and_bad_requests(client, body, status, message):
    c, _ = client
    r = c.post("/extract", json=body)
    assert r.status_code == status and message in json.dumps(r.json())


def test_openapi_docs(client):
    c, _ = client
    assert c.get("/docs").status_code == 200 and "/extract" in c.get("/openapi.json").json()["paths"]


def test_real_server_on_loopback(tiny_model_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sitrep", "serve", "--model", str(tiny_model_dir),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        req = urllib.request.Request(base + "/extract", data=json.dumps({"text": "Troops fell back."}).encode(),
                                     headers={"Content-Type": "application/json"})
        body = json.loads(urllib.request.urlopen(req, timeout=30).read())
        assert body["documents"][0]["text"] == "Troops fell back."
    finally:
        proc.terminate()
        proc.wait(timeout=30)
