"""A yes/no support judge over any OpenAI-compatible chat server that returns log-probabilities.

The model is asked whether the passages fully support a claim and answers one token; the score
is P(Yes) against P(No) read from that token's top log-probabilities. Greedy, one token, no
sampling: the same inputs give the same score. llama.cpp's server (`cluster-assistant llm serve`)
and OpenAI both return log-probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.errors import AssistantError

SYSTEM = (
    "You are a careful fact checker. You decide whether a claim is fully supported by the "
    "given passages alone. Answer with exactly one word: Yes or No."
)
FLOOR = -30.0  # log-probability assumed for an answer absent from the top candidates


class JudgeError(AssistantError):
    """The server returned no log-probabilities."""


class ChatJudge:
    """P(Yes) that passages support a claim, from the first answer token's log-probabilities."""

    def __init__(self, model: BaseChatModel, name: str = "llm") -> None:
        self.name = name
        self._model: Any = model.bind(logprobs=True, top_logprobs=20, max_completion_tokens=1)
        self.calls = 0

    def p_yes(self, passages: Sequence[str], claim: str) -> float:
        """Probability of "Yes" against "No"."""
        numbered = "\n\n".join(f"Passage {i}: {p.strip()}" for i, p in enumerate(passages, 1))
        user = (
            f"{numbered}\n\nClaim: {claim.strip()}\n\n"
            "Is the claim fully supported by the passages above? Answer Yes or No."
        )
        reply = self._model.invoke([SystemMessage(SYSTEM), HumanMessage(user)])
        self.calls += 1
        content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
        if not content:
            raise JudgeError("the chat server returned no log-probabilities")
        best = {"yes": FLOOR, "no": FLOOR}
        for candidate in content[0].get("top_logprobs") or []:
            word = str(candidate.get("token", "")).strip().lower()
            if word in best:
                best[word] = max(best[word], float(candidate.get("logprob", FLOOR)))
        return 1.0 / (1.0 + math.exp(best["no"] - best["yes"]))

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        """Whether the judge says the passages support the claim (P(Yes) ≥ 0.5)."""
        return self.p_yes(passages, claim) >= 0.5
