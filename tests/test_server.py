"""The HTTP service: every endpoint and error with TestClient, then one real server on loopback."""
import json
import platform
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from inference import EventExtractor
from inference.extractor import ExtractedDocument
from inference.server import ServerSettings, create_app


@pytest.fixture(scope="module")
def client(tiny_model_dir):
    ex = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")
    app = create_app(ex, ServerSettings(model_dir=str(tiny_model_dir), max_texts=3, max_chars=500))
    with TestClient(app) as c:   # runs the app's lifespan: the batching worker stops at the end
        yield c, ex


def test_health_and_metadata(client):
    c, _ = client
    assert c.get("/health").json() == {"status": "ok"}
    meta = c.get("/metadata").json()
    assert list(meta["ontology"]["event_types"]) == ["Ambush", "Retreat", "Coup", "Statement"]
    assert meta["limits"] == {"max_texts": 3, "max_chars": 500} and "dev" in meta["training_metrics"]
    assert meta["batching"]["batch_workers"] == 1   # the extractor's: one batch at a time


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


@pytest.mark.parametrize("body, headers, status, message", [
    ('{"texts": ["ok", "Gao \\ud800 fell."]}', {}, 422, "texts[1] has a lone surrogate U+D800 at position 4"),
    ('{"text": "a \\udc00"}', {}, 422, "text has a lone surrogate U+DC00 at position 2"),
    ('{"texts": ["\\ud83d\\ude00 ok"]}', {}, 200, "documents"),          # a surrogate pair is one character
    ("text=Rebels+fled", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "send application/json"),
    ('{"text": "a"}', {"Content-Type": "text/plain"}, 415, "send application/json"),
    ('{"text": "a"}', {"Content-Type": "application/json; charset=utf-8"}, 200, "documents"),
    ('{"text": "a", "textz": ["b"], "min_scor": 1}', {}, 422, "unknown key(s) 'min_scor', 'textz'"),
    ('["a"]', {}, 422, "must be a JSON object"),
    (b'{"text": "caf\xe9"}', {}, 400, "not valid UTF-8 (byte 0xe9 at offset 13)"),
    ('{"text": "a",}', {}, 400, "not valid JSON"),
])
def test_error_answers_say_what_to_send(client, body, headers, status, message):
    c, _ = client
    r = c.post("/extract", content=body, headers={"Content-Type": "application/json"} | headers)
    assert r.status_code == status and message in r.text, r.text


class BlockedExtractor:
    """Answers nothing until released: requests pile up in the queue."""

    min_score = 0.0

    def __init__(self):
        self.entered, self.release = threading.Event(), threading.Event()

    def extract(self, texts, batch_size, min_score):
        self.entered.set()
        self.release.wait(30)
        return [ExtractedDocument(t, []) for t in texts]


def test_a_full_queue_answers_503_with_retry_after():
    ex = BlockedExtractor()
    with TestClient(create_app(ex, ServerSettings(max_chars=10, max_queued_chars=10, batch_wait_ms=0))) as c:
        with ThreadPoolExecutor(2) as pool:
            running = pool.submit(c.post, "/extract", json={"text": "a" * 10})   # the worker takes it
            assert ex.entered.wait(10)
            queued = pool.submit(c.post, "/extract", json={"text": "b" * 10})    # fills the queue
            time.sleep(0.5)
            r = c.post("/extract", json={"text": "c"})
            assert r.status_code == 503 and "retry" in r.json()["detail"] and r.headers["retry-after"] == "1"
            ex.release.set()
            assert [f.result().json()["documents"][0]["text"] for f in (running, queued)] == ["a" * 10, "b" * 10]


def test_settings_are_checked():
    with pytest.raises(ValueError, match=r"max_queued_chars \(10\) must be at least max_chars"):
        ServerSettings(max_chars=500, max_queued_chars=10)
    with pytest.raises(ValueError, match="round_chars must be >= 1"):
        ServerSettings(round_chars=0)
    with pytest.raises(ValueError, match="batch_workers must be >= 1"):
        ServerSettings(batch_workers=0)


def test_the_service_never_picks_bf16_by_itself(monkeypatch, tiny_model_dir):
    # bf16 answers depend on the batch a request shares: only asked for, never 'auto'
    from inference import runtime
    from inference.server import served_precision

    monkeypatch.setattr(runtime, "cpu_supports_bf16", lambda: True)
    cpu_precision = json.loads((tiny_model_dir / "config.json").read_text())["cpu_precision"]
    assert served_precision(ServerSettings(model_dir=str(tiny_model_dir))) == cpu_precision
    assert served_precision(ServerSettings(model_dir=str(tiny_model_dir), precision="bf16")) == "bf16"
    monkeypatch.setenv("SITREP_MODEL_DIR", str(tiny_model_dir))
    from inference.server import app_from_env

    with TestClient(app_from_env()) as c:
        assert c.get("/metadata").json()["precision"] == cpu_precision


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the heap limits are glibc's")
def test_malloc_is_tuned_and_the_heap_trimmed():
    from inference.runtime import release_free_heap, tune_malloc

    assert tune_malloc(max_arenas=8) and release_free_heap()


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("SITREP_BATCH_WAIT_MS", "2.5")
    monkeypatch.setenv("SITREP_NUM_THREADS", "2")
    settings = ServerSettings.from_env()
    assert settings.batch_wait_ms == 2.5 and settings.num_threads == 2
    assert ServerSettings.from_env().to_env()["SITREP_BATCH_WAIT_MS"] == "2.5"
    monkeypatch.setenv("SITREP_ROUND_CHARS", "lots")
    with pytest.raises(ValueError, match="SITREP_ROUND_CHARS='lots': expected int"):
        ServerSettings.from_env()


def test_openapi_docs(client):
    c, _ = client
    assert c.get("/docs").status_code == 200
    extract = c.get("/openapi.json").json()["paths"]["/extract"]["post"]
    schema = extract["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"text", "texts", "min_score"} and schema["additionalProperties"] is False


def test_real_server_on_loopback(tiny_model_dir):
    from sitrep.local_server import post_json, running_server

    with running_server(str(tiny_model_dir)) as (_, base):
        body = post_json(base + "/extract", {"text": "Troops fell back."})
        assert body["documents"][0]["text"] == "Troops fell back."
        assert json.loads(urllib.request.urlopen(base + "/health", timeout=5).read()) == {"status": "ok"}
