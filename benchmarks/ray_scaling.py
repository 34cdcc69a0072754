"""Ray Data extraction against single-process extraction on the same 10,000+ sentences.

    .venv/bin/python -m benchmarks.ray_scaling --model models/default --json benchmarks/results/ray_scaling.json

The input is the dev split repeated (unique ids) to ``--sentences`` lines.
Single-process runs ``EventExtractor`` in this process with all cores; Ray
runs a local cluster with 1 and then 2 actors (one torch thread each).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from inference.atomic import write_json
from inference.records import load_sentences, write_jsonl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--data", type=Path, default=Path("data/dev.jsonl"))
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import ray

    from inference.extractor import EventExtractor
    from inference.ray_engine import run_ray_extraction

    base = load_sentences(args.data)
    rows = [{"id": f"r{i}", "text": base[i % len(base)].text} for i in range(args.sentences)]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        write_jsonl(src, rows)
        ex = EventExtractor.from_pretrained(args.model)
        t = time.perf_counter()
        ex.extract([r["text"] for r in rows])
        dt = time.perf_counter() - t
        results.append({"engine": "single process (2 torch threads)", "sentences_per_s": round(len(rows) / dt, 1),
                        "wall_s": round(dt, 1)})
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            for actors in (1, 2):
                t = time.perf_counter()
                r = run_ray_extraction(str(Path(args.model).resolve()), [str(src)], Path(tmp) / f"out{actors}",
                                       actors=actors)
                dt = time.perf_counter() - t
                assert r.records_out == len(rows) and r.errors == 0
                results.append({"engine": f"ray, {actors} actor(s) (1 torch thread each)",
                                "sentences_per_s": round(len(rows) / dt, 1), "wall_s": round(dt, 1)})
        finally:
            ray.shutdown()
    print(f"| engine ({len(rows)} sentences) | sentences/s | wall time (s) |\n|---|---|---|")
    for r in results:
        print(f"| {r['engine']} | {r['sentences_per_s']} | {r['wall_s']} |")
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
