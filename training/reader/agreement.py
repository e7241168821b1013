"""How far the teacher agrees with human labels: ClapNQ's gold sentences (dev half only).

An answerable question's gold `selected_sentences` answer it and its passage's other units do
not; no unit of an unanswerable question's passage answers it. The teacher judges each unit as
it judges its own pairs; its agreement with these labels is the ceiling a student distilled
from it can hope for. Records hold ids and hashes, not the dataset's text.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals import clapnq
from evals.datasets import DATASETS_DIR, EvalCase
from evals.metrics import auc, sentence_recall
from evals.splits import is_dev
from training.reader.sources import Passage, text_key
from training.reader.teacher import PROMPT_VERSION, Teacher, context_of, load_labels

AGREEMENT_PATH = DATASETS_DIR / "reader" / "teacher_agreement.jsonl"
UNITS_PER_QUESTION = 6


@dataclass(frozen=True)
class HumanPair:
    """A ClapNQ dev-half unit and whether it answers the question, by the human labels."""

    case: EvalCase
    passage: Passage
    text: str
    answers: bool


def is_gold(unit: str, gold_sentences: list[str]) -> bool:
    """Whether `unit` is (most of) one of the gold sentences."""
    return any(sentence_recall(gold, [unit]) >= 1.0 for gold in gold_sentences) or any(
        sentence_recall(unit, [gold]) >= 1.0 for gold in gold_sentences
    )


def human_pairs(folder: Path = clapnq.DEFAULT_DIR, half: str = "dev") -> list[HumanPair]:
    """Every unit of every `half` question's passage, labelled by ClapNQ's gold sentences (the
    dev half trains; the test half only measures)."""
    if not clapnq.available(folder):
        return []
    passages = clapnq.passages_by_case(folder)
    pairs = []
    for case in clapnq.load_cases(folder):
        if is_dev(case.id) != (half == "dev"):
            continue
        doc, title, text = passages[case.id]
        passage = Passage("clapnq", doc, doc, title, None, text)
        for unit in passage.units:
            answers = case.answerable and is_gold(unit, list(case.gold_sentences))
            pairs.append(HumanPair(case, passage, unit, answers))
    return pairs


def sample(pairs: list[HumanPair], questions: int, seed: int = 7) -> list[HumanPair]:
    """Up to `UNITS_PER_QUESTION` units of `questions` questions (every gold unit kept)."""
    by_case: dict[str, list[HumanPair]] = {}
    for pair in pairs:
        by_case.setdefault(pair.case.id, []).append(pair)
    rng = random.Random(seed)
    cases = sorted(by_case)
    rng.shuffle(cases)
    chosen: list[HumanPair] = []
    for case_id in cases[:questions]:
        group = by_case[case_id]
        gold = [p for p in group if p.answers]
        rest = [p for p in group if not p.answers]
        rng.shuffle(rest)
        chosen.extend(gold + rest[: max(UNITS_PER_QUESTION - len(gold), 0)])
    return chosen


def measure(
    teacher: Teacher,
    pairs: list[HumanPair],
    path: Path = AGREEMENT_PATH,
    progress: Callable[[str], None] = lambda _: None,
) -> list[dict[str, Any]]:
    """Judge the pairs not judged yet (appending to `path`); all judged rows."""
    rows = [row for row in load_labels(path) if prompt_of(row) == teacher.prompt]
    done = {(row["case"], row["candidate"]) for row in rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for pair in pairs:
            key = (pair.case.id, text_key(pair.text))
            if key in done:
                continue
            started = time.perf_counter()
            p_yes = teacher.p_answers(pair.case.question, context_of(pair.passage), pair.text)
            row = {
                "case": pair.case.id,
                "candidate": key[1],
                "human": pair.answers,
                "p_yes": round(p_yes, 5),
                "teacher": teacher.name,
                "prompt": teacher.prompt,
                "seconds": round(time.perf_counter() - started, 2),
            }
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            rows.append(row)
            done.add(key)
            progress(f"{len(rows)} judged")
    return rows


def prompt_of(row: dict[str, Any]) -> str:
    """The judging prompt of a row (rows written before prompts were compared used the first)."""
    return str(row.get("prompt", PROMPT_VERSION))


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Accuracy at P(Yes) ≥ 0.5, precision/recall of "answers" and AUC, against the human
    labels."""
    if not rows:
        return {}
    tp = sum(1 for r in rows if r["human"] and r["p_yes"] >= 0.5)
    fp = sum(1 for r in rows if not r["human"] and r["p_yes"] >= 0.5)
    fn = sum(1 for r in rows if r["human"] and r["p_yes"] < 0.5)
    right = sum(1 for r in rows if r["human"] == (r["p_yes"] >= 0.5))
    return {
        "pairs": len(rows),
        "accuracy": round(right / len(rows), 4),
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "auc": round(
            auc(
                [r["p_yes"] for r in rows if r["human"]],
                [r["p_yes"] for r in rows if not r["human"]],
            ),
            4,
        ),
    }
