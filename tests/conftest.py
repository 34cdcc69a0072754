"""Shared fixtures: the project's ontology, a tiny random encoder config, a tiny trained model."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY_ENCODER = {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                "intermediate_size": 64, "max_position_embeddings": 128}


@pytest.fixture(scope="session")
def ontology():
    from inference.ontology import Ontology

    return Ontology.load(ROOT / "configs" / "ontology.yaml")


@pytest.fixture(scope="session")
def seed_sentences():
    from inference.records import load_sentences

    return load_sentences(ROOT / "data" / "seed.jsonl")


def tiny_config(tmp: Path, train: list[str], dev: str | None, **overrides):
    """A TrainConfig for a tiny random encoder, writing under ``tmp``."""
    from training.config import load_config

    sets = [f"data.train={train!r}", f"data.dev={dev if dev else 'null'}", "data.test=null", "data.more_tests=[]",
            f"model.encoder_config={TINY_ENCODER!r}", "model.max_length=64", "model.stride=16",
            "model.head_hidden=32", "model.type_dim=8", "model.dropout=0.0", "model.quantization_aware=false",
            "optim.batch_size=4", "optim.lr_encoder=0.003", "optim.lr_heads=0.01", "optim.warmup_ratio=0.0",
            "run.early_stopping_patience=0", "run.precision=fp32",
            f"run.output_dir={tmp / 'model'}", f"run.checkpoint_dir={tmp / 'ckpt'}"]
    sets += [f"{k}={v}" for k, v in overrides.items()]
    return load_config(ROOT / "configs" / "default.yaml", sets)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny model overfitted on the seed article (seconds on a CPU)."""
    from training.trainer import train

    tmp = tmp_path_factory.mktemp("tiny")
    seed = str(ROOT / "data" / "seed.jsonl")
    train(tiny_config(tmp, [seed], seed, **{"optim.epochs": 40}))
    return tmp / "model"
