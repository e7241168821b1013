"""The composition root: builds the embedder, the store and the assistant once, from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from assistant.embedder import SentenceTransformerEmbedder
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
        return Assistant(self.settings, self.embedder, self.store)
