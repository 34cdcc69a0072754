"""Backends that run the model's two stages on a batch (torch, or ONNX Runtime), and the factory that picks one.

Stage 1 takes token ids and mask and returns the encoder states (kept by the
backend, opaque to the caller) and trigger label probabilities; stage 2 takes
those states and the predicted triggers and returns role label
probabilities. Everything the extractor decodes is numpy, so both backends
feed the same decoding code.

``torch_runner`` and ``load_runner`` choose the backend, device, precision and
CPU threads; the extractor only schedules batches and decodes.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

__all__ = ["TorchRunner", "OnnxRunner", "ONNX_FILES", "BACKENDS", "torch_runner", "fastest", "load_runner",
           "threads_per_worker"]

BACKENDS = ("auto", "torch", "onnx")

# file names of the exported graphs, fp32 and dynamically quantized int8 (ONNX Runtime's per-tensor scheme:
# not batch-invariant, so never chosen by ``auto``)
ONNX_FILES = {"fp32": ("triggers.onnx", "arguments.onnx"), "int8": ("triggers.int8.onnx", "arguments.int8.onnx")}


class TorchRunner:
    """The model in torch, on a device and in a precision (fp32, bf16 autocast, or int8 with per-row scales).

    ``num_threads`` is set around each call, on the calling thread, and put back
    after it: torch's CPU thread count is per thread under OpenMP (the Linux
    builds), so an extractor never changes the thread count of the program that uses it.
    """

    backend = "torch"

    def __init__(self, model, device: str, precision: str, num_threads: int | None = None):
        import copy

        import torch

        self.device, self.precision, self.num_threads = device, precision, num_threads
        self.timings_ms: dict[str, float] = {}   # set where ``auto`` chose this runner by timing (``fastest``)
        if precision == "int8":
            model = copy.deepcopy(model)  # quantization replaces encoder layers: the caller's model stays as it was
        # weights stay fp32 in every precision: bf16 runs the encoder under autocast (matrix products in
        # bf16, normalisation and softmax in fp32), which keeps the events of fp32 on more sentences
        # than casting the whole model to bf16 (dev: 99.5% against 98.9%)
        self.model = model.to(device=device, dtype=torch.float32).eval()
        if precision == "int8":
            # The encoder holds nearly all the compute; the heads stay fp32 (the argument head reads
            # slices of its weight). Per-channel weight scales: per-tensor ones cost 2 points of dev
            # Tri-C and 4 of Arg-C on a 4-layer model. Per-row activation scales: a sentence's events
            # do not depend on the sentences that share its batch (inference/quantized.py).
            from inference.quantized import quantize_linear_layers

            quantize_linear_layers(self.model.encoder)
            # SDPA's result for a token moves in the last bits with the batch's padded length, and int8
            # rounding can turn that into a step of the next layer's input; eager attention moves far
            # less often (dev, 4 layers: 10 of 160 padded cases against 108) at the same speed
            self.model.encoder.set_attn_implementation("eager")

    def triggers(self, ids: np.ndarray, mask: np.ndarray) -> tuple[Any, np.ndarray]:
        import torch

        autocast = torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16,
                                  enabled=self.precision == "bf16")
        with torch.inference_mode(), _torch_threads(self.num_threads):
            with autocast:
                hidden = self.model.encode(torch.from_numpy(ids).to(self.device),
                                           torch.from_numpy(mask).to(self.device))
                logits = self.model.trigger_logits(hidden)
            probs = torch.softmax(logits.float(), -1).cpu().numpy()
        return hidden.float(), probs

    def arguments(self, hidden: Any, ev_batch: np.ndarray, ev_start: np.ndarray, ev_end: np.ndarray,
                  ev_type: np.ndarray) -> np.ndarray:
        import torch

        t = [torch.from_numpy(a).to(self.device) for a in (ev_batch, ev_start, ev_end, ev_type)]
        with torch.inference_mode(), _torch_threads(self.num_threads):
            return torch.softmax(self.model.argument_logits(hidden, *t).float(), -1).cpu().numpy()


class OnnxRunner:
    """The exported graphs (``sitrep export onnx``) in ONNX Runtime on the CPU."""

    backend = "onnx"

    def __init__(self, directory: str | Path, precision: str = "fp32", num_threads: int | None = None):
        import onnxruntime as ort

        if precision not in ONNX_FILES:
            raise ValueError(f"ONNX models run in fp32 or int8, not {precision!r}")
        files = [Path(directory) / name for name in ONNX_FILES[precision]]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            hint = " (export with --int8)" if precision == "int8" else ""
            raise FileNotFoundError(f"{directory}: missing {', '.join(missing)}{hint}")
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        self.device, self.precision = "cpu", precision
        self._triggers, self._arguments = (
            ort.InferenceSession(str(f), options, providers=["CPUExecutionProvider"]) for f in files)

    def triggers(self, ids: np.ndarray, mask: np.ndarray) -> tuple[Any, np.ndarray]:
        hidden, probs = self._triggers.run(None, {"input_ids": ids, "attention_mask": mask})
        return hidden, probs

    def arguments(self, hidden: Any, ev_batch: np.ndarray, ev_start: np.ndarray, ev_end: np.ndarray,
                  ev_type: np.ndarray) -> np.ndarray:
        (probs,) = self._arguments.run(None, {"hidden": hidden, "ev_batch": ev_batch, "ev_start": ev_start,
                                              "ev_end": ev_end, "ev_type": ev_type})
        return probs


@contextmanager
def _torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run the block with ``num_threads`` torch CPU threads on this thread, then put the count back."""
    if num_threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def threads_per_worker(num_threads: int | None, workers: int) -> int | None:
    """CPU threads per operation: as asked, else the cores shared out among the workers (None: the library's choice).

    >>> threads_per_worker(3, 4), threads_per_worker(None, 1)
    (3, None)
    """
    if num_threads is not None and num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    if num_threads is not None or workers <= 1:
        return num_threads
    return max(1, (os.cpu_count() or 1) // workers)


def torch_runner(model, device: str = "auto", precision: str = "auto", num_threads: int | None = None) -> TorchRunner:
    """A ``TorchRunner`` for an in-memory ``EventModel``, with ``auto`` device and precision resolved.

    Where ``auto`` has two candidates (``inference.runtime.precision_candidates``:
    bf16 or the model's int8 on a CPU with native bf16), both are built and
    timed on one typical batch, and the faster is kept; its ``timings_ms``
    holds what was measured.
    """
    from inference.runtime import precision_candidates, resolve_device

    device = resolve_device(device)
    candidates = precision_candidates(precision, device, model.config.cpu_precision)
    runners = [TorchRunner(model, device, p, num_threads) for p in candidates]
    return runners[0] if len(runners) == 1 else fastest(runners, model.encoder.config.vocab_size)


# the batch that times the candidates: 32 sentences of 40 tokens, about the dev set's average
_TIMING_BATCH = (32, 40)


def fastest(runners: list[TorchRunner], vocab_size: int, rounds: int = 3) -> TorchRunner:
    """The runner whose encoder pass and trigger head take least time on a typical batch.

    One warm-up pass each, then ``rounds`` rounds in turn (drift on a busy
    machine hits every runner alike); each keeps its best time. The chosen
    runner's ``timings_ms`` maps every candidate's precision to that time.
    """
    import time

    ids = np.random.default_rng(0).integers(min(1000, vocab_size - 1), vocab_size, _TIMING_BATCH, dtype=np.int64)
    mask = np.ones_like(ids)
    best = {r.precision: float("inf") for r in runners}
    for round_ in range(rounds + 1):
        for r in runners:
            start = time.perf_counter()
            r.triggers(ids, mask)
            if round_:
                best[r.precision] = min(best[r.precision], time.perf_counter() - start)
    chosen = min(runners, key=lambda r: best[r.precision])
    chosen.timings_ms = {p: round(1000 * t, 2) for p, t in best.items()}
    return chosen


def load_runner(directory: str | Path, backend: str = "auto", device: str = "auto", precision: str = "auto",
                num_threads: int | None = None) -> TorchRunner | OnnxRunner:
    """The runner for a model directory (its config already checked by the caller).

    ``backend``: ``torch``, ``onnx`` (ONNX Runtime, CPU; fp32 or int8), or ``auto``:
    ONNX where the directory holds exported graphs, else torch. ``auto``
    precision on ONNX is fp32: ONNX Runtime's int8 graphs scale each layer's
    input per tensor, so a sentence's events can depend on the batch it shares;
    they run only when asked for (``precision="int8"``).
    """
    directory = Path(directory)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "auto":
        backend = "onnx" if (directory / ONNX_FILES["fp32"][0]).is_file() else "torch"
    if backend == "torch":
        from inference.model import EventModel

        return torch_runner(EventModel.from_pretrained(directory), device, precision, num_threads)
    if precision not in ("auto", "fp32", "int8"):
        raise ValueError(f"the onnx backend runs fp32 or int8, not {precision!r}")
    if device not in ("auto", "cpu"):
        raise ValueError(f"the onnx backend runs on the CPU, not {device!r}")
    return OnnxRunner(directory, "fp32" if precision == "auto" else precision, num_threads)
