"""A readable view of extraction results for a person at a terminal."""
from __future__ import annotations

from inference.extractor import ExtractedDocument

__all__ = ["format_document"]


def format_document(doc: ExtractedDocument, title: str | None = None, show_empty: bool = False) -> str:
    """Each sentence with events (or every sentence, with ``show_empty``), then its events and arguments."""
    lines = [f"== {title}"] if title else []
    for i, s in enumerate(doc.sentences):
        if not s.events and not show_empty:
            continue
        lines.append(f"[{i}] {s.text}")
        if not s.events:
            lines.append("    (no event)")
        for e in s.events:
            lines.append(f"    {e.type}: “{e.trigger.text}” ({e.score:.2f})")
            for a in e.arguments:
                lines.append(f"        {a.role:<11} {a.text} ({a.score:.2f})")
    if len(lines) <= (1 if title else 0):
        lines.append("(no events found)")
    return "\n".join(lines)
