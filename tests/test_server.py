"""The HTTP service: every endpoint and error with TestClient, then one real server on loopback."""
import json
import urllib.request

import pytest
from fastapi.testclient import TestClient

from inference import EventExtractor
from inference.server import ServerSettings, create_app


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
    from sitrep.local_server import post_json, running_server

    with running_server(str(tiny_model_dir)) as (_, base):
        body = post_json(base + "/extract", {"text": "Troops fell back."})
        assert body["documents"][0]["text"] == "Troops fell back."
        assert json.loads(urllib.request.urlopen(base + "/health", timeout=5).read()) == {"status": "ok"}
