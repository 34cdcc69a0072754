"""What ``tune_malloc`` buys: extraction speed with glibc's default malloc and with the tuned one.

    .venv/bin/python -m benchmarks.malloc --model models/default --precision int8 bf16

malloc settings hold for a whole process and cannot be put back, so each
setting runs in a fresh process of this module (``--child``): it loads the
model, warms up, then takes the best of ``--repeats`` timings of the file's
sentences at batch size 32, and the median one-sentence latency.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = ("default", "tuned")


def measure(model: str, data: Path, precision: str, repeats: int, sentences: int) -> dict:
    """Best b32 sentences/s and median one-sentence latency of ``model`` in this process."""
    from inference import EventExtractor
    from inference.records import load_sentences

    texts = [s.text for s in load_sentences(data)]
    texts = (texts * (sentences // len(texts) + 1))[:sentences]
    ex = EventExtractor.from_pretrained(model, precision=precision, batch_size=32)
    ex.predict_sentences(texts[:64])
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        ex.predict_sentences(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    latencies = []
    for text in texts[:200]:
        start = time.perf_counter()
        ex.predict_sentences([text])
        latencies.append(1000 * (time.perf_counter() - start))
    return {"b32_sentences_per_s": round(best, 1), "p50_ms": round(statistics.median(latencies), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--data", type=Path, default=Path("data/dev.jsonl"))
    ap.add_argument("--precision", nargs="+", default=["int8"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2, help="default and tuned alternate this many times")
    ap.add_argument("--child", choices=SETTINGS, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.child:
        if args.child == "tuned":
            from inference.runtime import tune_malloc

            if not tune_malloc():
                sys.exit("this C library is not glibc: nothing to tune")
        print(json.dumps({p: measure(args.model, args.data, p, args.repeats, args.sentences) for p in args.precision}))
        return
    results: list[dict] = []
    for round_ in range(args.rounds):   # alternating: drift on a shared machine hits both settings
        for setting in SETTINGS:
            cmd = [sys.executable, "-m", "benchmarks.malloc", "--child", setting, "--model", args.model,
                   "--data", str(args.data), "--repeats", str(args.repeats), "--sentences", str(args.sentences),
                   "--precision", *args.precision]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            for precision, r in json.loads(out.strip().splitlines()[-1]).items():
                results.append({"round": round_ + 1, "malloc": setting, "precision": precision, **r})
                print(f"round {round_ + 1}, malloc {setting:7s} {precision}: b32 {r['b32_sentences_per_s']} "
                      f"sentences/s, one sentence p50 {r['p50_ms']} ms", flush=True)
    if args.json:
        from inference.atomic import write_json

        write_json(args.json, {"model": args.model, "data": str(args.data), "runs": results})


if __name__ == "__main__":
    main()
