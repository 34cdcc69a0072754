"""Peak memory of the HTTP service with a model, under a short load on loopback.

    .venv/bin/python -m benchmarks.server_memory --model models/default --data data/dev.jsonl

Starts ``sitrep serve`` on a free 127.0.0.1 port, sends the file's sentences in
requests of 32 texts (a bounded number of requests), then reads the server's
peak resident memory (VmHWM) from /proc and stops it.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from inference.records import load_sentences
from sitrep.local_server import post_json, running_server


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of process ``pid`` so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


def measure(model: str, data: Path, max_requests: int = 50) -> dict:
    texts = [s.text for s in load_sentences(data)]
    with running_server(model) as (proc, base):
        idle = peak_rss_mb(proc.pid)
        sent, t0 = 0, time.perf_counter()
        for k in range(0, min(len(texts), 32 * max_requests), 32):
            post_json(base + "/extract", {"texts": texts[k:k + 32]})
            sent += len(texts[k:k + 32])
        elapsed = time.perf_counter() - t0
        return {"model": model, "sentences": sent, "requests": -(-sent // 32), "sentences_per_s": round(sent / elapsed, 1),
                "rss_after_start_mb": round(idle, 1), "peak_rss_mb": round(peak_rss_mb(proc.pid), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--data", type=Path, default=Path("data/dev.jsonl"))
    args = ap.parse_args()
    print(json.dumps(measure(args.model, args.data), indent=1))


if __name__ == "__main__":
    main()
