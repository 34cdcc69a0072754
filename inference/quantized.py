"""Batch-invariant int8 for the encoder's linear layers (``precision="int8"`` on the CPU).

torch's dynamic quantization scales a layer's input with one scale for the
whole tensor: the whole padded batch. A sentence's rounding, and so sometimes
its events, then depended on the sentences it shared a batch with. Here each
row (one token's features) gets its own symmetric scale, each weight row
(output channel) its own, and the product of the two int8 matrices is exact in
int32: a token's output depends on that token alone, in any batch.

    y = (x_int8 @ w_int8.T) * x_scale * w_scale + bias

``training/quantization.py`` trains under the same rounding (fake quantization
built on the functions below).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["ACT_QMAX", "row_scales", "weight_scales", "quantize_weight", "Int8Linear", "quantize_linear_layers"]

ACT_QMAX = 127  # activations are rounded to [-127, 127]: symmetric, so no zero point to correct for
_EPS = torch.finfo(torch.float32).eps


def row_scales(x: torch.Tensor) -> torch.Tensor:
    """One scale per row of ``x`` [..., features], shaped [..., 1], mapping the row's largest |value| to 127."""
    return (x.detach().abs().amax(dim=-1, keepdim=True) / ACT_QMAX).clamp(min=_EPS)


def weight_scales(weight: torch.Tensor) -> torch.Tensor:
    """One scale per output channel of ``weight`` [out, in].

    The range [-128, 127] with scale max|w| / 127.5 is the one torch's per-channel
    observer picks, so models trained quantization-aware under the earlier
    dynamic scheme read their weights as they were trained.
    """
    return (weight.detach().abs().amax(dim=1) / 127.5).clamp(min=_EPS)


def quantize_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``weight`` rounded per output channel: (int8 [out, in], scale [out])."""
    scale = weight_scales(weight).float()
    # times the reciprocal, as torch's fake quantization rounds: training saw exactly these integers
    return torch.round(weight.detach().float() * scale.reciprocal()[:, None]).clamp(-128, 127).to(torch.int8), scale


class Int8Linear(nn.Module):
    """An ``nn.Linear`` computing in int8 with per-row activation scales (inference only).

    >>> layer = Int8Linear(nn.Linear(16, 8))
    >>> tuple(layer(torch.randn(2, 5, 16)).shape)
    (2, 5, 8)
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        weight, scale = quantize_weight(linear.weight)
        # _int_mm reads [in, out]; the transposed view of the [out, in] weight is its faster layout on x86
        self.register_buffer("weight_t", weight.t(), persistent=False)
        self.register_buffer("weight_scale", scale, persistent=False)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float(), persistent=False)
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).float()
        scale = row_scales(rows)
        q = torch.round(rows * scale.reciprocal()).to(torch.int8)   # as the weights: times the reciprocal
        y = torch._int_mm(q, self.weight_t).float().mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            y.add_(self.bias)
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 per-row"


def quantize_linear_layers(module: nn.Module) -> int:
    """Replace every ``nn.Linear`` inside ``module`` with an ``Int8Linear``; returns how many."""
    targets = [(parent, name, child) for parent in module.modules()
               for name, child in parent.named_children() if isinstance(child, nn.Linear)]
    for parent, name, child in targets:
        setattr(parent, name, Int8Linear(child))
    return len(targets)
