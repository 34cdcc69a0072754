"""What int8 would need to give fp32's events on 99% of sentences: other rounding schemes, measured.

    .venv/bin/python -m benchmarks.int8_agreement --model models/default

Every scheme rounds the encoder's linear layers differently; the heads stay fp32
as in ``precision="int8"``. For each, on every ``--data`` file's distinct
sentences: the share whose events (type, offsets, roles) equal fp32's, the share
equal to fp32 computed on the int8 grid's weights (so that only the activations'
rounding differs), and full-extraction speed.

- ``int8``: the shipped ``precision="int8"`` (``Int8Linear``: a scale per token
  row, one per weight row).
- ``smooth A``: SmoothQuant's per-input-channel scales, activation max^A /
  weight max^(1-A), the activation maxima from ``--calibration`` sentences.
- ``outliers K``: the K input channels with the largest calibration maxima
  computed in fp32 beside the int8 product (LLM.int8()'s decomposition).
- ``two-pass``: each row rounded, then its rounding error rounded again: about
  16-bit activations from two int8 products.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from benchmarks.batch_cap import sentences_per_s
from benchmarks.int8_sensitivity import set_layers
from inference.quantized import Int8Linear, quantize_rows, quantize_weight


class Smoothed(Int8Linear):
    """Input channel j divided by s_j and weight column j times s_j before rounding (SmoothQuant)."""

    def __init__(self, linear: nn.Linear, act_max: torch.Tensor, alpha: float):
        w = linear.weight.detach().float()
        s = act_max.clamp(min=1e-5) ** alpha / w.abs().amax(0).clamp(min=1e-5) ** (1 - alpha)
        scaled = nn.Linear(linear.in_features, linear.out_features, bias=linear.bias is not None)
        scaled.weight.data = w * s
        if linear.bias is not None:
            scaled.bias.data = linear.bias.detach().float()
        super().__init__(scaled)
        self.register_buffer("inv_s", s.reciprocal(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x * self.inv_s)


class OutliersInFp32(Int8Linear):
    """The given input channels left out of the int8 product and added in fp32 (weights on the int8 grid)."""

    def __init__(self, linear: nn.Linear, channels: torch.Tensor):
        super().__init__(linear)
        self.channels = channels
        self.register_buffer("w_outliers", self.weight_t[channels].float() * self.weight_scale, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rest = x.clone()
        rest[..., self.channels] = 0
        return super().forward(rest) + x[..., self.channels] @ self.w_outliers


class TwoPass(Int8Linear):
    """Each row rounded, its rounding error rounded again, both through one int8 product."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1]).float()
        q, s = quantize_rows(rows)
        q2, s2 = quantize_rows(rows - q.float() * s)
        y = torch._int_mm(torch.cat([q, q2]), self.weight_t).float()
        y = y[:len(q)].mul_(s).add_(y[len(q):].mul_(s2)).mul_(self.weight_scale)
        if self.bias is not None:
            y.add_(self.bias)
        return y.reshape(*x.shape[:-1], self.out_features)


def input_maxima(model: nn.Module, run: Callable[[], object]) -> dict[str, torch.Tensor]:
    """The largest |input| per channel of every ``nn.Linear`` in ``model`` while ``run()`` runs."""
    maxima: dict[str, torch.Tensor] = {}

    def hook(name: str):
        def record(_module, inputs, _output):
            x = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0)
            maxima[name] = torch.maximum(maxima[name], x) if name in maxima else x
        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return maxima


def snap_weights(model: nn.Module) -> None:
    """Put every linear weight of ``model`` on its int8 grid, in fp32 (what ``Int8Linear`` multiplies by)."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            q, scale = quantize_weight(m.weight)
            m.weight.data = q.float() * scale[:, None]


def schemes(maxima: dict[str, torch.Tensor]) -> dict[str, Callable[[str, nn.Linear], nn.Module]]:
    """Scheme name -> a function building one layer (its name, its fp32 ``nn.Linear``)."""
    return {
        "smooth 0.5": lambda n, lin: Smoothed(lin, maxima[n], 0.5),
        "outliers 2": lambda n, lin: OutliersInFp32(lin, maxima[n].topk(2).indices),
        "outliers 8": lambda n, lin: OutliersInFp32(lin, maxima[n].topk(8).indices),
        "two-pass": lambda n, lin: TwoPass(lin),
    }


def _same(got: dict[str, list], reference: dict[str, list]) -> dict[str, float]:
    """Per data file, the share of sentences whose events in ``got`` equal ``reference``'s."""
    return {k: round(sum(a == b for a, b in zip(got[k], reference[k])) / len(got[k]), 4) for k in got}


def _rate(extractor, texts: list[str]) -> float:
    """Best of two full extractions at batch 32, after a warm-up."""
    extractor.predict_sentences(texts[:32])
    return sentences_per_s(extractor, texts, batch_size=32, repeats=2)


def main(argv: list[str] | None = None) -> dict:
    from inference import EventExtractor
    from inference.records import load_sentences
    from inference.runtime import tune_malloc
    from sitrep.bench import events_key

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--data", type=Path, nargs="+", default=[Path("data/dev.jsonl"), Path("data/real/dev.jsonl")])
    ap.add_argument("--calibration", type=Path, default=Path("data/train.jsonl"))
    ap.add_argument("--calibration-sentences", type=int, default=400)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    tune_malloc()
    sets = {str(p): sorted({s.text for s in load_sentences(p)}) for p in args.data}
    calibration = sorted({s.text for s in load_sentences(args.calibration)})
    random.Random(0).shuffle(calibration)

    def keys(extractor) -> dict[str, list]:
        return {name: [events_key(e) for e in extractor.predict_sentences(texts)] for name, texts in sets.items()}

    fp32 = EventExtractor.from_pretrained(args.model, precision="fp32")
    maxima = input_maxima(fp32.model.encoder,
                          lambda: fp32.predict_sentences(calibration[:args.calibration_sentences]))
    linears = {n: m for n, m in fp32.model.encoder.named_modules() if isinstance(m, nn.Linear)}
    reference = keys(fp32)
    snapped = EventExtractor.from_pretrained(args.model, precision="fp32")
    snap_weights(snapped.model.encoder)
    on_grid = keys(snapped)
    int8 = EventExtractor.from_pretrained(args.model, precision="int8")
    layers = dict(int8.model.encoder.named_modules())
    speed_texts = [t for texts in sets.values() for t in texts]
    result: dict = {"model": args.model, "sentences": {k: len(v) for k, v in sets.items()},
                    "snapped fp32 vs fp32": _same(on_grid, reference), "fp32 sentences/s": _rate(fp32, speed_texts),
                    "schemes": {}}
    print(f"fp32: {result['fp32 sentences/s']} sentences/s; fp32 on the int8 grid's weights, same events as fp32: "
          f"{result['snapped fp32 vs fp32']}", flush=True)

    def measure(label: str) -> None:
        got = keys(int8)
        row = {"vs fp32": _same(got, reference), "vs fp32 on the grid": _same(got, on_grid),
               "sentences/s": _rate(int8, speed_texts)}
        result["schemes"][label] = row
        print(f"{label:12s} {json.dumps(row)}", flush=True)

    measure("int8")
    for label, make in schemes(maxima).items():
        set_layers(layers, {n: make(n, lin) for n, lin in linears.items()})
        measure(label)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
