"""sitrep inference: load a trained event model and extract events from raw text.

>>> from inference import EventExtractor                      # doctest: +SKIP
>>> ex = EventExtractor.from_pretrained("models/default")     # doctest: +SKIP
>>> doc = ex.extract("Rebels ambushed a convoy on Monday, the army said.")  # doctest: +SKIP
>>> [e.type for e in doc.events]                              # doctest: +SKIP
['Ambush', 'Statement']

Importing this package is light: torch and transformers load only when the
extractor is first used.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["EventExtractor", "ExtractedDocument", "ExtractedSentence", "Ontology", "__version__"]


def __getattr__(name: str):
    # Lazy, so that records, scoring and the CLI's help do not pay for importing torch.
    if name in {"EventExtractor", "ExtractedDocument", "ExtractedSentence"}:
        from inference import extractor

        return getattr(extractor, name)
    if name == "Ontology":
        from inference.ontology import Ontology

        return Ontology
    raise AttributeError(f"module 'inference' has no attribute {name!r}")
