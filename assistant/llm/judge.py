"""A chat model asked yes/no whether passages support a claim (generative mode's second opinion).

No NLI model ships offline, so an instruction-tuned model is asked whether the passages fully
support a claim; the judgement is P(Yes) against P(No) read from the first answer token's
log-probabilities, over any OpenAI-compatible server that returns them: greedy, one token,
deterministic. The evaluation judge (`evals.judge`) is this class over a packaged Qwen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.errors import LLMUnavailableError

SYSTEM = (
    "You are a careful fact checker. You decide whether a claim is fully supported by the "
    "given passages alone. Answer with exactly one word: Yes or No."
)
FLOOR = -30.0  # log-probability assumed for an answer absent from the top candidates


class ChatJudge:
    """P(Yes) that passages support a claim, from the first answer token's log-probabilities."""

    def __init__(self, model: BaseChatModel, name: str = "llm") -> None:
        self.name = name
        self._model: Any = model.bind(logprobs=True, top_logprobs=20, max_completion_tokens=1)
        self.calls = 0

    def p_yes(self, passages: Sequence[str], claim: str) -> float:
        """Probability of "Yes" against "No".

        Raises `LLMUnavailableError` when the server fails or returns no log-probabilities.
        """
        numbered = "\n\n".join(f"Passage {i}: {p.strip()}" for i, p in enumerate(passages, 1))
        user = (
            f"{numbered}\n\nClaim: {claim.strip()}\n\n"
            "Is the claim fully supported by the passages above? Answer Yes or No."
        )
        try:
            reply = self._model.invoke([SystemMessage(SYSTEM), HumanMessage(user)])
        except Exception as exc:  # the client raises its own transport errors
            raise LLMUnavailableError(f"the judge's chat server failed: {exc}") from exc
        self.calls += 1
        content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
        if not content:
            raise LLMUnavailableError("the chat server returned no log-probabilities")
        return yes_probability(content[0].get("top_logprobs") or [])

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        """Whether the judge says the passages support the claim (P(Yes) ≥ 0.5)."""
        return self.p_yes(passages, claim) >= 0.5


def yes_probability(candidates: Sequence[dict[str, Any]]) -> float:
    """P(Yes) against P(No) from a first token's top log-probabilities."""
    best = {"yes": FLOOR, "no": FLOOR}
    for candidate in candidates:
        word = str(candidate.get("token", "")).strip().lower()
        if word in best:
            best[word] = max(best[word], float(candidate.get("logprob", FLOOR)))
    return 1.0 / (1.0 + math.exp(best["no"] - best["yes"]))
