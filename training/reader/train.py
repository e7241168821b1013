"""Train the student reader: the first layers of the packaged all-MiniLM-L6-v2 with a new one-logit
head, fitted with sentence-transformers' CrossEncoder trainer to ClapNQ's dev-half human labels
and the teacher's P(Yes) (binary cross-entropy on soft labels).

The real-policy documents and every test half are never trained on. The result is saved in half
precision (the reader loads it as float32) with its training figures in `training.json`.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.reader import MAX_LENGTH, READER_DIR, CrossEncoderReader, pair_text
from assistant.embedder import Embedder, packaged_model_path
from assistant.settings import Settings
from training.reader.agreement import human_pairs
from training.reader.heldout import heldout
from training.reader.sources import Passage, all_passages, text_key
from training.reader.teacher import LABELS_PATH, load_labels


@dataclass(frozen=True)
class Example:
    """One training pair."""

    question: str
    candidate: str
    label: float
    origin: str  # "human" or "teacher"


def human_examples(off_topic: int = 2, seed: int = 11) -> list[Example]:
    """ClapNQ dev-half units labelled by the gold sentences, and per question `off_topic` units of
    other questions' passages (label 0): a student that starts from a bi-encoder has first to
    learn topical relevance, which these cheap negatives teach."""
    pairs = human_pairs()
    examples = [
        Example(
            p.case.question, pair_text(p.passage.title, None, p.text), float(p.answers), "human"
        )
        for p in pairs
    ]
    rng = random.Random(seed)
    questions = {p.case.id: p.case.question for p in pairs}
    for case_id, question in questions.items():
        others = [
            p for p in rng.sample(pairs, min(len(pairs), 8 * off_topic)) if p.case.id != case_id
        ]
        for p in others[:off_topic]:
            examples.append(
                Example(question, pair_text(p.passage.title, None, p.text), 0.0, "off-topic")
            )
    return examples


def teacher_examples(
    passages: list[Passage], path: Path = LABELS_PATH
) -> tuple[list[Example], int]:
    """The teacher-labelled pairs whose text the sources still hold; and how many were missing."""
    by_key = {p.key: p for p in passages}
    texts: dict[str, str] = {}
    for passage in passages:
        texts[text_key(passage.text)] = passage.text
        for unit in passage.units:
            texts[text_key(unit)] = unit
    examples, missing = [], 0
    for row in load_labels(path):
        text = row.get("text") or texts.get(row["candidate"])
        where = by_key.get(row["candidate_passage"])
        if text is None or where is None:
            missing += 1
            continue
        examples.append(
            Example(
                row["question"],
                pair_text(where.title, where.section, text),
                float(row["p_yes"]),
                "teacher",
            )
        )
    return examples, missing


def student(layers: int) -> Any:
    """A CrossEncoder from the packaged MiniLM's first `layers` layers and a new head."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(
        str(packaged_model_path()), num_labels=1, max_length=MAX_LENGTH, device="cpu"
    )
    bert = model.model.base_model
    bert.encoder.layer = bert.encoder.layer[:layers]
    model.model.config.num_hidden_layers = layers
    return model


def train(
    settings: Settings,
    embedder: Embedder,
    out: Path = READER_DIR,
    layers: int = 2,
    epochs: int = 2,
    seed: int = 11,
    log: Callable[[str], None] = print,
    learning_rate: float = 1e-4,
    off_topic: int = 2,
) -> dict[str, Any]:
    """Fit and save the student; returns the training figures (also written to out)."""
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import (
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    torch.manual_seed(seed)
    random.seed(seed)
    passages = all_passages(settings, embedder)
    human = human_examples(off_topic, seed)
    taught, missing = teacher_examples(passages)
    examples = human + taught
    random.Random(seed).shuffle(examples)
    log(f"{len(human)} human pairs, {len(taught)} teacher pairs ({missing} without their text)")
    data = Dataset.from_dict(
        {
            "question": [e.question for e in examples],
            "candidate": [e.candidate for e in examples],
            "label": [e.label for e in examples],
        }
    )
    model = student(layers)
    work = out.parent / f".{out.name}-training"
    args = CrossEncoderTrainingArguments(
        output_dir=str(work),
        num_train_epochs=epochs,
        per_device_train_batch_size=32,
        learning_rate=learning_rate,
        warmup_steps=0.1,
        seed=seed,
        save_strategy="no",
        logging_steps=50,
        report_to="none",
        use_cpu=True,
        dataloader_num_workers=0,
    )
    started = time.perf_counter()
    trainer = CrossEncoderTrainer(
        model=model, args=args, train_dataset=data, loss=BinaryCrossEntropyLoss(model)
    )
    trainer.train()
    seconds = time.perf_counter() - started
    model.model.half()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    figures = {
        "layers": layers,
        "epochs": epochs,
        "learning_rate": learning_rate,
        "off_topic_per_question": off_topic,
        "seed": seed,
        "human_pairs": len(human),
        "teacher_pairs": len(taught),
        "teacher_pairs_without_text": missing,
        "train_seconds": round(seconds, 1),
        "positives": int(np.sum([e.label >= 0.5 for e in examples])),
        "heldout": heldout(CrossEncoderReader(out), embedder),
    }
    (out / "training.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures
