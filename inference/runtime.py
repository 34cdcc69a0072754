"""Device and precision choice: detected from the hardware, never assumed."""
from __future__ import annotations

import ctypes
from functools import lru_cache
from pathlib import Path

__all__ = ["SPEED_FLAGS", "cpu_flags", "cpu_speed_flags", "cpu_supports_bf16", "resolve_device", "resolve_precision",
           "PRECISIONS", "limit_malloc_arenas", "release_free_heap"]

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


# glibc's mallopt parameter for the number of arenas (malloc.h)
_M_ARENA_MAX = -8


@lru_cache(maxsize=1)
def _glibc():
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Let glibc's malloc keep at most ``arenas`` heaps for the threads started from now on.

    By default each new thread may get its own heap (up to 8 per core), and a
    server's threads (event loop, batching worker, batch pool, request pool)
    each keep theirs full of freed but unreturned blocks: the resident memory
    grows with concurrency though the live data does not. Returns False where
    the C library is not glibc (nothing to do there).
    """
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, arenas))


def release_free_heap() -> bool:
    """Hand the heap's free pages back to the operating system (glibc ``malloc_trim``); False elsewhere."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
