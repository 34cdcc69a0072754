"""The event model: one encoder pass per sentence, a trigger tagger and an argument tagger.

Design (issue 4's recommended one, kept for its cost): the encoder runs once per
sentence. The trigger head tags words ``B-/I-Type``. For each trigger the
argument head tags every token with ``B-/I-Role`` from
``[token state; trigger span state; token * trigger; type embedding; distance
embedding]``, with roles the ontology does not allow for the type masked out.
Extraction therefore costs one encoder pass plus two small MLPs, whatever the
number of events.

The saved directory (``save_pretrained``) holds ``config.json`` (this
package's version, the encoder's own config and the ontology),
``model.safetensors`` and the tokenizer; ``from_pretrained`` rebuilds the model
from that alone, without the original encoder weights or ``training/``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inference.encoder import resolve_encoder
from inference.labels import LabelSet
from inference.model_config import (CONFIG_NAME, WEIGHTS_NAME, EventModelConfig, ModelLoadError, check_weights,
                                    read_model_config)
from inference.ontology import Ontology

# the configuration lives in a torch-free module (training's config and the CLI read it without torch);
# it is re-exported here, beside the model it describes
__all__ = ["EventModel", "EventModelConfig", "ModelLoadError", "read_model_config", "check_model_dir", "tensor_shapes",
           "IGNORE"]

IGNORE = -100


class EventModel(nn.Module):
    """Encoder + trigger tagger + trigger-conditioned argument tagger.

    >>> from transformers import BertConfig
    >>> cfg = EventModelConfig(ontology=Ontology.load("configs/ontology.yaml").to_dict(),
    ...     encoder_config=BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
    ...     num_attention_heads=2, intermediate_size=32).to_dict())
    >>> EventModel(cfg).trigger_head.out_features
    9
    """

    def __init__(self, config: EventModelConfig, encoder: nn.Module | None = None):
        super().__init__()
        from transformers import AutoConfig, AutoModel

        self.config = config
        self.ontology = Ontology.from_dict(config.ontology)
        self.labels = LabelSet(self.ontology)
        if encoder is None:
            enc_cfg = dict(config.encoder_config)
            enc_cfg = AutoConfig.for_model(enc_cfg.pop("model_type"), **enc_cfg)
            encoder = AutoModel.from_config(enc_cfg, add_pooling_layer=False) \
                if enc_cfg.model_type == "bert" else AutoModel.from_config(enc_cfg)
        self.encoder = encoder
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.trigger_head = nn.Linear(hidden, len(self.labels.trigger_labels))
        self.type_embedding = nn.Embedding(len(self.ontology.types), config.type_dim)
        self.distance_embedding = nn.Embedding(2 * config.max_distance + 1, config.distance_dim)
        self.arg_hidden = nn.Linear(3 * hidden + config.type_dim + config.distance_dim, config.head_hidden)
        self.arg_out = nn.Linear(config.head_hidden, len(self.labels.role_labels))
        self.register_buffer("role_mask", torch.tensor(self.labels.role_mask(), dtype=torch.bool), persistent=False)

    # ---- construction and persistence -------------------------------------------------
    @classmethod
    def from_encoder(cls, encoder_name: str, ontology: Ontology, encoder_layers: int | None = None,
                     **kwargs: Any) -> tuple["EventModel", Any]:
        """A new model on pretrained encoder weights; returns ``(model, tokenizer)``.

        ``encoder_layers`` keeps only the first N transformer layers (a faster,
        shallower encoder; the rest of the weights are not loaded).
        """
        from transformers import AutoModel, AutoTokenizer

        path = resolve_encoder(encoder_name)
        kw: dict[str, Any] = {}
        if json.loads((path / "config.json").read_text()).get("model_type") == "bert":
            kw["add_pooling_layer"] = False
        if encoder_layers is not None:
            kw["num_hidden_layers"] = encoder_layers
        from transformers.utils import logging as hf_logging

        # the load report would list the pooler and any dropped layers as "unexpected": both are intended
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            encoder = AutoModel.from_pretrained(path, **kw)
        finally:
            hf_logging.set_verbosity(verbosity)
        tokenizer = AutoTokenizer.from_pretrained(path)
        config = EventModelConfig(ontology=ontology.to_dict(), encoder=encoder_name,
                                  encoder_config=encoder.config.to_dict(), **kwargs)
        # replace() checks the config again: a shorter window may no longer fit the stride
        config = replace(config, max_length=min(config.max_length,
                                                getattr(encoder.config, "max_position_embeddings", 512)))
        return cls(config, encoder), tokenizer

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json`` (with the ontology and this sitrep's version) and ``model.safetensors``."""
        from safetensors.torch import save_model

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        from inference import __version__

        cfg = asdict(self.config) | {"sitrep_version": __version__}
        (directory / CONFIG_NAME).write_text(json.dumps(cfg, indent=2, ensure_ascii=False), encoding="utf-8")
        save_model(self, str(directory / WEIGHTS_NAME))

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "EventModel":
        """Rebuild a model saved by ``save_pretrained`` (no original encoder weights needed).

        A damaged ``config.json`` or ``model.safetensors``, or two files of different
        models, raise ``ModelLoadError`` naming the file and the fix.
        """
        from safetensors.torch import load_model

        directory = Path(directory)
        config, _ = read_model_config(directory)
        model = cls(config)
        check_weights(directory / WEIGHTS_NAME, tensor_shapes(model))
        load_model(model, str(directory / WEIGHTS_NAME))
        model.eval()
        return model

    # ---- computation ------------------------------------------------------------------
    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def trigger_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.trigger_head(self.dropout(hidden))

    def argument_logits(self, hidden: torch.Tensor, ev_batch: torch.Tensor, ev_start: torch.Tensor,
                        ev_end: torch.Tensor, ev_type: torch.Tensor) -> torch.Tensor:
        """Role logits ``[events, tokens, role_labels]`` for triggers at token spans ``[start, end]``.

        ``arg_hidden`` reads ``[token; trigger; token * trigger; type; distance]``. Its weight is split
        by those blocks so that the token term is computed once per token, the trigger and type terms
        once per event and the distance term once per distance: only the product term costs a matrix
        product per (event, token) pair. Same function as the concatenated form, a third of its cost.
        """
        h = hidden.shape[-1]
        w = self.arg_hidden.weight
        w_tok, w_trig, w_prod = w[:, :h], w[:, h:2 * h], w[:, 2 * h:3 * h]
        w_type, w_dist = w[:, 3 * h:3 * h + self.config.type_dim], w[:, 3 * h + self.config.type_dim:]
        hidden = self.dropout(hidden)
        states = hidden[ev_batch]                                       # [E, L, H]
        pos = torch.arange(states.shape[1], device=states.device)
        in_trigger = (pos[None, :] >= ev_start[:, None]) & (pos[None, :] <= ev_end[:, None])
        weights = in_trigger.to(states.dtype).unsqueeze(-1)
        trig = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)   # [E, H]
        k = self.config.max_distance
        dist = (pos[None, :] - ev_start[:, None]).clamp(-k, k) + k        # [E, L]
        per_event = nn.functional.linear(trig, w_trig) + nn.functional.linear(self.type_embedding(ev_type), w_type)
        pre = (nn.functional.linear(hidden, w_tok, self.arg_hidden.bias)[ev_batch]
               + nn.functional.linear(states * trig.unsqueeze(1), w_prod)
               + per_event.unsqueeze(1)
               + nn.functional.linear(self.distance_embedding.weight, w_dist)[dist])
        logits = self.arg_out(torch.nn.functional.gelu(pre))
        allowed = self.role_mask[ev_type].unsqueeze(1)                  # [E, 1, R]
        return logits.masked_fill(~allowed, torch.finfo(logits.dtype).min / 2)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                trigger_labels: torch.Tensor | None = None, ev_batch: torch.Tensor | None = None,
                ev_start: torch.Tensor | None = None, ev_end: torch.Tensor | None = None,
                ev_type: torch.Tensor | None = None, role_labels: torch.Tensor | None = None,
                role_loss_weight: float = 1.0) -> dict[str, torch.Tensor]:
        """Logits, and the training loss when labels are given (gold triggers feed the argument head)."""
        hidden = self.encode(input_ids, attention_mask)
        out = {"trigger_logits": self.trigger_logits(hidden)}
        if trigger_labels is None:
            return out
        ce = nn.functional.cross_entropy
        t_logits = out["trigger_logits"].float()
        trigger_loss = ce(t_logits.reshape(-1, t_logits.shape[-1]), trigger_labels.reshape(-1), ignore_index=IGNORE)
        loss = trigger_loss
        role_loss = torch.zeros((), device=hidden.device)
        if ev_batch is not None and ev_batch.numel() > 0:
            r_logits = self.argument_logits(hidden, ev_batch, ev_start, ev_end, ev_type).float()
            out["role_logits"] = r_logits
            role_loss = ce(r_logits.reshape(-1, r_logits.shape[-1]), role_labels.reshape(-1), ignore_index=IGNORE)
            loss = loss + role_loss_weight * role_loss
        out.update(loss=loss, trigger_loss=trigger_loss.detach(), role_loss=role_loss.detach())
        return out


def tensor_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Name -> shape of each tensor ``save_pretrained`` writes for ``model``."""
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def check_model_dir(directory: str | Path) -> EventModelConfig:
    """The checked config of a model directory, with its weights file checked against it.

    Cheap: the model is built on the meta device (no memory) and only the
    weights file's header is read. Raises what ``EventModel.from_pretrained`` would.
    """
    config, _ = read_model_config(directory)
    with torch.device("meta"):
        shapes = tensor_shapes(EventModel(config))
    check_weights(Path(directory) / WEIGHTS_NAME, shapes)
    return config
