"""Device and precision choice: detected from the hardware, never assumed."""
from __future__ import annotations

import ctypes
from functools import lru_cache
from pathlib import Path

__all__ = ["SPEED_FLAGS", "cpu_flags", "cpu_speed_flags", "cpu_supports_bf16", "resolve_device", "resolve_precision",
           "PRECISIONS", "precision_candidates", "tune_malloc", "release_free_heap"]

PRECISIONS = ("auto", "fp32", "bf16", "int8")


# the CPU features that decide which precision is fast (lscpu and /proc/cpuinfo names)
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The flags of this CPU as ``/proc/cpuinfo`` lists them (empty where it cannot be read)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return frozenset()
    return next((frozenset(line.split(":", 1)[1].split()) for line in lines if line.startswith("flags")), frozenset())


def cpu_speed_flags() -> list[str]:
    """Which of ``SPEED_FLAGS`` this CPU has, in that order (benchmarks report them with their numbers)."""
    return [f for f in SPEED_FLAGS if f in cpu_flags()]


def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bf16 matrix instructions (AMX or AVX512-BF16).

    Without them bf16 is emulated and slower than fp32, so ``auto`` keeps fp32.
    """
    return bool(cpu_flags() & {"amx_bf16", "avx512_bf16"})


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``; anything else is kept."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but no CUDA GPU is visible; use device='cpu' or 'auto'")
    return device


def resolve_precision(precision: str, device: str, cpu_precision: str = "fp32") -> str:
    """``auto`` -> ``bf16`` where the device computes it natively, else the model's ``cpu_precision``
    on a CPU, else ``fp32``.

    ``int8`` (the encoder's linear layers in int8, per-row activation scales, CPU only) is
    chosen automatically only for a model whose training run measured that int8
    keeps its dev accuracy (``cpu_precision`` in its config); for other models
    it is faster but less accurate, so only asked for explicitly.
    """
    import torch

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision == "int8" and not device.startswith("cpu"):
        raise ValueError("precision 'int8' runs on the CPU only; use bf16 or fp32 on a GPU")
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if cpu_supports_bf16():
        return "bf16"
    return cpu_precision


def precision_candidates(precision: str, device: str, cpu_precision: str = "fp32") -> tuple[str, ...]:
    """The precisions ``precision`` may mean here, the rule's choice (``resolve_precision``) first.

    ``auto`` on a CPU with native bf16 has two: bf16 and the model's CPU
    precision (int8 where its training measured int8 as accurate as fp32).
    Which is faster depends on the CPU (AMX computes bf16 fastest; AVX512 with
    VNNI but no AMX computes int8 faster), so the runner times both at load
    (``inference.runners.torch_runner``). Everything else has one.

    >>> precision_candidates("fp32", "cpu", "int8")
    ('fp32',)
    """
    rule = resolve_precision(precision, device, cpu_precision)
    if precision != "auto" or not device.startswith("cpu"):
        return (rule,)
    return tuple(dict.fromkeys((rule, cpu_precision)))


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -2, -3, -8
_MMAP_THRESHOLD = 32 << 20   # glibc's largest: an encoder batch's tensors (a few MB each) come from the heap
_TRIM_THRESHOLD = 1 << 30
_TOP_PAD = 64 << 20


@lru_cache(maxsize=1)
def _glibc():
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def tune_malloc(max_arenas: int | None = None) -> bool:
    """Make glibc's malloc keep freed memory for the next batch; optionally share at most ``max_arenas`` heaps.

    By default glibc maps each tensor of more than 128 KB-32 MB (the bound
    moves) from the OS and unmaps it when freed, so every encoder batch
    faults its activations in again: int8 extraction ran 8-10% slower, and
    one encoder pass varied by a third from batch to batch (benchmarks/README.md,
    session 5). ``sitrep`` commands and the server call this at start; call it
    in a program of your own that extracts. ``max_arenas``: by default each
    new thread may get its own heap (up to 8 per core), and a server's threads
    (event loop, batching worker, batch pool, request pool) each keep theirs
    full of freed blocks, so resident memory grows with concurrency; the
    server shares 2. Returns False where the C library is not glibc (nothing
    to tune there).
    """
    libc = _glibc()
    if libc is None:
        return False
    settings = [(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD), (_M_TOP_PAD, _TOP_PAD)]
    if max_arenas is not None:
        settings.append((_M_ARENA_MAX, max_arenas))
    return all([bool(libc.mallopt(option, value)) for option, value in settings])


def release_free_heap() -> bool:
    """Hand the heap's free pages back to the operating system (glibc ``malloc_trim``); False elsewhere."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
