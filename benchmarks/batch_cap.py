"""Throughput by batch size, with the CPU's activation cap and without it.

    .venv/bin/python -m benchmarks.batch_cap --model models/default --precision int8 --caps 1024 2048 3072

A cap of N tokens lets a batch hold N tokens' worth of the encoder's widest
activation (``EventExtractor.max_batch_values`` = N x that width); "none" is
``batch_size`` alone. Best of ``--repeats`` timings of the file's sentences.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

BATCH_SIZES = (16, 32, 64, 128)


def sentences_per_s(ex, texts: list[str], batch_size: int, repeats: int) -> float:
    """Best sentences/s of ``ex`` over ``repeats`` passes at ``batch_size``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        ex.predict_sentences(texts, batch_size=batch_size)
        best = min(best, time.perf_counter() - start)
    return round(len(texts) / best, 1)


def main(argv: list[str] | None = None) -> dict:
    from inference import EventExtractor
    from inference.extractor import activation_width
    from inference.records import load_sentences
    from inference.runtime import tune_malloc

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--data", type=Path, default=Path("data/dev.jsonl"))
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--caps", type=int, nargs="*", default=[1024, 2048, 3072], help="caps in tokens")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    tune_malloc()
    texts = [s.text for s in load_sentences(args.data)][:1000]
    ex = EventExtractor.from_pretrained(args.model, precision=args.precision)
    ex.predict_sentences(texts[:64])  # warm-up
    width = activation_width(ex.config.encoder_config)(1)  # the feed-forward's: the widest row of a short window
    result = {"model": args.model, "data": str(args.data), "precision": ex.precision, "sentences": len(texts),
              "sentences_per_s": {}}
    for cap in [None, *args.caps]:
        ex.max_batch_values = None if cap is None else cap * width
        row = {str(bs): sentences_per_s(ex, texts, bs, args.repeats) for bs in BATCH_SIZES}
        result["sentences_per_s"]["none" if cap is None else str(cap)] = row
        print(f"cap {'none' if cap is None else cap:>5}: " + ", ".join(f"b{k} {v:.0f}" for k, v in row.items()),
              flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
