"""A model's configuration (``config.json`` of a model directory) and the checks run when a directory is loaded.

Torch-free, so that training's config, the CLI's model checks and ``--dry-run``
read it without loading torch. ``inference.model`` re-exports it beside the
model it describes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from inference.encoder import DEFAULT_ENCODER
from inference.ontology import Ontology

__all__ = ["ArchitectureConfig", "EventModelConfig", "ModelLoadError", "read_model_config", "check_weights",
           "MODEL_FORMAT_VERSION", "CONFIG_NAME", "WEIGHTS_NAME"]

MODEL_FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
MIN_MAX_LENGTH = 16
# keys added after format 1 was fixed, with the value that gives an older model its old behaviour
_ADDED_LATER = {"argument_threshold": 0.0}
RETRAIN = "train one with `sitrep train --config configs/default.yaml`"


class ModelLoadError(ValueError):
    """A model directory that cannot be loaded; the message names the file and how to fix it."""


@dataclass
class ArchitectureConfig:
    """The part of a model's shape that a training config chooses: windowing and head sizes.

    One set of defaults and checks for both sides: ``training.config.ModelConfig``
    (the YAML ``model:`` section) and ``EventModelConfig`` (a model directory's
    ``config.json``) extend it, so a value set for training reaches the model as it is.

    >>> ArchitectureConfig(max_length=64, stride=40)
    Traceback (most recent call last):
    ...
    ValueError: stride (40) must be >= 0 and less than half of max_length (64): lower stride or raise max_length
    """

    max_length: int = 256                       # tokens per window; longer sentences are windowed, never cut
    stride: int = 64                            # tokens shared by consecutive windows
    head_hidden: int = 256                      # hidden width of the argument MLP
    type_dim: int = 64                          # event type embedding fed to the argument head
    max_distance: int = 32                      # token distance to the trigger, clipped, as a learned embedding
    distance_dim: int = 32                      # size of that distance embedding
    dropout: float = 0.1                        # on the encoder states, before both heads

    def __post_init__(self) -> None:
        # a window holds two special tokens and the overlap with its neighbour besides its own words
        if self.max_length < MIN_MAX_LENGTH:
            raise ValueError(f"max_length must be >= {MIN_MAX_LENGTH} tokens, got {self.max_length}")
        if not 0 <= self.stride < self.max_length // 2:
            raise ValueError(f"stride ({self.stride}) must be >= 0 and less than half of max_length "
                             f"({self.max_length}): lower stride or raise max_length")
        for name in ("head_hidden", "type_dim", "max_distance", "distance_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def architecture(self) -> dict[str, Any]:
        """The ``ArchitectureConfig`` fields of this config (a subclass's other fields left out)."""
        return {f.name: getattr(self, f.name) for f in fields(ArchitectureConfig)}


@dataclass(kw_only=True)
class EventModelConfig(ArchitectureConfig):
    """Everything needed to rebuild an ``EventModel``; saved as ``config.json`` beside the weights."""

    ontology: dict[str, Any]                    # Ontology.to_dict(): types and roles define the label ids
    encoder: str = DEFAULT_ENCODER              # where the encoder came from (informative once trained)
    encoder_config: dict[str, Any] = field(default_factory=dict)  # the encoder's HF config, to rebuild it offline
    cpu_precision: str = "fp32"                 # what precision 'auto' runs on a CPU without bf16: 'int8' when
                                                # training measured int8 within run.int8_tolerance of fp32 on dev
    argument_threshold: float = 0.0             # arguments scored below this are not extracted; training chooses
                                                # it on dev (the Arg-C F1 maximum)
    format_version: int = MODEL_FORMAT_VERSION

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cpu_precision not in ("fp32", "int8"):
            raise ValueError(f"cpu_precision must be fp32 or int8, got {self.cpu_precision!r}")
        if not 0.0 <= self.argument_threshold < 1.0:
            raise ValueError(f"argument_threshold must be in [0, 1), got {self.argument_threshold}")
        Ontology.from_dict(self.ontology, "ontology")


def read_model_config(directory: str | Path) -> tuple[EventModelConfig, str | None]:
    """The checked ``config.json`` of a model directory, and the sitrep version that wrote it.

    Every key must be there and known: a key left out would silently take a
    default that the weights were not trained with.
    """
    path = Path(directory) / CONFIG_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not a sitrep model directory (no {CONFIG_NAME}); {RETRAIN}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc}); the file is damaged: copy the model directory "
                             f"again, or {RETRAIN}") from None
    if not isinstance(raw, dict):
        raise ModelLoadError(f"{path}: expected a JSON object of model settings, got {type(raw).__name__}; "
                             f"copy the model directory again, or {RETRAIN}")
    version = raw.pop("sitrep_version", None)
    if raw.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelLoadError(f"{path}: model format {raw.get('format_version')} is not supported "
                             f"(this sitrep reads format {MODEL_FORMAT_VERSION}); retrain the model")
    names = {f.name for f in fields(EventModelConfig)}
    raw = _ADDED_LATER | raw
    unknown, missing = sorted(set(raw) - names), sorted(names - set(raw))
    if unknown or missing:
        problems = "; ".join(p for p in (unknown and f"unknown key(s) {unknown}",
                                         missing and f"missing key(s) {missing}") if p)
        raise ModelLoadError(f"{path}: {problems} (written by sitrep {version or 'of unknown version'}); "
                             f"load it with the sitrep that wrote it, or {RETRAIN}")
    try:
        return EventModelConfig(**raw), version
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path}: {exc}; fix that value, or {RETRAIN}") from None


def check_weights(path: str | Path, expected: dict[str, tuple[int, ...]]) -> None:
    """Check that the safetensors file ``path`` holds exactly the tensors ``expected`` (name -> shape).

    Reads the file's header only. A truncated or empty file, or weights of
    another architecture than ``config.json`` describes (another layer count,
    another hidden size), raise ``ModelLoadError`` naming the file.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path.parent} is not a sitrep model directory (no {path.name}); {RETRAIN}")
    try:
        with safe_open(str(path), framework="numpy") as f:
            found = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types for damaged files
        raise ModelLoadError(f"{path}: not a complete safetensors file ({exc}); it was cut short or damaged: "
                             f"copy the model directory again, or {RETRAIN}") from None
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = sorted(k for k in set(found) & set(expected) if tuple(expected[k]) != found[k])
    if missing or unexpected or wrong:
        details = "; ".join(f"{label} {len(keys)} tensor(s), e.g. {keys[0]}" + (
            f" {found[keys[0]]} instead of {tuple(expected[keys[0]])}" if label == "wrong shape of" else "")
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape of", wrong)) if keys)
        raise ModelLoadError(f"{path}: the weights do not fit {path.parent / CONFIG_NAME} ({details}); the two "
                             f"files come from different models: copy both from the same training run")
