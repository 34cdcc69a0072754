"""Export a model directory to ONNX: two graphs, run by ``OnnxRunner``.

``triggers.onnx`` maps (input_ids, attention_mask) to (encoder states, trigger
label probabilities); ``arguments.onnx`` maps (encoder states, predicted
triggers) to role label probabilities. The argument graph needs the triggers
found by the first, so the model cannot be one graph without moving decoding
into it; decoding stays in Python/numpy, shared with the torch backend.
Batch, sequence and event counts are dynamic axes. ``int8=True`` also writes
dynamically quantized copies (ONNX Runtime's quantizer, int8 weights). Its
inputs are scaled per tensor, the whole padded batch, so unlike the torch int8
path (per-token scales) their answers can depend on the batch: loaders run them
only when ``precision="int8"`` is asked for.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch import nn

from inference.atomic import publish_directory
from inference.model import EventModel
from inference.runners import ONNX_FILES

__all__ = ["export_onnx"]


class _TriggerGraph(nn.Module):
    def __init__(self, model: EventModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        hidden = self.model.encode(input_ids, attention_mask)
        return hidden, torch.softmax(self.model.trigger_logits(hidden), -1)


class _ArgumentGraph(nn.Module):
    def __init__(self, model: EventModel):
        super().__init__()
        self.model = model

    def forward(self, hidden, ev_batch, ev_start, ev_end, ev_type):
        return torch.softmax(self.model.argument_logits(hidden, ev_batch, ev_start, ev_end, ev_type), -1)


def export_onnx(model_dir: str | Path, out_dir: str | Path, int8: bool = False, opset: int = 17) -> Path:
    """Write ``out_dir``: the model directory's files plus its ONNX graphs (atomically)."""
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    model = EventModel.from_pretrained(model_dir).float().eval()

    def build(tmp: Path) -> None:
        shutil.copytree(model_dir, tmp)
        _export_graphs(model, tmp, int8, opset)

    return publish_directory(build, out_dir)


def _export_graphs(model: EventModel, tmp: Path, int8: bool, opset: int) -> None:
    import warnings

    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    trig_file, arg_file = (tmp / name for name in ONNX_FILES["fp32"])
    with warnings.catch_warnings():  # tracer warnings about shape-dependent Python branches in HF code
        warnings.simplefilter("ignore")
        torch.onnx.export(_TriggerGraph(model), (ids, mask), str(trig_file), input_names=["input_ids", "attention_mask"],
                          output_names=["hidden", "trigger_probs"], opset_version=opset, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                        "hidden": {0: "batch", 1: "tokens"}, "trigger_probs": {0: "batch", 1: "tokens"}})
        hidden = model.encode(ids, mask).detach()
        ev = (torch.tensor([0, 1]), torch.tensor([1, 2]), torch.tensor([1, 3]), torch.tensor([0, 1]))
        torch.onnx.export(_ArgumentGraph(model), (hidden, *ev), str(arg_file),
                          input_names=["hidden", "ev_batch", "ev_start", "ev_end", "ev_type"],
                          output_names=["role_probs"], opset_version=opset, dynamo=False,
                          dynamic_axes={"hidden": {0: "batch", 1: "tokens"}, "ev_batch": {0: "events"},
                                        "ev_start": {0: "events"}, "ev_end": {0: "events"}, "ev_type": {0: "events"},
                                        "role_probs": {0: "events", 1: "tokens"}})
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        for src, dst in zip(ONNX_FILES["fp32"], ONNX_FILES["int8"]):
            # per-channel weight scales: per-tensor ones lose a point or two of dev F1 on this model
            quantize_dynamic(str(tmp / src), str(tmp / dst), weight_type=QuantType.QInt8, per_channel=True)
