"""Teacher labels for the reader: questions written by the packaged Qwen, answers judged by it.

For each passage of the sources (`training.reader.sources`), the teacher writes a question the
passage answers and a near-miss variant it does not answer (a name, year or figure swapped, or a
figure the passage does not give). Candidates for each question are the passage's own units (the
answer and its hard negatives), the best units of the passages a dense search over all sources
ranks next (what our retriever would also bring), and whole passages for the ranking stage. The
teacher's label is P(Yes) that the candidate answers the question, read from the first answer
token's log-probabilities as in the evaluation judge.

The job appends one JSON line per judged pair and flushes it, so it can be stopped at any time and
resumed later: pairs already labelled are skipped, questions already written are reused.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.embedder import Embedder
from assistant.llm.judge import FLOOR, yes_probability
from evals.datasets import DATASETS_DIR
from evals.errors import JudgeError
from training.reader.sources import Passage, text_key

LABELS_PATH = DATASETS_DIR / "reader" / "teacher_pairs.jsonl"
PROMPT_VERSION = "answers-v1"
"""The default judging prompt (see `PROMPTS`)."""
OWN_UNITS = 5  # the source passage's units judged per generated question
NEIGHBOUR_UNITS = 2  # best units of the next passages a dense search ranks (hard negatives)
NEAR_MISS_UNITS = 2  # the source passage's units judged for the near-miss question
MAX_TEXT_CHARS = 6000
"""Longer passages are not shown to the teacher: with the prompt they can exceed its 4,096-token
context (a 20,000-character pdf-stress page did), and cutting them would falsify the label."""

WRITER_SYSTEM = "You write the questions a policymaker asks a document assistant."
JUDGE_SYSTEM = (
    "You are a careful reader. You decide whether a text answers a question. "
    "Answer with exactly one word: Yes or No."
)
CHECKER_SYSTEM = (
    "You are a careful fact checker. You decide whether a question can be answered from the "
    "given text alone. Answer with exactly one word: Yes or No."
)
EXTRACT_SYSTEM = (
    "You answer questions from a given text only. Copy the few words of the text that answer "
    "the question. If the text does not give the answer, reply with exactly: NONE"
)


@dataclass(frozen=True)
class JudgePrompt:
    """One way of asking the teacher whether a text answers a question.

    `reading` says how the first answer token's log-probabilities become P(answers): `yes-no`
    compares "Yes" with "No"; `extract` asks for the answer span and takes 1 - P("NONE").
    """

    system: str
    user: str
    reading: str


PROMPTS: dict[str, JudgePrompt] = {
    "answers-v1": JudgePrompt(
        JUDGE_SYSTEM,
        "Question: {question}\n\nDocument: {context}\nText: {text}\n\n"
        "Does the text answer the question, giving the fact asked for (not only mentioning "
        "the topic)? Answer Yes or No.",
        "yes-no",
    ),
    "checker-v1": JudgePrompt(
        CHECKER_SYSTEM,
        "Text (from {context}):\n{text}\n\nQuestion: {question}\n\n"
        "Can the question be answered completely from this text alone, with the specific name, "
        "figure, date or item it asks for? Answer Yes or No.",
        "yes-no",
    ),
    "extract-v1": JudgePrompt(
        EXTRACT_SYSTEM,
        "Text (from {context}):\n{text}\n\nQuestion: {question}\nAnswer:",
        "extract",
    ),
}
"""The judging prompts compared on the human-labelled agreement pairs (`reader agree`)."""


def context_of(passage: Passage) -> str:
    """The document title and heading shown with a candidate (units need their context)."""
    return f"{passage.title} — {passage.section}" if passage.section else passage.title


class Teacher:
    """Writes questions about passages and judges whether a text answers a question."""

    def __init__(self, model: BaseChatModel, name: str, prompt: str = PROMPT_VERSION) -> None:
        if prompt not in PROMPTS:
            raise ValueError(f"unknown judging prompt {prompt!r}; known: {', '.join(PROMPTS)}")
        self.name = name
        self.prompt = prompt
        self._writer: Any = model.bind(max_completion_tokens=48, temperature=0.0)
        self._judge: Any = model.bind(logprobs=True, top_logprobs=20, max_completion_tokens=1)

    def _write(self, prompt: str) -> str:
        reply = self._writer.invoke([SystemMessage(WRITER_SYSTEM), HumanMessage(prompt)])
        text = str(reply.content).strip().strip('"').splitlines()
        return text[0].strip() if text else ""

    def question(self, passage: Passage) -> str:
        """A question the passage answers with a specific fact."""
        return self._write(
            f"Document: {context_of(passage)}\nPassage: {passage.text}\n\n"
            "Write one short question (at most 20 words) that this passage answers with a "
            "specific fact. Use your own words. Reply with the question only."
        )

    def near_miss(self, passage: Passage, question: str) -> str:
        """A question like `question` that the passage does not answer."""
        return self._write(
            f"Passage: {passage.text}\n\nQuestion: {question}\n\n"
            "Rewrite the question so that it looks similar but the passage does NOT answer it: "
            "change a name, place, year or figure to one the passage does not mention, or ask "
            "for a figure or date the passage does not give. Reply with the new question only."
        )

    def p_answers(self, question: str, context: str, text: str) -> float:
        """P(the `text`, from the document `context`, answers `question`) under `self.prompt`."""
        prompt = PROMPTS[self.prompt]
        user = prompt.user.format(question=question, context=context, text=text)
        reply = self._judge.invoke([SystemMessage(prompt.system), HumanMessage(user)])
        content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
        if not content:
            raise JudgeError("the chat server returned no log-probabilities")
        candidates = content[0].get("top_logprobs") or []
        if prompt.reading == "extract":
            return 1.0 - none_probability(candidates)
        return yes_probability(candidates)


def none_probability(candidates: Sequence[dict[str, Any]]) -> float:
    """The probability mass of a first token that starts "NONE" (the span prompt's "no answer"),
    among the top candidates (normalised over them)."""
    total = none = 0.0
    for candidate in candidates:
        mass = math.exp(float(candidate.get("logprob", FLOOR)))
        total += mass
        word = str(candidate.get("token", "")).strip().upper()
        if len(word) >= 2 and "NONE".startswith(word):
            none += mass
    return none / total if total else 0.0


@dataclass(frozen=True)
class Pair:
    """A (question, candidate) pair to be judged."""

    passage: Passage  # the passage the question was written from
    variant: str  # "generated" or "near-miss"
    question: str
    level: str  # "unit" or "passage"
    candidate: Passage  # the passage the candidate comes from
    text: str

    @property
    def id(self) -> str:
        """Stable id of the pair."""
        return text_key(f"{self.question}\x1f{self.text}")

    def record(
        self, p_yes: float, teacher: str, seconds: float, teacher_prompt: str = PROMPT_VERSION
    ) -> dict[str, Any]:
        """The JSON line: references and hashes; texts only for our own corpus."""
        own = self.candidate.source == "corpus"
        return {
            "id": self.id,
            "source": self.passage.source,
            "doc": self.passage.doc,
            "passage": self.passage.key,
            "variant": self.variant,
            "question": self.question,
            "level": self.level,
            "candidate_source": self.candidate.source,
            "candidate_passage": self.candidate.key,
            "candidate": text_key(self.text),
            "text": self.text if own else None,
            "p_yes": round(p_yes, 5),
            "teacher": teacher,
            "prompt": teacher_prompt,
            "seconds": round(seconds, 2),
        }


def load_labels(path: Path = LABELS_PATH) -> list[dict[str, Any]]:
    """The labelled pairs so far (a torn last line from an interrupted run is ignored)."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def schedule(passages: Sequence[Passage], seed: int = 13) -> list[Passage]:
    """Passages in labelling order: sources taken in turn (each shuffled with a fixed seed), so
    that any prefix of the job covers every source; passages longer than `MAX_TEXT_CHARS` or with
    fewer than two units (nothing to choose between) are left out."""
    by_source: dict[str, list[Passage]] = {}
    for passage in passages:
        if len(passage.units) >= 2 and len(passage.text) <= MAX_TEXT_CHARS:
            by_source.setdefault(passage.source, []).append(passage)
    rng = random.Random(seed)
    queues = []
    for source in sorted(by_source):
        queue = list(by_source[source])
        rng.shuffle(queue)
        queues.append(queue)
    order: list[Passage] = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    return order


class PairMaker:
    """The candidates judged for a passage's questions (dense neighbours from all sources)."""

    def __init__(self, embedder: Embedder, passages: Sequence[Passage]) -> None:
        self._embedder = embedder
        self._passages = list(passages)
        self._matrix = embedder.embed([p.text for p in self._passages])

    def _closest_units(self, question: np.ndarray, units: list[str], k: int) -> list[str]:
        if len(units) <= k:
            return units
        sims = self._embedder.embed(units) @ question
        keep = sorted(np.argsort(-sims)[:k])
        return [units[i] for i in keep]

    def pairs(self, passage: Passage, question: str, near_miss: str) -> list[Pair]:
        """Unit and passage pairs for the generated question and its near-miss variant."""
        vectors = self._embedder.embed([question, near_miss])
        made: list[Pair] = []
        for unit in self._closest_units(vectors[0], passage.units, OWN_UNITS):
            made.append(Pair(passage, "generated", question, "unit", passage, unit))
        sims = self._matrix @ vectors[0]
        neighbours = [
            self._passages[i] for i in np.argsort(-sims)[:4] if self._passages[i].key != passage.key
        ][:NEIGHBOUR_UNITS]
        for other in neighbours:
            short = [u for u in other.units if len(u) <= MAX_TEXT_CHARS]
            for unit in self._closest_units(vectors[0], short, 1):
                made.append(Pair(passage, "generated", question, "unit", other, unit))
        made.append(Pair(passage, "generated", question, "passage", passage, passage.text))
        if neighbours and len(neighbours[0].text) <= MAX_TEXT_CHARS:
            other = neighbours[0]
            made.append(Pair(passage, "generated", question, "passage", other, other.text))
        if near_miss and near_miss.lower() != question.lower():
            for unit in self._closest_units(vectors[1], passage.units, NEAR_MISS_UNITS):
                made.append(Pair(passage, "near-miss", near_miss, "unit", passage, unit))
            made.append(Pair(passage, "near-miss", near_miss, "passage", passage, passage.text))
        return made


def label(
    teacher: Teacher,
    maker: PairMaker,
    order: Iterable[Passage],
    path: Path = LABELS_PATH,
    limit_pairs: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> int:
    """Judge the pairs of `order`'s passages not labelled yet, appending each to `path`;
    returns how many were labelled in this run."""
    existing = load_labels(path)
    done = {row["id"] for row in existing}
    questions: dict[tuple[str, str], str] = {
        (row["passage"], row["variant"]): row["question"] for row in existing
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    made = 0
    with path.open("a", encoding="utf-8") as handle:
        for passage in order:
            question = questions.get((passage.key, "generated")) or teacher.question(passage)
            if not question.endswith("?"):
                continue  # the writer did not write a question
            near = questions.get((passage.key, "near-miss")) or teacher.near_miss(passage, question)
            for pair in maker.pairs(passage, question, near):
                if pair.id in done:
                    continue
                started = time.perf_counter()
                p_yes = teacher.p_answers(pair.question, context_of(pair.candidate), pair.text)
                row = pair.record(
                    p_yes, teacher.name, time.perf_counter() - started, teacher.prompt
                )
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                handle.flush()
                done.add(pair.id)
                made += 1
                if limit_pairs is not None and made >= limit_pairs:
                    return made
            progress(f"{len(done)} pairs; last: {question}")
    return made
