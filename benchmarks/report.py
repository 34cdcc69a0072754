"""``format_report`` now lives in ``inference.score_report`` (the readable form of the scorer's report).

Kept only for ``benchmarks/evaluate.py``, which its owner moves to the new import in the
scorer's restructuring; delete this module then.
"""
from inference.score_report import format_report

__all__ = ["format_report"]
