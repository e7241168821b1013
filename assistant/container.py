"""The composition root: builds the embedder, the store, the answer stages and the assistant once,
from settings. It is the one place that chooses implementations; everything else receives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from assistant.answer.answerability import LearnedAnswerability, ThresholdAnswerability
from assistant.answer.composer import ExtractiveComposer
from assistant.answer.crosslingual import CrossLingual
from assistant.answer.reader import BiEncoderReader, CrossEncoderReader
from assistant.answer.scoring import (
    ANSWERABLE_MODEL,
    UNIT_MODEL,
    BlendModel,
    LearnedModel,
    UnitModel,
    UnitReader,
)
from assistant.answer.verify import CitationVerifier
from assistant.embedder import SentenceTransformerEmbedder
from assistant.multilingual import E5Embedder
from assistant.pipeline import Assistant
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.ranking import PassThroughRanker, ReaderRanker
from assistant.settings import Settings, get_settings
from assistant.stages import (
    Answerability,
    Composer,
    Generator,
    Ranker,
    Retriever,
    UnitScorer,
    Verifier,
)
from assistant.storage.documents import DocumentCatalog
from assistant.storage.feedback import FeedbackStore
from assistant.storage.store import ChunkStore
from assistant.storage.unanswered import UnansweredStore
from assistant.storage.writer_lock import FileWriterLock, RedisWriterLock, WriterLock


@dataclass
class Container:
    """Process-wide singletons; the embedding model is shared by ingestion and answering."""

    settings: Settings = field(default_factory=get_settings)

    @cached_property
    def embedder(self) -> SentenceTransformerEmbedder:
        """The embedding model (loaded lazily on first use)."""
        return SentenceTransformerEmbedder(
            self.settings.embedding, self.settings.data_dir / "models"
        )

    @cached_property
    def store(self) -> ChunkStore:
        """The chunk store."""
        return ChunkStore(self.settings)

    @cached_property
    def writer_lock(self) -> WriterLock:
        """One writer per store: a Redis lock for a Chroma server with Redis configured, else
        a file lock under the data dir (`assistant.storage.writer_lock`)."""
        settings = self.settings
        timeout = settings.ingest.lock_timeout_s
        redis_url = settings.api.limits_storage
        if settings.chroma.mode == "http" and redis_url.startswith(("redis://", "rediss://")):
            name = f"{settings.chroma.host}:{settings.chroma.port}/{settings.chroma.collection}"
            return RedisWriterLock(redis_url, name, timeout)
        return FileWriterLock(settings.data_dir / "write.lock", timeout)

    @cached_property
    def lexical(self) -> LexicalIndex:
        """The BM25 index over the store (retrieval, unknown terms, coverage gap)."""
        return LexicalIndex(self.store, self.settings.data_dir / "lexical")

    @cached_property
    def retriever(self) -> Retriever:
        """Retrieval: dense search fused with BM25 (plain dense search when `bm25_weight` is 0)."""
        retrieval = self.settings.retrieval
        return HybridRetriever(
            self.store,
            self.lexical,
            retrieval.bm25_weight,
            retrieval.candidates,
            self.multilingual,
            self.settings.language.multilingual_weight,
        )

    @cached_property
    def multilingual(self) -> E5Embedder | None:
        """The multilingual model (`language.multilingual`), shared by ingestion, retrieval and
        reading; None when off."""
        if not self.settings.language.multilingual:
            return None
        return E5Embedder(self.settings.embedding.threads)

    @cached_property
    def reader_embedder(self) -> SentenceTransformerEmbedder | None:
        """The bi-encoder reader's embedder (ingestion stores answer units under it too), or None
        when the reader is a cross-encoder or its model is absent."""
        reader = self.settings.reader
        if reader.kind != "bi-encoder" or not (reader.path / "config.json").is_file():
            return None
        # Its own ONNX export (fp32: int8 weights move a fine-tuned model's vectors too far).
        backend = "torch" if self.settings.embedding.backend == "torch" else "onnx"
        embedding = self.settings.embedding.model_copy(
            update={"model": str(reader.path), "batch_size": reader.batch_size, "backend": backend}
        )
        return SentenceTransformerEmbedder(embedding, self.settings.data_dir / "models")

    @cached_property
    def reader(self) -> BiEncoderReader | CrossEncoderReader:
        """The reader, shared by ranking and composition (loaded on first use)."""
        reader = self.settings.reader
        embedder = self.reader_embedder
        if embedder is None:
            return CrossEncoderReader(reader.path, reader.batch_size)
        name = embedder.name
        return BiEncoderReader(embedder, lambda ids: self.store.reader_vectors(ids, name))

    @cached_property
    def ranker(self) -> Ranker:
        """Ranking after fusion (`ranking.kind`)."""
        ranking = self.settings.ranking
        if ranking.kind == "reader":
            return ReaderRanker(self.reader, ranking.candidates, ranking.reader_weight)
        return PassThroughRanker()

    @cached_property
    def scorer(self) -> UnitScorer:
        """Reading: every unit of the ranked passages featured and scored (`answer.scorer`)."""
        answer = self.settings.answer
        model: UnitModel = (
            LearnedModel(answer.scorer_dir / UNIT_MODEL)
            if answer.scorer == "learned"
            else BlendModel(answer.reader_weight)
        )
        # The reader's score is a feature of the learned model and a weight of the blend.
        uses_reader = answer.scorer == "learned" or answer.reader_weight > 0
        return UnitReader(
            self.embedder,
            model,
            self.store.unit_vectors,
            self.lexical,
            self.reader if uses_reader else None,
            self.crosslingual,
        )

    @cached_property
    def crosslingual(self) -> CrossLingual | None:
        """Cross-language reading with the multilingual model (None when it is off)."""
        model = self.multilingual
        if model is None:
            return None
        return CrossLingual(
            model, self.store.multilingual_unit_vectors, self.store.multilingual_chunk_vectors
        )

    @cached_property
    def answerability(self) -> Answerability:
        """The decision to answer or decline (`answer.decision`, by default `answer.scorer`'s)."""
        answer = self.settings.answer
        rule = answer.decision if answer.decision != "auto" else answer.scorer
        if rule == "learned":
            return LearnedAnswerability(answer.scorer_dir / ANSWERABLE_MODEL, answer)
        return ThresholdAnswerability(answer)

    @cached_property
    def composer(self) -> Composer:
        """Extractive composition: the answer's sentences are the passages' own."""
        return ExtractiveComposer(self.settings.answer, self.lexical)

    @cached_property
    def verifier(self) -> Verifier:
        """Citation verification of every answer, extractive or generated."""
        judge = None
        if self.settings.llm.enabled and self.settings.verification.judge != "none":
            from assistant.llm.chat import chat_model
            from assistant.llm.judge import ChatJudge

            judge = ChatJudge(chat_model(self.settings.llm), self.settings.llm.model)
        return CitationVerifier(
            self.embedder,
            self.settings.verification,
            self.store.unit_vectors,
            judge,
            self.crosslingual,
        )

    @cached_property
    def generator(self) -> Generator | None:
        """The LLM composer when generative mode is on (`llm.enabled`), else None."""
        if not self.settings.llm.enabled:
            return None
        # Imported here: the LLM client (langchain-openai) costs half a second at start-up.
        from assistant.answer.generator import GenerativeComposer
        from assistant.llm.chat import chat_model

        return GenerativeComposer(chat_model(self.settings.llm), self.settings.llm)

    @cached_property
    def assistant(self) -> Assistant:
        """The question-answering pipeline over the stages above."""
        return Assistant(
            self.settings,
            self.embedder,
            self.lexical,
            self.retriever,
            self.ranker,
            self.scorer,
            self.answerability,
            self.composer,
            self.verifier,
            self.generator,
        )

    @cached_property
    def documents(self) -> DocumentCatalog:
        """The catalogue of indexed documents (metadata and passages)."""
        return DocumentCatalog(self.store)

    @cached_property
    def feedback(self) -> FeedbackStore:
        """Ratings of answers, in SQLite under the data dir."""
        return FeedbackStore(self.settings.feedback_path)

    @cached_property
    def unanswered(self) -> UnansweredStore:
        """Questions the documents could not answer, beside the ratings."""
        return UnansweredStore(self.settings.feedback_path)
