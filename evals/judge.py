"""The evaluation judge: a packaged Qwen2.5 behind llama.cpp's server, asked yes/no.

No NLI model ships offline, so an instruction-tuned Qwen is asked whether the passages fully
support a claim; the judgement is P(Yes) read from the first answer token's log-probabilities
(`assistant.llm.judge.ChatJudge`): greedy and deterministic. The model runs in this process
behind llama.cpp's OpenAI-compatible server on a free loopback port, so the judge goes through
the same client code as generative mode. Its dependencies are the optional `[llm]` extra.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.llm.chat import chat_model
from assistant.llm.judge import ChatJudge
from assistant.llm.packaged import ModelUnavailable, available
from assistant.llm.server import PackagedLLMServer
from assistant.settings import LLMSettings

JUDGES = ("qwen2.5-0.5b", "qwen2.5-1.5b")
JudgeUnavailable = ModelUnavailable


class EntailmentJudge:
    """P(Yes) that `passages` support `claim`, from the packaged Qwen `name`."""

    def __init__(self, name: str = "qwen2.5-1.5b") -> None:
        if name not in JUDGES:
            raise JudgeUnavailable(f"unknown judge {name!r}; choose from {', '.join(JUDGES)}")
        self.name = name
        self._server: PackagedLLMServer | None = None
        self._judge: ChatJudge | None = None

    @property
    def calls(self) -> int:
        """Judgements made so far."""
        return self._judge.calls if self._judge else 0

    def warm_up(self) -> None:
        """Start the model server (assembling the model file on first use)."""
        if self._judge is not None:
            return
        self._server = PackagedLLMServer(self.name, port=0)
        base_url = self._server.start()
        model = chat_model(LLMSettings(base_url=base_url, model=self.name, max_tokens=16))
        self._judge = ChatJudge(model, self.name)

    def p_yes(self, passages: Sequence[str], claim: str) -> float:
        """Probability of "Yes" against "No"."""
        self.warm_up()
        assert self._judge is not None
        return self._judge.p_yes(passages, claim)

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        """Whether the judge says the passages support the claim (P(Yes) ≥ 0.5)."""
        return self.p_yes(passages, claim) >= 0.5

    def close(self) -> None:
        """Stop the model server."""
        if self._server is not None:
            self._server.stop()
        self._server, self._judge = None, None


__all__ = ["JUDGES", "EntailmentJudge", "JudgeUnavailable", "available"]
