"""The answer stages as small Protocols: retrieve → rank → read (score units) → decide
(answerability) → compose → verify.

`Assistant` (the pipeline) runs whatever implementations it is given; `Container` (the composition
root) picks them from settings. Every stage is a plain class with a lazy `warm_up()` that loads
what it needs (a model, an index) so that the first request does not pay for it; constructing a
stage is cheap and loads nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.answer.answerability import Decision
from assistant.answer.reading import Reading
from assistant.answer.verify import Verified
from assistant.storage.store import Filters
from assistant.types import Answer, ScoredChunk


@runtime_checkable
class Retriever(Protocol):
    """Finds candidate passages: `k` chunks, best first, each scored by cosine similarity."""

    def warm_up(self) -> None:
        """Load indexes now rather than on the first question."""
        ...

    def retrieve(
        self,
        query: str,
        vector: np.ndarray,
        k: int,
        filters: Filters | None = None,
        language: str = "en",
    ) -> list[ScoredChunk]:
        """The `k` best chunks for `query` (its text, written in `language`) and `vector` (its
        embedding)."""
        ...


@runtime_checkable
class Ranker(Protocol):
    """Reorders the fused candidates (a cross-encoder, say) and keeps the best `k`."""

    candidates: int
    """How many fused candidates it wants to see (the pipeline retrieves max(k, candidates))."""

    def warm_up(self) -> None:
        """Load the ranking model now rather than on the first question."""
        ...

    def rank(self, question: str, hits: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
        """The best `k` of `hits` for `question`, best first, ranks renumbered from 0."""
        ...


@runtime_checkable
class UnitScorer(Protocol):
    """Reads the ranked passages: every candidate answer unit, featured and scored."""

    def warm_up(self) -> None:
        """Load the models reading needs now."""
        ...

    def read(
        self,
        question: str,
        question_vector: np.ndarray,
        hits: list[ScoredChunk],
        language: str = "en",
    ) -> Reading:
        """The units of `hits`, each with its features and score for `question` (asked in
        `language`, an ISO 639-1 code)."""
        ...


@runtime_checkable
class Answerability(Protocol):
    """Decides whether the reading answers the question or the assistant declines."""

    def warm_up(self) -> None:
        """Load what deciding needs now."""
        ...

    def decide(
        self, reading: Reading, unknown_terms: Sequence[str] = (), coverage_gap: float = 0.0
    ) -> Decision:
        """Answer or decline, with the evidence and the inputs of the decision."""
        ...


@runtime_checkable
class Composer(Protocol):
    """Builds a cited answer from the read units, or declines as decided (extractive)."""

    def warm_up(self) -> None:
        """Load what composing needs now."""
        ...

    def compose(self, question: str, reading: Reading, decision: Decision) -> Answer:
        """An answer whose sentences come from the read units, each with its `[n]` citation."""
        ...


@runtime_checkable
class Generator(Protocol):
    """Generative composition: a language model writes the answer over numbered passages."""

    def warm_up(self) -> None:
        """Check or open the connection to the model now."""
        ...

    def passages(self, hits: Sequence[ScoredChunk]) -> dict[int, ScoredChunk]:
        """The passages handed to the model, numbered from 1."""
        ...

    def stream(
        self, question: str, passages: dict[int, ScoredChunk], language: str = "en"
    ) -> Iterator[str]:
        """The model's answer, written in `language` (the question's), piece by piece."""
        ...

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """A follow-up rewritten to stand alone, given the (role, content) turns before it."""
        ...


@runtime_checkable
class Verifier(Protocol):
    """Checks that each sentence is supported by the passage it cites; repairs or drops."""

    def warm_up(self) -> None:
        """Load what verification needs now."""
        ...

    def verify(
        self,
        answer: str,
        passages: Mapping[int, ScoredChunk],
        generated: bool,
        language: str = "en",
    ) -> Verified:
        """`answer` (written in `language`) with unsupported citations repaired or dropped,
        renumbered."""
        ...
