"""The model card (``README.md`` of a model directory): data, encoder, metrics, intended use, limits."""
from __future__ import annotations

from typing import Any

from inference import __version__
from inference.model import EventModel
from training.config import TrainConfig

__all__ = ["model_card"]


def _table(rows: dict[str, dict[str, Any]], first: str) -> str:
    lines = [f"| {first} | P | R | F1 | gold |", "|---|---|---|---|---|"]
    for name, m in rows.items():
        lines.append(f"| {name} | {m['p']:.3f} | {m['r']:.3f} | {m['f1']:.3f} | {m['n_gold']} |")
    return "\n".join(lines)


def _report(title: str, rep: dict[str, Any] | None) -> str:
    if not rep:
        return f"## {title}\n\nnot measured\n"
    head = " ".join(f"{k.replace('_', '-').title()} {rep[k]['f1']:.3f}" for k in ("tri_i", "tri_c", "arg_i", "arg_c"))
    return (f"## {title} ({rep['sentences']} sentences)\n\nF1: {head}; sentence types micro "
            f"{rep['sentence_types']['micro_f1']:.3f}, macro {rep['sentence_types']['macro_f1']:.3f}\n\n"
            f"{_table(rep['per_type'], 'type')}\n\n{_table(rep['per_role'], 'role')}\n")


def _distilled(cfg: TrainConfig) -> str:
    d = cfg.distill
    if not d.teacher:
        return ""
    return f"\n- Distilled from the teacher `{d.teacher}` (weight {d.weight:g}, temperature {d.temperature:g})"


def _quantization(cfg: TrainConfig, metrics: dict[str, Any]) -> str:
    lines = ["\n- Trained quantization-aware (int8 rounding of the encoder's linear layers)"] \
        if cfg.model.quantization_aware else []
    check = metrics.get("int8_check")
    if check:
        sizes = ", ".join(str(b) for b in check["dev_int8_by_batch_size"])
        lines.append(f"\n- Precision `auto` on a CPU without bf16: **{check['cpu_precision']}** (dev, mean of Tri-C "
                     f"and Arg-C F1: fp32 {check['dev_fp32']:.4f}, int8 {check['dev_int8']:.4f} averaged over batch "
                     f"sizes {sizes}; int8 is chosen when it loses at most {check['tolerance']:g}); on a CPU "
                     f"with native bf16, `auto` times bf16 against it at load and keeps the faster; "
                     f"test scored in {metrics['test_precision']}")
    return "".join(lines)


def _argument_threshold(metrics: dict[str, Any]) -> str:
    calibration = metrics.get("argument_threshold")
    if not calibration:
        return ""
    t = calibration["threshold"]
    if not calibration["chosen_on_dev"]:
        return f"\n- Argument threshold {t:g} (arguments scored below it are dropped), set by the training config"
    f1 = calibration["dev_arg_c_f1_by_threshold"]
    return (f"\n- Argument threshold **{t:g}** (arguments scored below it are dropped), chosen on dev: "
            f"Arg-C F1 {f1[str(t)]:.4f} against {f1['0.0']:.4f} with none; test scored with it")


def _side_by_side(metrics: dict[str, Any]) -> str:
    """One row per test file (our test split, real reporting, ...), so the gap between them shows."""
    tests = metrics.get("tests") or {}
    if not tests:
        return ""
    rows = "\n".join(f"| `{path}` | {r['sentences']} | {r['tri_c']['f1']:.3f} | {r['arg_c']['f1']:.3f} |"
                     for path, r in tests.items())
    return (f"## Test sets side by side (precision {metrics.get('test_precision')})\n\n"
            f"| test file | sentences | Tri-C F1 | Arg-C F1 |\n|---|---|---|---|\n{rows}\n")


def model_card(model: EventModel, cfg: TrainConfig, metrics: dict[str, Any]) -> str:
    """Markdown model card with the metrics measured at training time."""
    ont = model.ontology
    types = "\n".join(f"- **{t.name}** ({', '.join(t.roles)}): {t.description}" for t in ont.types)
    files = ", ".join(f"`{f.path}` (weight {f.weight:g})" for f in cfg.data.train)
    tests = ", ".join(f"`{p}`" for p in cfg.data.test_files) or "none"
    return f"""---
library_name: sitrep
tags: [event-extraction, token-classification, conflict-news]
---
# sitrep event extractor

Finds event triggers in English conflict news, labels their type and their
arguments' roles, with character offsets (format: docs/ANNOTATION.md of the sitrep
project). Trained with sitrep {__version__}.

- Encoder: `{model.config.encoder}` ({model.encoder.config.model_type}, hidden size
  {model.encoder.config.hidden_size}, {model.encoder.config.num_hidden_layers} layers)
- Training data: {files}; dev (picks the checkpoint) `{cfg.data.dev}`; test {tests}
- Training: {cfg.optim.epochs} epochs max, batch {cfg.optim.batch_size}, lr encoder {cfg.optim.lr_encoder:g},
  heads {cfg.optim.lr_heads:g}, seed {cfg.run.seed}, precision {metrics.get('precision')},
  wall time {metrics.get('train_wall_time_s')} s{_distilled(cfg)}{_quantization(cfg, metrics)}{_argument_threshold(metrics)}
- Full config: `training_config.yaml`; all numbers: `metrics.json`

## Ontology

{types}

{_side_by_side(metrics)}
{_report("Dev (best checkpoint)", metrics.get("dev"))}
{_report(f"Test `{cfg.data.test}`", metrics.get("test"))}
## Use

```python
from inference import EventExtractor
ex = EventExtractor.from_pretrained("path/to/this/folder")
print(ex.extract("Rebels ambushed an army convoy near Gao on Monday, the governor said.")[0].to_dict())
```

## Intended use and limitations

For analysts and services reading English news about armed conflict, as a
first pass whose output a person can check: every event and argument has a
score. The training data is newswire-style text written for the sitrep project
and sentences of real reporting (wire stories, regional news, historical
accounts) transformed to be licence-clean; it covers four event types only. Expect lower
accuracy on other registers (social media, transcripts), on languages other
than English, and on events outside the four types. Arguments are found only
within the sentence of their trigger; coreference is not resolved.
"""
