"""Quantization-aware training: the encoder learns under the rounding that int8 inference applies.

``--precision int8`` runs the encoder's linear layers in int8
(``inference/quantized.py``): weights rounded per output channel, each input
row (token) rounded with its own symmetric scale. A model trained in plain
fp32 loses dev F1 under that rounding. With ``model.quantization_aware: true``
every encoder linear layer computes with the same rounding during training
(fake quantization, straight-through gradients), so the weights settle where
int8 inference reads them as the training saw them.

Only the forward of each ``nn.Linear`` instance is replaced: parameter names,
checkpoints and ``save_pretrained`` are unchanged, and a saved model loads in
``inference`` without this module.
"""
from __future__ import annotations

import types

import torch
from torch import nn
from torch.nn import functional as F

from inference.quantized import ACT_QMAX, row_scales, weight_scales

__all__ = ["fake_quantize_weight", "fake_quantize_input", "make_quantization_aware"]


def fake_quantize_weight(weight: torch.Tensor) -> torch.Tensor:
    """Round ``weight`` [out, in] to symmetric int8 with one scale per output channel."""
    zero = torch.zeros(weight.shape[0], dtype=torch.int32, device=weight.device)
    return torch.fake_quantize_per_channel_affine(weight, weight_scales(weight).float(), zero, 0, -128, 127)


def fake_quantize_input(x: torch.Tensor) -> torch.Tensor:
    """Round ``x`` [..., features] to symmetric int8 with one scale per row, as ``Int8Linear`` does."""
    rows = x.reshape(-1, x.shape[-1])
    zero = torch.zeros(rows.shape[0], dtype=torch.int32, device=x.device)
    scale = row_scales(rows).reshape(-1).float()
    return torch.fake_quantize_per_channel_affine(rows, scale, zero, 0, -ACT_QMAX, ACT_QMAX).reshape(x.shape)


def _fake_quant_forward(self: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    return F.linear(fake_quantize_input(x), fake_quantize_weight(self.weight), self.bias)


def make_quantization_aware(module: nn.Module) -> int:
    """Make every ``nn.Linear`` inside ``module`` compute with int8 rounding; returns how many."""
    count = 0
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            layer.forward = types.MethodType(_fake_quant_forward, layer)
            count += 1
    return count
