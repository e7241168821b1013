"""The LangChain adapters over the real stack."""

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from assistant.integrations import ClusterPolicyRetriever, answer_runnable
from tests.conftest import Stack

pytestmark = pytest.mark.integration


def test_retriever_returns_documents_with_citation_metadata(indexed: Stack) -> None:
    retriever = ClusterPolicyRetriever(assistant=indexed.container.assistant, k=3)
    docs = retriever.invoke("Which association represents Portugal?")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    assert docs[0].metadata["doc_id"] == "eca-members" and "score" in docs[0].metadata
    filtered = ClusterPolicyRetriever(
        assistant=indexed.container.assistant, k=3, filters={"doc_type": "event"}
    ).invoke("Which association represents Portugal?")
    assert all(d.metadata["doc_type"] == "event" for d in filtered)


def test_pipeline_runnable_composes_in_a_chain(indexed: Stack) -> None:
    chain = RunnableLambda(lambda q: q.strip()) | answer_runnable(indexed.container.assistant)
    result = chain.invoke(
        "  How many cluster organisations does the European Clusters Alliance represent?  "
    )
    assert result["refused"] is False and "900" in result["answer"] and result["citations"]
    batch = answer_runnable(indexed.container.assistant).batch(
        [{"question": "Tell me a joke"}, "What does Trend Universe offer?"]
    )
    assert batch[0]["refused"] is True and batch[1]["refused"] is False
