"""What real text buys: train the recipe on our prose only, real text only, both, and both with weights.

    .venv/bin/python -m benchmarks.data_mix --set optim.epochs=4 --json benchmarks/results/data_mix.json

Each mix is one training run of ``--config`` with its ``data.train`` replaced;
every run picks its checkpoint on the real-text dev set, and each model is then
scored in fp32 on both dev sets (real text and our prose), so the rows compare
data, not precision or checkpoint rules.
"""
from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.atomic import write_json
from inference.records import load_sentences
from inference.scoring import score

__all__ = ["Mix", "DEFAULT_MIXES", "run_data_mix"]


@dataclass(frozen=True)
class Mix:
    name: str
    files: tuple[tuple[str, float], ...]   # (path, sampling weight)


OURS, REAL = "data/train.jsonl", "data/real/train.jsonl"
DEFAULT_MIXES = (
    Mix("our prose only", ((OURS, 1.0),)),
    Mix("real text only", ((REAL, 1.0),)),
    Mix("both", ((OURS, 1.0), (REAL, 1.0))),
    Mix("both, real x2", ((OURS, 1.0), (REAL, 2.0))),
)


def _scores(model_dir: Path, gold_path: str) -> dict[str, float]:
    from inference import EventExtractor

    gold = load_sentences(gold_path)
    ex = EventExtractor.from_pretrained(model_dir, precision="fp32")
    report = score(gold, ex.predict_records(gold))
    return {"tri_c_f1": report["tri_c"]["f1"], "arg_c_f1": report["arg_c"]["f1"]}


def run_data_mix(config: Path, mixes: tuple[Mix, ...], overrides: list[str], real_dev: str, own_dev: str
                 ) -> list[dict[str, Any]]:
    """Train once per mix; return one row per mix with both dev sets' scores."""
    from training.config import load_config
    from training.trainer import train

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, mix in enumerate(mixes):
            files = "[" + ", ".join(f"{{path: {p}, weight: {w}}}" for p, w in mix.files) + "]"
            cfg = load_config(config, overrides + [f"data.train={files}", f"data.dev={real_dev}", "data.test=null",
                                                   "data.more_tests=[]",
                                                   f"run.output_dir={tmp}/model_{k}",
                                                   f"run.checkpoint_dir={tmp}/ckpt_{k}"])
            result = train(cfg)
            sentences = sum(round(len(load_sentences(p)) * w) for p, w in mix.files)
            rows.append({"mix": mix.name, "train": [{"path": p, "weight": w} for p, w in mix.files],
                         "train_sentences_per_epoch": sentences,
                         "real_dev": _scores(result.output_dir, real_dev),
                         "own_dev": _scores(result.output_dir, own_dev),
                         "wall_time_s": round(result.wall_time_s, 1)})
            print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=Path("configs/default.yaml"))
    ap.add_argument("--real-dev", default="data/real/dev.jsonl")
    ap.add_argument("--own-dev", default="data/dev.jsonl")
    ap.add_argument("--mix", type=int, nargs="+", help="run only these rows of the default mixes (0-based)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="config override key=value")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    mixes = tuple(DEFAULT_MIXES[i] for i in args.mix) if args.mix else DEFAULT_MIXES
    rows = run_data_mix(args.config, mixes, args.overrides, args.real_dev, args.own_dev)
    print("| training data | sentences per epoch | real dev Tri-C / Arg-C | own dev Tri-C / Arg-C | wall time (s) |\n"
          "|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mix']} | {r['train_sentences_per_epoch']} | {r['real_dev']['tri_c_f1']:.3f} / "
              f"{r['real_dev']['arg_c_f1']:.3f} | {r['own_dev']['tri_c_f1']:.3f} / {r['own_dev']['arg_c_f1']:.3f} "
              f"| {r['wall_time_s']} |")
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()
