"""``sitrep data ...``: validate, measure, build, check and import annotated data."""
from __future__ import annotations

import json
from pathlib import Path

import typer

data_app = typer.Typer(help="Data tools: validate, stats, build or check the corpus, check splits, import GENEVA.",
                       no_args_is_help=True)
import_app = typer.Typer(help="Convert public datasets to the sitrep format.", no_args_is_help=True)
data_app.add_typer(import_app, name="import")

OntologyOpt = typer.Option(Path("configs/ontology.yaml"), help="Ontology the data must follow.")


def _ontology(path: Path):
    from inference.ontology import Ontology, OntologyError

    try:
        return Ontology.load(path)
    except OntologyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)


def _load(files: list[Path]):
    from inference.records import RecordError, load_sentences

    try:
        return {str(f): load_sentences(f) for f in files}
    except (RecordError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)


@data_app.command()
def validate(files: list[Path] = typer.Argument(..., help="JSONL data or prediction files."),
             ontology: Path = OntologyOpt):
    """Check every line of every file; print FILE:LINE: field: problem for each problem."""
    from inference.validation import check_file

    ont = _ontology(ontology)
    checks = [check_file(f, ont) for f in files]
    problems = [p for c in checks for p in c.problems]
    total = sum(c.lines for c in checks)
    for p in problems:
        typer.echo(str(p))
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(files)} file(s), {total} records", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {total} records in {len(files)} file(s), no problems")


@data_app.command()
def stats(files: list[Path] = typer.Argument(..., help="JSONL data files."),
          as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")):
    """Sentences, documents, events per type, arguments per role, negatives, trigger variety, lengths."""
    from training.corpus.stats import corpus_stats, format_stats

    loaded = _load(files)
    result = {name: corpus_stats(sents) for name, sents in loaded.items()}
    if len(files) > 1:
        result["all"] = corpus_stats([s for sents in loaded.values() for s in sents])
    if as_json:
        typer.echo(json.dumps(result if len(files) > 1 else result[str(files[0])], indent=1, ensure_ascii=False))
    else:
        typer.echo("\n".join(format_stats(k, v) for k, v in result.items()))


@data_app.command()
def build(src: Path = typer.Option(None, help="Folder of .ann slices (default data/src, or data/real/src)."),
          out: Path = typer.Option(None, help="Where train/dev/test.jsonl go (default data, or data/real)."),
          real: bool = typer.Option(False, "--real", help="Build the real-text corpus: <slice>-eval.ann documents "
                                                           "alternate dev/test, <slice>-train.ann train; SOURCES.md."),
          ontology: Path = OntologyOpt):
    """Compile .ann slices, validate them and split by document into train/dev/test."""
    from training.corpus.build import CorpusError, build_corpus
    from training.corpus.real import build_real_corpus
    from training.corpus.stats import corpus_stats, format_stats

    base = Path("data/real") if real else Path("data")
    try:
        splits = (build_real_corpus if real else build_corpus)(src or base / "src", out or base, _ontology(ontology))
    except CorpusError as exc:
        for p in exc.problems:
            typer.echo(p, err=True)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    for name, sents in splits.items():
        typer.echo(format_stats(name, corpus_stats(sents)))


@data_app.command()
def check(slices: list[Path] = typer.Argument(..., help="The .ann slices to check, e.g. data/src/x.ann."),
          ontology: Path = OntologyOpt):
    """Compile and validate slices without writing anything; their stats and templated share."""
    from training.corpus.build import compile_slices
    from training.corpus.stats import corpus_stats, format_stats
    from training.corpus.templates import templated_share

    sentences, problems = compile_slices(slices, _ontology(ontology))
    for p in problems:
        typer.echo(p)
    typer.echo(format_stats(", ".join(map(str, slices)), corpus_stats(sentences)))
    share, runs = templated_share(s.text for s in sentences)
    typer.echo(f"  templated sentences: {share:.1%} (limit 5%)" + "".join(f"\n    {c}x: {r}" for r, c in runs[:10]))
    if problems:
        raise typer.Exit(1)


@data_app.command()
def compile(src: Path = typer.Argument(..., help="One .ann file."),
            out: Path = typer.Argument(..., help="JSONL file to write."),
            ontology: Path = OntologyOpt):
    """Compile one .ann file (e.g. data/seed.ann) into a validated JSONL file."""
    from inference.records import save_sentences
    from training.corpus.build import compile_slices

    sents, problems = compile_slices([src], _ontology(ontology))
    for p in problems:
        typer.echo(p)
    if problems:
        raise typer.Exit(1)
    save_sentences(out, sents)
    typer.echo(f"{out}: {len(sents)} sentences")


@data_app.command()
def overlap(files: list[Path] = typer.Argument(..., help="Split files, e.g. data/train.jsonl data/dev.jsonl data/test.jsonl"),
            threshold: float = typer.Option(0.5, help="Jaccard of word 5-grams above which a pair is a near-duplicate.")):
    """Fail when a sentence has a near-duplicate in another split, or a document is in two splits."""
    from training.corpus.overlap import cross_split_overlaps

    loaded = _load(files)
    pairs = cross_split_overlaps({k: [(s.id, s.text) for s in v] for k, v in loaded.items()}, threshold)
    docs: dict[str, str] = {}
    shared = set()
    for name, sents in loaded.items():
        for s in sents:
            if s.doc_id and docs.setdefault(s.doc_id, name) != name:
                shared.add(s.doc_id)
    for p in pairs:
        typer.echo(f"near-duplicate: {p.split_a}:{p.id_a} ~ {p.split_b}:{p.id_b} (Jaccard {p.jaccard})")
    for d in sorted(shared):
        typer.echo(f"document in two splits: {d}")
    if pairs or shared:
        raise typer.Exit(1)
    typer.echo(f"ok: no document in two splits, no cross-split pair above Jaccard {threshold}")


@data_app.command()
def templates(files: list[Path] = typer.Argument(..., help="JSONL data files."),
              limit: float = typer.Option(0.05, help="Largest share of templated sentences that passes.")):
    """Share of sentences sharing a masked 8-token run with 4+ others (real news: about 0-1%)."""
    from training.corpus.templates import templated_share

    loaded = _load(files)
    share, runs = templated_share(s.text for v in loaded.values() for s in v)
    for run, count in runs[:20]:
        typer.echo(f"{count:4d}x  {run}")
    typer.echo(f"templated sentences: {share:.2%} (limit {limit:.0%})")
    if share > limit:
        raise typer.Exit(1)


@data_app.command()
def agreement(second: Path = typer.Argument(..., help="The second annotator's .ann file (D: <sentence id>, S: text)."),
              gold: Path = typer.Argument(..., help="The gold JSONL file holding the first annotation."),
              out_dir: Path = typer.Option(Path("data/agreement"), help="Where first/second_pass.jsonl go."),
              json_out: Path | None = typer.Option(None, "--json", help="Write the scores here.")):
    """Score an independent second annotation against the first (Tri-C, Arg-C ... between annotators)."""
    from sitrep.report import format_report
    from inference.atomic import write_json
    from training.corpus.agreement import agreement as run_agreement

    try:
        report = run_agreement(second, gold, out_dir)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(format_report(report))
    if json_out:
        write_json(json_out, report)


@import_app.command("geneva")
def import_geneva(src: Path = typer.Argument(..., help="A GENEVA JSONL file (e.g. data_time_place/val.jsonl)."),
                  out: Path = typer.Argument(..., help="Output JSONL in the sitrep format."),
                  ontology: Path = OntologyOpt):
    """Convert GENEVA sentences to the sitrep format (our types and roles only), validated."""
    from inference.records import save_sentences
    from training.corpus.geneva import convert_file
    from training.corpus.stats import corpus_stats, format_stats
    from inference.validation import record_problems

    ont = _ontology(ontology)
    sents = convert_file(src)
    problems = [f"{s.id}: {p}" for s in sents for p in record_problems(s.to_dict(), ont)]
    for p in problems:
        typer.echo(p, err=True)
    if problems:
        typer.echo(f"error: {len(problems)} problem(s) in the conversion; nothing written", err=True)
        raise typer.Exit(1)
    save_sentences(out, sents)
    typer.echo(format_stats(str(out), corpus_stats(sents)))
