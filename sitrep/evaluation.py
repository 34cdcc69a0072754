"""``sitrep evaluate``: run a model on a gold file, score it, and write what an evaluator needs.

Writes, on request, the JSON report (``--json``), a confusion-matrix heat map
(``--plot``), every false positive and false negative with its sentence
(``--errors``), and the scores of the two baselines trained on the train file
(``--baselines``), all from one run of the model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from sitrep.baselines import LexiconBaseline, TfidfBaseline
from sitrep.report import format_report
from inference.atomic import write_json
from inference.records import Sentence, load_sentences, write_jsonl
from inference.scoring import align, match, score, sentence_type_rows, sentence_type_scores

__all__ = ["run_evaluation", "error_rows", "plot_confusion", "baseline_scores"]


def error_rows(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> list[dict[str, Any]]:
    """False negatives and positives of triggers (Tri-C) and arguments (Arg-C), one row each.

    They are the unmatched items of the scorer's own matching, so their number
    is exactly what the report's Tri-C and Arg-C counts leave unmatched.
    """
    rows = []
    for g, p in align(gold, pred)[0]:
        tri, arg = match(g, p, "tri_c"), match(g, p, "arg_c")
        for kind, events in (("FN", tri.missed), ("FP", tri.spurious)):
            rows += [{"kind": kind, "level": "trigger", "id": g.id, "type": e.type, "trigger": e.trigger.text,
                      "start": e.trigger.start, "end": e.trigger.end, "text": g.text} for e in events]
        for kind, pairs in (("FN", arg.missed), ("FP", arg.spurious)):
            rows += [{"kind": kind, "level": "argument", "id": g.id, "type": e.type, "trigger": e.trigger.text,
                      "role": a.role, "argument": a.text, "start": a.start, "end": a.end, "text": g.text}
                     for e, a in pairs]
    return rows


def plot_confusion(report: dict[str, Any], path: Path, title: str = "Trigger type confusion") -> None:
    """Save the trigger confusion matrix as a heat map (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels, matrix = report["confusion"]["labels"], np.array(report["confusion"]["matrix"])
    fig, ax = plt.subplots(figsize=(1.3 * len(labels) + 2, 1.1 * len(labels) + 1.5))
    im = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_title(title)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def baseline_scores(train: Sequence[Sentence], gold: Sequence[Sentence], types: Sequence[str],
                    roles: Sequence[str]) -> dict[str, Any]:
    """Scores of the lexicon baseline (triggers) and the TF-IDF baseline (sentence types)."""
    lex = score(gold, LexiconBaseline().fit(train).predict(gold), types, roles)
    tfidf = TfidfBaseline(types).fit(train)
    return {"lexicon": {k: lex[k] for k in ("tri_i", "tri_c", "sentence_types", "per_type")},
            "tfidf_logreg": {"sentence_types": sentence_type_scores(sentence_type_rows(gold, types),
                                                                    tfidf.predict_types(gold), types)}}


def run_evaluation(extractor, data: Path, json_out: Path | None = None, plot: Path | None = None,
                   errors: Path | None = None, baselines_train: Path | None = None) -> str:
    """Evaluate ``extractor`` on the gold file ``data``; return the readable report."""
    gold = load_sentences(data)
    pred = extractor.predict_records(gold)
    ont = extractor.ontology
    report = score(gold, pred, ont.type_names, ont.roles)
    report["data"] = str(data)
    report["model"] = extractor.metadata.get("model_dir")
    if baselines_train is not None:
        report["baselines"] = baseline_scores(load_sentences(baselines_train), gold, ont.type_names, ont.roles)
        report["baselines_trained_on"] = str(baselines_train)
    if json_out:
        write_json(json_out, report)
    if plot:
        plot_confusion(report, plot, f"Trigger type confusion: {Path(data).name}")
    if errors:
        write_jsonl(errors, error_rows(gold, pred))
    return format_report(report)
