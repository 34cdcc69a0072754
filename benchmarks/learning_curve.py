"""Learning curve: train the default recipe on 10%, 25%, 50%, 100% of train; report dev Tri-C/Arg-C.

    .venv/bin/python -m benchmarks.learning_curve --json benchmarks/learning_curve.json \
        --plot benchmarks/learning_curve.png

Subsets are drawn by document (seeded), so a subset never splits an article.
If dev scores still climb at 100%, more data is the next lever; if they are
flat, a better model is.
"""
from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any

from inference.atomic import write_json
from inference.records import load_sentences, save_sentences

__all__ = ["subset_by_document", "run_learning_curve"]


def subset_by_document(sentences, fraction: float, seed: int = 13):
    """The sentences of a seeded random ``fraction`` of the documents."""
    docs = sorted({s.doc_id or s.id for s in sentences})
    keep = set(random.Random(seed).sample(docs, max(1, round(fraction * len(docs)))))
    return [s for s in sentences if (s.doc_id or s.id) in keep]


def run_learning_curve(config: Path, fractions: list[float], overrides: list[str]) -> list[dict[str, Any]]:
    from training.config import load_config
    from training.trainer import train

    base = load_config(config, overrides)
    train_sents = load_sentences(base.data.train[0].path)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for frac in fractions:
            subset = subset_by_document(train_sents, frac, base.run.seed)
            path = Path(tmp) / f"train_{frac}.jsonl"
            save_sentences(path, subset)
            cfg = load_config(config, overrides + [f"data.train=[{path}]", f"run.output_dir={tmp}/model_{frac}",
                                                   f"run.checkpoint_dir={tmp}/ckpt_{frac}", "data.test=null",
                                                   "data.more_tests=[]"])
            result = train(cfg)
            rows.append({"fraction": frac, "train_sentences": len(subset),
                         "dev_tri_c_f1": result.best_dev["tri_c"]["f1"], "dev_arg_c_f1": result.best_dev["arg_c"]["f1"],
                         "wall_time_s": round(result.wall_time_s, 1)})
            print(rows[-1], flush=True)
    return rows


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    x = [r["train_sentences"] for r in rows]
    ax.plot(x, [r["dev_tri_c_f1"] for r in rows], "o-", label="Tri-C F1")
    ax.plot(x, [r["dev_arg_c_f1"] for r in rows], "s-", label="Arg-C F1")
    ax.set_xlabel("training sentences")
    ax.set_ylabel("dev F1")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=Path("configs/default.yaml"))
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="config override key=value")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--plot", type=Path)
    args = ap.parse_args(argv)
    rows = run_learning_curve(args.config, args.fractions, args.overrides)
    print("| train share | sentences | dev Tri-C F1 | dev Arg-C F1 | wall time (s) |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['fraction']:.0%} | {r['train_sentences']} | {r['dev_tri_c_f1']:.4f} | {r['dev_arg_c_f1']:.4f} "
              f"| {r['wall_time_s']} |")
    if args.json:
        write_json(args.json, rows)
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
