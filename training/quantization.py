"""Quantization-aware training: the encoder learns under the rounding that int8 inference applies.

``--precision int8`` runs the encoder's linear layers through dynamic int8
quantization (``inference/runners.py``): weights rounded per output channel
(symmetric int8), each layer input rounded per tensor on the fly (unsigned,
7 bits, as fbgemm does on x86). A model trained in plain fp32 loses dev F1
under that rounding. With ``model.quantization_aware: true`` every encoder
linear layer computes with the same rounding during training (fake
quantization, straight-through gradients), so the weights settle where int8
inference reads them as the training saw them.

Only the forward of each ``nn.Linear`` instance is replaced: parameter names,
checkpoints and ``save_pretrained`` are unchanged, and a saved model loads in
``inference`` without this module.
"""
from __future__ import annotations

import types

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["fake_quantize_weight", "fake_quantize_input", "make_quantization_aware"]

_ACT_QMAX = 127   # fbgemm's dynamic linear quantizes inputs to [0, 127] (reduce_range)


def fake_quantize_weight(weight: torch.Tensor) -> torch.Tensor:
    """Round ``weight`` [out, in] to symmetric int8 with one scale per output channel."""
    scale = (weight.detach().abs().amax(dim=1) / 127.5).clamp(min=torch.finfo(torch.float32).eps)
    zero = torch.zeros(weight.shape[0], dtype=torch.int32, device=weight.device)
    return torch.fake_quantize_per_channel_affine(weight, scale.float(), zero, 0, -128, 127)


def fake_quantize_input(x: torch.Tensor) -> torch.Tensor:
    """Round ``x`` to unsigned 7-bit integers with one scale and zero point for the whole tensor."""
    lo = x.detach().min().clamp(max=0.0).float()
    hi = x.detach().max().clamp(min=0.0).float()
    scale = ((hi - lo) / _ACT_QMAX).clamp(min=torch.finfo(torch.float32).eps)
    zero = (-lo / scale).round().clamp(0, _ACT_QMAX).to(torch.int32)
    return torch.fake_quantize_per_tensor_affine(x, scale.reshape(1), zero.reshape(1), 0, _ACT_QMAX)


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
