"""The HTTP service under concurrent clients: throughput, latency, errors, changed answers, peak memory.

    .venv/bin/python -m benchmarks.load --model models/default --precision int8 --json benchmarks/results/load.json

Builds a fixed pool of requests of mixed sizes from the file's sentences (1 to
256 texts; some texts are single sentences, some paragraphs of several), and
times offline extraction of the whole pool at batch size 32 in this process.
Then starts ``sitrep serve`` on a free 127.0.0.1 port, sends each pool request
alone to record its single-request answer, and lets ``--clients`` threads send
pool requests concurrently until ``--requests`` are answered or ``--duration``
seconds pass. An answer that differs from the single-request one is counted
as changed when its events differ (type, trigger and argument offsets, roles),
and as a score difference when only scores do.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.server_memory import peak_rss_mb
from sitrep.local_server import running_server
from inference.records import load_sentences

SIZES = (1, 4, 16, 64, 256)          # texts per request ...
SIZE_WEIGHTS = (4, 3, 2, 1, 0.5)     # ... mostly small, a few as large as the server accepts
PARAGRAPH_SHARE = 0.25               # texts that are paragraphs of 2-8 sentences rather than one sentence
MAX_REQUEST_CHARS = 150_000          # under the server's default max_chars


@dataclass
class PoolRequest:
    body: bytes
    texts: int
    answer: bytes = b""              # the single-request answer
    sentences: int = 0


def build_pool(sentences: list[str], distinct: int, seed: int) -> list[PoolRequest]:
    """``distinct`` requests of mixed sizes drawn from ``sentences``, the same for the same seed."""
    rng = random.Random(seed)
    pool = []
    for _ in range(distinct):
        n = rng.choices(SIZES, SIZE_WEIGHTS)[0]
        texts, chars = [], 0
        while len(texts) < n:
            k = rng.randint(2, 8) if rng.random() < PARAGRAPH_SHARE else 1
            start = rng.randrange(len(sentences))
            text = " ".join(sentences[start:start + k])
            if chars + len(text) > MAX_REQUEST_CHARS:
                break
            texts.append(text)
            chars += len(text)
        pool.append(PoolRequest(json.dumps({"texts": texts}).encode(), len(texts)))
    return pool


def events_key(answer: dict) -> list:
    return [[(e["type"], e["trigger"]["start"], e["trigger"]["end"],
              sorted((a["role"], a["start"], a["end"]) for a in e["arguments"])) for e in d["events"]]
            for d in answer["documents"]]


def scores(answer: dict) -> list[float]:
    return [x["score"] for d in answer["documents"] for e in d["events"] for x in (e, *e["arguments"])]


def offline_sentences_per_s(model: str, precision: str, pool: list[PoolRequest]) -> tuple[float, int]:
    """Sentences/s of ``extract`` over all pool texts at batch size 32 in this process, and the sentence count."""
    from inference.extractor import EventExtractor

    ex = EventExtractor.from_pretrained(model, precision=precision, batch_size=32)
    texts = [t for r in pool for t in json.loads(r.body)["texts"]]
    ex.extract(texts[:64])  # warm-up
    t0 = time.perf_counter()
    docs = ex.extract(texts)
    elapsed = time.perf_counter() - t0
    n = sum(len(d.sentences) for d in docs)
    return n / elapsed, n


class Client:
    """One keep-alive connection that sends pool requests and compares each answer with the single-request one."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def post(self, body: bytes) -> tuple[int, bytes]:
        try:
            self.conn.request("POST", "/extract", body, {"Content-Type": "application/json"})
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            raise


def run_load(port: int, pool: list[PoolRequest], clients: int, requests: int, duration_s: float) -> dict:
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    outcome = {"errors": 0, "changed_answers": 0, "score_differences": 0, "max_score_difference": 0.0,
               "sentences": 0}
    error_samples: list[str] = []
    deadline = time.monotonic() + duration_s

    def client_loop(k: int) -> None:
        nonlocal issued
        client = Client(port)
        while True:
            with lock:
                if issued >= requests or time.monotonic() > deadline:
                    return
                request = pool[(issued * 7 + k) % len(pool)]   # clients interleave the pool differently
                issued += 1
            t0 = time.perf_counter()
            try:
                status, body = client.post(request.body)
            except (OSError, http.client.HTTPException) as exc:
                status, body = -1, repr(exc).encode()
            elapsed = time.perf_counter() - t0
            with lock:
                if status != 200:
                    outcome["errors"] += 1
                    error_samples.append(f"{status}: {body[:200].decode(errors='replace')}")
                    continue
                latencies.append(elapsed)
                outcome["sentences"] += request.sentences
            if body != request.answer:
                got, single = json.loads(body), json.loads(request.answer)
                changed = events_key(got) != events_key(single)
                delta = 0.0 if changed else max(abs(a - b) for a, b in zip(scores(got), scores(single)))
                with lock:
                    outcome["changed_answers" if changed else "score_differences"] += 1
                    outcome["max_score_difference"] = max(outcome["max_score_difference"], delta)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()

    def pct(q: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))], 1) if latencies else 0.0

    return {"clients": clients, "requests": len(latencies) + outcome["errors"], "seconds": round(elapsed, 1),
            "requests_per_s": round(len(latencies) / elapsed, 2),
            "sentences_per_s": round(outcome["sentences"] / elapsed, 1),
            "latency_ms": {"p50": pct(50), "p95": pct(95), "p99": pct(99)},
            **outcome, "error_samples": error_samples[:5]}


def measure(model: str, data: Path, precision: str = "auto", clients: int = 50, requests: int = 400,
            duration_s: float = 180.0, distinct: int = 40, seed: int = 0) -> dict:
    sentences = [s.text for s in load_sentences(data)]
    pool = build_pool(sentences, distinct, seed)
    load_before = os.getloadavg()
    offline, offline_sentences = offline_sentences_per_s(model, precision, pool)
    with running_server(model, ["--precision", precision]) as (proc, base):
        port = int(base.rsplit(":", 1)[1])
        rss_after_start = peak_rss_mb(proc.pid)
        single = Client(port)
        for request in pool:
            status, request.answer = single.post(request.body)
            if status != 200:
                raise RuntimeError(f"a single request failed with {status}: {request.answer[:300]!r}")
            request.sentences = sum(len(d["sentences"]) for d in json.loads(request.answer)["documents"])
        server_cpu_before, client_cpu_before = process_cpu_s(proc.pid), process_cpu_s(os.getpid())
        load = run_load(port, pool, clients, requests, duration_s)
        cpu = {"server_cpu_s": round(process_cpu_s(proc.pid) - server_cpu_before, 1),
               "load_generator_cpu_s": round(process_cpu_s(os.getpid()) - client_cpu_before, 1)}
        metadata = _get_json(port, "/metadata")
        peak = peak_rss_mb(proc.pid)
    return {"model": model, "data": str(data), "precision": metadata["precision"],
            "batching": metadata.get("batching"), "pool": {"requests": len(pool), "texts": sum(r.texts for r in pool),
                                                          "sentences": sum(r.sentences for r in pool)},
            "load": load | cpu, "offline_b32_sentences_per_s": round(offline, 1), "offline_sentences": offline_sentences,
            "load_over_offline": round(load["sentences_per_s"] / offline, 3),
            "rss_after_start_mb": round(rss_after_start, 1), "peak_rss_mb": round(peak, 1),
            "machine": {"cores": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
                        "load_average_after": [round(x, 2) for x in os.getloadavg()]}}


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    return json.loads(conn.getresponse().read())


def format_load(r: dict) -> str:
    load = r["load"]
    lat = load["latency_ms"]
    return "\n".join([
        f"{r['model']} ({r['precision']}), {load['clients']} clients, {load['requests']} requests in "
        f"{load['seconds']} s from a pool of {r['pool']['requests']} ({r['pool']['sentences']} sentences)",
        f"  {load['requests_per_s']} requests/s, {load['sentences_per_s']} sentences/s "
        f"({r['load_over_offline']:.0%} of offline b32: {r['offline_b32_sentences_per_s']} sentences/s)",
        f"  CPU seconds during the load: server {load['server_cpu_s']}, load generator {load['load_generator_cpu_s']} "
        f"(of {load['seconds'] * (r['machine']['cores'] or 1):.0f} core-seconds)",
        f"  latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms",
        f"  errors {load['errors']}, changed answers {load['changed_answers']}, "
        f"answers with other scores only {load['score_differences']} (largest difference "
        f"{load['max_score_difference']:.1e})",
        f"  server RSS after start {r['rss_after_start_mb']} MB, peak {r['peak_rss_mb']} MB"])


def main() -> None:
    from inference.runtime import tune_malloc

    tune_malloc()  # the offline figure runs as `sitrep` commands do; the server tunes its own
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--data", type=Path, default=Path("data/dev.jsonl"))
    ap.add_argument("--precision", default="auto", help="auto | fp32 | bf16 | int8 (server and offline figure)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=400, help="stop after this many requests ...")
    ap.add_argument("--duration", type=float, default=180.0, help="... or after this many seconds")
    ap.add_argument("--distinct", type=int, default=40, help="distinct requests in the pool")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the result here")
    args = ap.parse_args()
    result = measure(args.model, args.data, args.precision, args.clients, args.requests, args.duration,
                     args.distinct, args.seed)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(format_load(result))


if __name__ == "__main__":
    main()
