"""LangChain adapters: the hybrid retriever as a `BaseRetriever`, the pipeline as a `Runnable`.

Users can drop either into their own chains; both run the same code as the API.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from assistant.pipeline import Assistant, Turn


class ClusterPolicyRetriever(BaseRetriever):
    """Hybrid (dense + BM25) retrieval over the indexed documents, as LangChain `Document`s.

    Each document's metadata holds the chunk's `doc_id`, `title`, `source`, `page`, `section`,
    `chunk_id` and its cosine `score`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    k: int = 5
    filters: dict[str, Any] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.assistant.retrieve(query, filters=self.filters, top_k=self.k)
        return [
            Document(
                page_content=hit.chunk.text,
                id=hit.chunk.id,
                metadata={**hit.chunk.metadata(), "chunk_id": hit.chunk.id, "score": hit.score},
            )
            for hit in hits
        ]


def answer_runnable(assistant: Assistant) -> Runnable[Any, dict[str, Any]]:
    """A `Runnable` that takes a question (str) or ``{"question", "history"?, "filters"?}``.

    It returns the answer as a dict: ``answer``, ``citations``, ``refused``, ``evidence_score``.
    """

    def _run(payload: Any) -> dict[str, Any]:
        if isinstance(payload, str):
            payload = {"question": payload}
        history = [Turn(m["role"], m["content"]) for m in payload.get("history", [])]
        answer = assistant.answer(payload["question"], history, payload.get("filters"))
        return asdict(answer)

    return RunnableLambda(_run, name="cluster_policy_answer")
