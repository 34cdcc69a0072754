"""Knowledge distillation: a small student learns a trained teacher's label distributions.

A shallow encoder is several times faster at inference but learns less from
2,800 gold sentences than a deeper one. With ``distill.teacher`` set, each
training batch also runs through the (frozen) teacher, and the student is
pulled towards the teacher's softened trigger and role distributions (Hinton
et al., 2015) as well as towards the gold labels:

    loss = (1 - weight) * gold loss + weight * T^2 * (KL_triggers + role_loss_weight * KL_roles)

The KL terms are averaged over the positions the gold loss scores (first
sub-tokens of words); the teacher's argument head reads the same gold
triggers as the student's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from inference.model import IGNORE, EventModel
from training.config import ConfigError, DistillConfig

__all__ = ["Distiller", "kl_on_positions"]


def kl_on_positions(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                    temperature: float) -> torch.Tensor:
    """Mean KL(teacher || student) of the softened distributions where ``labels`` is not ``IGNORE``."""
    keep = labels != IGNORE
    if not keep.any():
        return student_logits.sum() * 0.0  # keeps the graph (and DDP) intact on a batch with nothing to score
    s = F.log_softmax(student_logits[keep].float() / temperature, -1)
    t = F.log_softmax(teacher_logits[keep].float() / temperature, -1)
    return F.kl_div(s, t, log_target=True, reduction="batchmean")


class Distiller:
    """A frozen teacher and the loss that mixes its distributions with the gold labels."""

    def __init__(self, cfg: DistillConfig, student: EventModel, student_tokenizer, device: torch.device | str):
        from transformers import AutoTokenizer

        directory = Path(cfg.teacher)
        self.cfg = cfg
        self.teacher = EventModel.from_pretrained(directory).to(device).eval().requires_grad_(False)
        mine, theirs = student.labels, self.teacher.labels
        if (mine.trigger_labels, mine.role_labels) != (theirs.trigger_labels, theirs.role_labels):
            raise ConfigError(f"distill.teacher: {directory} was trained on another ontology than "
                              f"data.ontology; the teacher must label the same types and roles")
        if AutoTokenizer.from_pretrained(directory).get_vocab() != student_tokenizer.get_vocab():
            raise ConfigError(f"distill.teacher: {directory} uses another tokenizer than model.encoder; "
                              f"the teacher must share the student's vocabulary (the same encoder family)")
        if self.teacher.config.max_length < student.config.max_length:
            raise ConfigError(f"distill.teacher: {directory} reads windows of {self.teacher.config.max_length} "
                              f"tokens, fewer than model.max_length={student.config.max_length}")

    def loss(self, out: dict[str, torch.Tensor], batch: dict[str, Any], role_loss_weight: float) -> torch.Tensor:
        """The training loss for a batch, from the student's outputs ``out`` (with the gold loss in it)."""
        with torch.no_grad():
            hidden = self.teacher.encode(batch["input_ids"], batch["attention_mask"])
            t_trig = self.teacher.trigger_logits(hidden)
            t_role = None
            if "role_logits" in out:
                t_role = self.teacher.argument_logits(hidden, batch["ev_batch"], batch["ev_start"],
                                                      batch["ev_end"], batch["ev_type"])
        tau = self.cfg.temperature
        soft = kl_on_positions(out["trigger_logits"], t_trig, batch["trigger_labels"], tau)
        if t_role is not None:
            soft = soft + role_loss_weight * kl_on_positions(out["role_logits"], t_role, batch["role_labels"], tau)
        return (1 - self.cfg.weight) * out["loss"] + self.cfg.weight * tau ** 2 * soft
