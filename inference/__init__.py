"""sitrep inference: load a trained event model and extract events from raw text.

>>> from inference import EventExtractor
>>> ex = EventExtractor.from_pretrained("models/default")     # doctest: +SKIP
>>> (doc,) = ex.extract("Rebels ambushed a convoy on Monday, the army said.")  # doctest: +SKIP
>>> [e.type for e in doc.events]                              # doctest: +SKIP
['Ambush', 'Statement']

``extract`` takes one text or a list of texts and always returns a list, one
document per text.

Importing this package is light: torch and transformers load only when the
extractor is first used.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sitrep")   # pyproject.toml's, the one place the version is written
except PackageNotFoundError:          # a checkout used without installing it
    __version__ = "0+unknown"

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
