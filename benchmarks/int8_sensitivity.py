"""Which of the encoder's int8 layers move events away from fp32: each put back in fp32 in turn.

    .venv/bin/python -m benchmarks.int8_sensitivity --model models/default --data data/dev.jsonl

Prints the share of distinct sentences whose events (type, offsets, roles)
equal fp32's with every linear layer in int8, then with one layer, one kind
of layer in every block, or one whole block computed in fp32.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

KINDS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
         "intermediate.dense", "layer.{}.output.dense")


def groups(names: list[str]) -> dict[str, list[str]]:
    """Layer groups to put back in fp32: each layer, each kind across blocks, each block."""
    out = {n: [n] for n in names}
    blocks = sorted({n.split("layer.")[1].split(".")[0] for n in names}, key=int)
    for kind in KINDS:
        out["every " + kind.replace("layer.{}.", "")] = [n for n in names for b in blocks
                                                         if n.endswith(kind.format(b)) and f"layer.{b}." in n]
    for b in blocks:
        out[f"block {b}"] = [n for n in names if f"layer.{b}." in n]
    return out


def set_layers(modules: dict[str, nn.Module], new: dict[str, nn.Module]) -> None:
    """Put each layer of ``new`` in place of the one its name gives among ``modules`` (``named_modules()``)."""
    for name, layer in new.items():
        parent, _, child = name.rpartition(".")
        setattr(modules[parent], child, layer)


def main(argv: list[str] | None = None) -> dict:
    from inference import EventExtractor
    from inference.records import load_sentences
    from inference.runtime import tune_malloc
    from sitrep.bench import events_key

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--data", type=Path, default=Path("data/dev.jsonl"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    tune_malloc()
    texts = sorted({s.text for s in load_sentences(args.data)})
    fp32 = EventExtractor.from_pretrained(args.model, precision="fp32")
    reference = [events_key(e) for e in fp32.predict_sentences(texts)]
    fp32_layers = dict(fp32.model.encoder.named_modules())
    int8 = EventExtractor.from_pretrained(args.model, precision="int8")
    layers = dict(int8.model.encoder.named_modules())
    names = [n for n, m in layers.items() if type(m).__name__ == "Int8Linear"]

    def share() -> float:
        out = int8.predict_sentences(texts)
        return round(sum(events_key(e) == r for e, r in zip(out, reference)) / len(texts), 4)

    int8_layers = {n: layers[n] for n in names}
    result = {"model": args.model, "data": str(args.data), "sentences": len(texts), "all int8": share()}
    print(f"{'all int8':45s} {result['all int8']:.4f}", flush=True)
    for label, group in groups(names).items():
        set_layers(layers, {n: fp32_layers[n] for n in group})
        result[label] = share()
        set_layers(layers, {n: int8_layers[n] for n in group})
        print(f"{label + ' in fp32':45s} {result[label]:.4f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
