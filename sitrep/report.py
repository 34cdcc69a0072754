"""Readable tables of a scoring report (the JSON of ``inference.scoring.score``)."""
from __future__ import annotations

from typing import Any

__all__ = ["format_report"]


def _row(name: str, m: dict[str, Any]) -> str:
    return f"  {name:<14} P {m['p']:.4f}  R {m['r']:.4f}  F1 {m['f1']:.4f}   ({m['tp']} of {m['n_pred']} pred, {m['n_gold']} gold)"


def format_report(report: dict[str, Any]) -> str:
    """The headline measures, then per type, per role and the confusion matrix."""
    lines = [f"{report['sentences']} sentences"]
    if report.get("missing_predictions"):
        lines.append(f"  {len(report['missing_predictions'])} gold id(s) had no prediction (counted as no events)")
    for key, name in (("tri_i", "Tri-I"), ("tri_c", "Tri-C"), ("arg_i", "Arg-I"), ("arg_c", "Arg-C")):
        lines.append(_row(name, report[key]))
    st = report["sentence_types"]
    lines.append(f"  sentence types: micro F1 {st['micro_f1']:.4f}  macro F1 {st['macro_f1']:.4f}")
    lines.append("per type (Tri-C):")
    lines += [_row(t, m) for t, m in report["per_type"].items()]
    lines.append("per role (Arg-C):")
    lines += [_row(r, m) for r, m in report["per_role"].items()]
    labels, matrix = report["confusion"]["labels"], report["confusion"]["matrix"]
    width = max(len(x) for x in labels) + 1
    lines.append("trigger confusion (rows gold, columns predicted):")
    lines.append(" " * (width + 2) + "".join(f"{x[:9]:>10}" for x in labels))
    for lab, row in zip(labels, matrix):
        lines.append(f"  {lab:<{width}}" + "".join(f"{v:>10}" for v in row))
    for name, base in report.get("baselines", {}).items():
        lines.append(f"baseline {name}:")
        for key in ("tri_i", "tri_c"):
            if key in base:
                lines.append(_row(key.replace("_", "-").title(), base[key]))
        bst = base["sentence_types"]
        lines.append(f"  sentence types: micro F1 {bst['micro_f1']:.4f}  macro F1 {bst['macro_f1']:.4f}")
    return "\n".join(lines)
