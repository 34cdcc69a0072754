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

import threading

import torch
from torch import nn

__all__ = ["ACT_QMAX", "row_scales", "weight_scales", "quantize_weight", "quantize_rows", "SharedInput", "Int8Linear",
           "quantize_linear_layers"]

ACT_QMAX = 127  # activations are rounded to [-127, 127]: symmetric, so no zero point to correct for
_EPS = torch.finfo(torch.float32).eps


def row_scales(x: torch.Tensor) -> torch.Tensor:
    """One scale per row of ``x`` [..., features], shaped [..., 1], mapping the row's largest |value| to 127."""
    # the largest |value| from the row's max and min: the same number without an |x| copy
    x = x.detach()
    top = torch.maximum(x.amax(dim=-1, keepdim=True), x.amin(dim=-1, keepdim=True).neg_())
    return top.div_(ACT_QMAX).clamp_(min=_EPS)


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


def quantize_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` [..., features] as int8 rows [n, features] and their scales [n, 1] (``row_scales``' rounding).

    Rounds in place: one pass over memory fewer than ``torch.round(x / scale)``.
    """
    rows = x.reshape(-1, x.shape[-1]).float()
    scale = row_scales(rows)
    return rows.mul(scale.reciprocal()).round_().to(torch.int8), scale  # times the reciprocal, as the weights


class SharedInput:
    """The last input quantized by a group of layers that read one tensor (attention's query, key and value).

    The first layer of the group to see a tensor rounds it; the others find it
    here and skip the work, about a third of int8's cost around its matrix
    products. Keyed on the tensor object, which the encoder does not change
    between those calls, so the values are those of rounding it again. Per
    thread: extractors with several workers run one model on parallel threads.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def quantize(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        last = getattr(self._local, "last", None)
        if last is None or last[0] is not x:
            last = self._local.last = (x, *quantize_rows(x))
        return last[1], last[2]


class Int8Linear(nn.Module):
    """An ``nn.Linear`` computing in int8 with per-row activation scales (inference only).

    Layers given one ``SharedInput`` round a shared input tensor once.

    >>> layer = Int8Linear(nn.Linear(16, 8))
    >>> tuple(layer(torch.randn(2, 5, 16)).shape)
    (2, 5, 8)
    """

    def __init__(self, linear: nn.Linear, shared: SharedInput | None = None):
        super().__init__()
        weight, scale = quantize_weight(linear.weight)
        # _int_mm reads [in, out]; the transposed view of the [out, in] weight is its faster layout on x86
        self.register_buffer("weight_t", weight.t(), persistent=False)
        self.register_buffer("weight_scale", scale, persistent=False)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float(), persistent=False)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.shared = shared

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, scale = self.shared.quantize(x) if self.shared is not None else quantize_rows(x)
        y = torch._int_mm(q, self.weight_t).float().mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            y.add_(self.bias)
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        shared = ", input shared" if self.shared is not None else ""
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 per-row{shared}"


def quantize_linear_layers(module: nn.Module) -> int:
    """Replace every ``nn.Linear`` inside ``module`` with an ``Int8Linear``; returns how many.

    Linear layers of one parent module with the same input width (an attention's
    query, key and value) share a ``SharedInput``: when they read the same tensor,
    it is rounded once. Layers that read different tensors simply miss it.
    """
    count = 0
    for parent in list(module.modules()):
        children = [(name, child) for name, child in parent.named_children() if isinstance(child, nn.Linear)]
        widths = [child.in_features for _, child in children]
        shared = {w: SharedInput() for w in set(widths) if widths.count(w) > 1}
        for name, child in children:
            setattr(parent, name, Int8Linear(child, shared.get(child.in_features)))
            count += 1
    return count
