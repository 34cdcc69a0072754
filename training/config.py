"""Training configuration: typed dataclasses, loaded from YAML with ``--set`` overrides.

Every field has one default with a comment. Loading rejects unknown keys,
wrong types and missing files with one message each, naming the key and what
to write instead. The resolved config is saved beside the trained model.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.encoder import DEFAULT_ENCODER
from inference.model_config import ArchitectureConfig

__all__ = ["DataFile", "DataConfig", "ModelConfig", "OptimConfig", "DistillConfig", "RunConfig", "TrainConfig",
           "ConfigError",
           "load_config", "apply_overrides"]


class ConfigError(ValueError):
    """A config that cannot be used; the message says which key and how to fix it."""


@dataclass
class DataFile:
    path: str                                   # JSONL file in the docs/ANNOTATION.md format
    weight: float = 1.0                         # sampling weight per epoch: 0.5 = half its sentences, 2 = twice

    def __post_init__(self) -> None:
        if self.weight <= 0:
            raise ConfigError(f"data file {self.path}: weight must be > 0, got {self.weight}")


@dataclass
class DataConfig:
    train: list[DataFile] = field(default_factory=lambda: [DataFile("data/train.jsonl")])  # one or more files
    dev: str | None = "data/dev.jsonl"          # scored each epoch; picks the best checkpoint
    test: str | None = "data/test.jsonl"        # scored once at the end, recorded in metrics.json
    more_tests: list[str] = field(default_factory=list)  # further test files (e.g. real reporting), scored
                                                # beside test in the same precision, side by side in the card
    ontology: str = "configs/ontology.yaml"     # event types and roles

    @property
    def test_files(self) -> list[str]:
        """Every test file: ``test`` first, then ``more_tests``."""
        return ([self.test] if self.test else []) + list(self.more_tests)


@dataclass
class ModelConfig(ArchitectureConfig):
    """The ``model:`` section: which encoder, plus the architecture fields (window and head sizes)
    of ``inference.model.ArchitectureConfig``, with their defaults and checks."""

    encoder: str = DEFAULT_ENCODER              # 'pkg:<package>' or a local HF directory: the one line to change
    encoder_layers: int | None = None           # keep only the first N layers of the encoder (faster); None: all
    encoder_config: dict[str, Any] | None = None  # build a randomly initialised encoder from this HF config instead
    tokenizer: str | None = None                # tokenizer directory when encoder_config is used (default: MiniLM's)
    quantization_aware: bool = False            # train the encoder under int8 rounding (training/quantization.py)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.encoder_layers is not None and self.encoder_layers < 1:
            raise ConfigError(f"model.encoder_layers must be >= 1 or null (all layers), got {self.encoder_layers}")


@dataclass
class OptimConfig:
    batch_size: int = 16                        # sentences per step per process
    grad_accum: int = 1                         # gradient accumulation steps
    epochs: int = 6
    max_steps: int | None = None                # stop after this many optimizer steps; the LR schedule is unchanged
    lr_encoder: float = 1e-4                    # learning rate of the pretrained encoder
    lr_heads: float = 1e-3                      # learning rate of the trigger and argument heads
    warmup_ratio: float = 0.1                   # share of steps with linear warm-up
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    role_loss_weight: float = 1.0               # argument loss relative to trigger loss
    ema_decay: float | None = None              # score, keep and release an exponential moving average of the
                                                # weights (e.g. 0.999); None: the weights as trained

    def __post_init__(self) -> None:
        for name in ("batch_size", "grad_accum", "epochs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"optim.{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError(f"optim.warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ConfigError(f"optim.ema_decay must be in (0, 1) (e.g. 0.999) or null, got {self.ema_decay}")


@dataclass
class DistillConfig:
    teacher: str | None = None                  # a trained sitrep model directory to learn from; None: no teacher
    weight: float = 0.5                         # share of the loss from the teacher's label distributions
    temperature: float = 2.0                    # softens both distributions before they are compared

    def __post_init__(self) -> None:
        if not 0 < self.weight <= 1:
            raise ConfigError(f"distill.weight must be in (0, 1], got {self.weight}")
        if self.temperature <= 0:
            raise ConfigError(f"distill.temperature must be > 0, got {self.temperature}")


@dataclass
class RunConfig:
    output_dir: str = "models/default"          # the release model directory, written atomically
    checkpoint_dir: str | None = None           # resumable state; default: runs/<output_dir name>
    seed: int = 13
    deterministic: bool = True                  # torch's deterministic kernels: the same config gives the same model
    precision: str = "auto"                     # auto | fp32 | bf16 (auto: bf16 where the hardware has it)
    eval_every_steps: int = 0                   # also score dev every N steps (0: once per epoch)
    early_stopping_patience: int = 3            # stop after this many evaluations without dev gain (0: never)
    num_threads: int | None = None              # torch CPU threads (default: torch's choice)
    int8_tolerance: float = 0.005               # 'auto' runs the model in int8 on CPUs without bf16 when int8 loses
                                                # at most this much dev F1 (mean of Tri-C and Arg-C); -1: never
    log_every_steps: int = 50                   # where stderr is no terminal (a log, CI): a progress line every N
                                                # optimizer steps, besides one per epoch (0: per epoch only)
    argument_threshold: float | None = None     # arguments scored below it are dropped at extraction; None: chosen
                                                # on dev, the Arg-C F1 maximum (training/calibration.py)

    def __post_init__(self) -> None:
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ConfigError(f"run.precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.log_every_steps < 0:
            raise ConfigError(f"run.log_every_steps must be >= 0 (0: a line per epoch only), got {self.log_every_steps}")
        if self.argument_threshold is not None and not 0.0 <= self.argument_threshold < 1.0:
            raise ConfigError(f"run.argument_threshold must be in [0, 1) or null (chosen on dev), "
                              f"got {self.argument_threshold}")

    @property
    def checkpoints(self) -> Path:
        return Path(self.checkpoint_dir or Path("runs") / Path(self.output_dir).name)


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check_files(self) -> None:
        """Raise ``ConfigError`` for the first data or ontology file that does not exist."""
        for i, f in enumerate(self.data.train):
            if not Path(f.path).is_file():
                raise ConfigError(f"data.train[{i}].path: file not found: {f.path}")
        for key in ("dev", "test", "ontology"):
            value = getattr(self.data, key)
            if value is not None and not Path(value).is_file():
                raise ConfigError(f"data.{key}: file not found: {value}")
        for i, path in enumerate(self.data.more_tests):
            if not Path(path).is_file():
                raise ConfigError(f"data.more_tests[{i}]: file not found: {path}")
        teacher = self.distill.teacher
        if teacher is not None and not (Path(teacher) / "config.json").is_file():
            raise ConfigError(f"distill.teacher: {teacher} is not a trained sitrep model directory "
                              f"(no config.json); train the teacher first")


def _convert(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp`` and build nested dataclasses."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for opt in options:
            if opt is type(None):
                continue
            try:
                return _convert(value, opt, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{where}: invalid value {value!r}")
    if dataclasses.is_dataclass(tp):
        if tp is DataFile and isinstance(value, str):
            return DataFile(value)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__} {value!r}")
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {', '.join(sorted(names))}")
        kwargs = {k: _convert(v, hints[k], f"{where}.{k}" if where else k) for k, v in value.items()}
        try:
            return tp(**kwargs)
        except ConfigError:
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where or 'config'}: {exc}") from None
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item_tp,) = typing.get_args(tp)
        return [_convert(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):
        try:  # YAML 1.1 reads "3e-5" (no dot) as a string; it is a number to anyone writing it
            return float(value)
        except ValueError:
            pass
    if tp is Any or (isinstance(tp, type) and isinstance(value, tp) and not (tp is int and isinstance(value, bool))):
        return value
    raise ConfigError(f"{where}: expected {getattr(tp, '__name__', tp)}, got {type(value).__name__} {value!r}")


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides (values parsed as YAML) to a raw config mapping."""
    import yaml

    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. --set optim.epochs=3")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        node = raw
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: {p} is not a section")
        node[parts[-1]] = yaml.safe_load(text)
    return raw


def load_config(path: str | Path | None, overrides: list[str] | None = None, check_files: bool = True) -> TrainConfig:
    """Load a YAML config (or the defaults when ``path`` is None), apply overrides, validate."""
    import yaml

    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of sections (data, model, optim, run)")
    raw = apply_overrides(raw, overrides or [])
    cfg = _convert(raw, TrainConfig, "")
    if check_files:
        cfg.check_files()
    return cfg
