"""Baselines that make the transformer's gain visible.

* ``LexiconBaseline``: the most frequent type of each trigger string seen in
  train, matched longest-first on word boundaries (triggers only).
* ``TfidfBaseline``: TF-IDF word n-grams + one-vs-rest logistic regression,
  predicting the set of event types of each sentence.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Sequence

from inference.records import Event, Sentence, Span
from inference.scoring import sentence_type_rows

__all__ = ["LexiconBaseline", "TfidfBaseline"]


class LexiconBaseline:
    """Trigger lexicon: string -> most frequent type in train; longest match wins."""

    def __init__(self) -> None:
        self.lexicon: dict[str, str] = {}
        self._pattern: re.Pattern | None = None

    def fit(self, sentences: Sequence[Sentence]) -> "LexiconBaseline":
        counts: dict[str, Counter] = defaultdict(Counter)
        for s in sentences:
            for e in s.events:
                counts[e.trigger.text.lower()][e.type] += 1
        self.lexicon = {k: c.most_common(1)[0][0] for k, c in counts.items()}
        alternatives = sorted(self.lexicon, key=len, reverse=True)
        self._pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, alternatives)) + r")(?!\w)",
                                   re.IGNORECASE) if alternatives else None
        return self

    def predict(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        out = []
        for s in sentences:
            events = []
            if self._pattern is not None:
                for m in self._pattern.finditer(s.text):
                    events.append(Event(self.lexicon[m.group(0).lower()], Span(m.start(), m.end(), m.group(0))))
            out.append(Sentence(s.id, s.text, events, s.doc_id))
        return out


class TfidfBaseline:
    """Sentence-level multi-label classifier over event types (no spans)."""

    def __init__(self, types: Sequence[str]) -> None:
        self.types = list(types)

    def fit(self, sentences: Sequence[Sentence]) -> "TfidfBaseline":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
        x = self.vectorizer.fit_transform([s.text for s in sentences])
        y = sentence_type_rows(sentences, self.types)
        self.model = OneVsRestClassifier(LogisticRegression(max_iter=2000, C=10.0)).fit(x, y)
        return self

    def predict_types(self, sentences: Sequence[Sentence]) -> list[list[int]]:
        """One 0/1 row per sentence, one column per type."""
        return self.model.predict(self.vectorizer.transform([s.text for s in sentences])).tolist()
