"""Knowledge distillation: the loss on hand-made logits, a tiny teacher teaching a tiny student, config errors."""
import shutil

import pytest
import torch

from inference.model import IGNORE
from tests.conftest import ROOT, tiny_config
from training.config import ConfigError
from training.distill import kl_on_positions
from training.trainer import train

GOLD = str(ROOT / "data" / "seed.jsonl")


def test_kl_is_zero_for_the_teacher_itself_and_skips_ignored_positions():
    torch.manual_seed(0)
    teacher = torch.randn(2, 5, 7)
    labels = torch.tensor([[0, 1, IGNORE, 2, IGNORE], [IGNORE, 3, 3, IGNORE, IGNORE]])
    assert kl_on_positions(teacher.clone(), teacher, labels, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    student = teacher.clone()
    student[labels == IGNORE] = torch.randn(int((labels == IGNORE).sum()), 7)  # only unscored positions differ
    assert kl_on_positions(student, teacher, labels, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    student[0, 0] += torch.arange(7.0)
    assert kl_on_positions(student, teacher, labels, 2.0).item() > 0.01
    nothing = torch.full_like(labels, IGNORE)
    assert kl_on_positions(student, teacher, nothing, 2.0).item() == 0.0


def test_a_student_learns_triggers_from_the_teacher_alone(tiny_model_dir, seed_sentences, tmp_path):
    """Training text without any gold event: every trigger the student finds, it learned from the teacher."""
    from inference.records import Sentence, save_sentences

    unlabeled = tmp_path / "unlabeled.jsonl"
    save_sentences(unlabeled, [Sentence(s.id, s.text, [], s.doc_id) for s in seed_sentences])
    cfg = tiny_config(tmp_path, [str(unlabeled)], GOLD, **{"optim.epochs": 40, "distill.teacher": str(tiny_model_dir),
                                                           "distill.weight": 1.0, "distill.temperature": 1.0})
    assert train(cfg).best_dev["tri_c"]["f1"] > 0.8
    card = (tmp_path / "model" / "README.md").read_text()
    assert f"Distilled from the teacher `{tiny_model_dir}`" in card


def test_teacher_with_another_vocabulary_is_refused(tiny_model_dir, tmp_path):
    from transformers import BertTokenizerFast

    teacher = tmp_path / "teacher"
    shutil.copytree(tiny_model_dir, teacher)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "rebels", "fled"]))
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(teacher)
    with pytest.raises(ConfigError, match="another tokenizer"):
        train(tiny_config(tmp_path, [GOLD], GOLD, **{"optim.epochs": 1, "distill.teacher": str(teacher)}))


def test_missing_teacher_and_bad_weight_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="distill.teacher: .* not a trained sitrep model"):
        tiny_config(tmp_path, [GOLD], GOLD, **{"distill.teacher": str(tmp_path / "nope")})
    with pytest.raises(ConfigError, match=r"distill.weight must be in \(0, 1\]"):
        tiny_config(tmp_path, [GOLD], GOLD, **{"distill.weight": 0})
