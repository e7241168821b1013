"""The composition root: builds the embedder, the store and the assistant once, from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from assistant.documents import DocumentCatalog
from assistant.embedder import SentenceTransformerEmbedder
from assistant.feedback import FeedbackStore
from assistant.generator import GenerativeComposer
from assistant.llm.chat import chat_model
from assistant.pipeline import Assistant
from assistant.settings import Settings, get_settings
from assistant.store import ChunkStore


@dataclass
class Container:
    """Process-wide singletons; the embedding model is shared by ingestion and answering."""

    settings: Settings = field(default_factory=get_settings)

    @cached_property
    def embedder(self) -> SentenceTransformerEmbedder:
        """The embedding model (loaded lazily on first use)."""
        return SentenceTransformerEmbedder(self.settings.embedding)

    @cached_property
    def store(self) -> ChunkStore:
        """The chunk store."""
        return ChunkStore(self.settings)

    @cached_property
    def assistant(self) -> Assistant:
        """The question-answering pipeline."""
        return Assistant(self.settings, self.embedder, self.store, self.generator)

    @cached_property
    def generator(self) -> GenerativeComposer | None:
        """The LLM composer when generative mode is on (`llm.enabled`), else None."""
        if not self.settings.llm.enabled:
            return None
        return GenerativeComposer(chat_model(self.settings.llm), self.settings.llm)

    @cached_property
    def documents(self) -> DocumentCatalog:
        """The catalogue of indexed documents (metadata and passages)."""
        return DocumentCatalog(self.store, self.settings.manifest_path)

    @cached_property
    def feedback(self) -> FeedbackStore:
        """Ratings of answers, in SQLite under the data dir."""
        return FeedbackStore(self.settings.feedback_path)
