"""BM25 over the same chunks as Chroma (bm25s), kept in step with the store.

The index is built from the store's chunks on first use and rebuilt whenever the store has changed
(`ChunkStore.signature`, cheap to read on every query). Given a folder (the container passes
DATA_DIR/lexical), each build is also saved there under the store's signature, and a process that
starts against an unchanged store loads it instead of reading and tokenizing every chunk again.

Each chunk is analysed in its own language (`Chunk.language`: the Snowball stemmer and stop list
of the 18 EU languages PyStemmer has, lower-cased words in the others) and a query in the
question's, so a German question matches German text; `indexes` tells which languages the
store holds. The index also gives the corpus vocabulary, which refusal uses to spot question
terms the documents never mention, and the weight of each term, which the composer uses to check
that a sentence is about what the question asks (questions are analysed in English there).

Inflections the stemmer leaves apart ("Swedish"/"Sweden", "Finnish"/"Finland", "Estonian"/
"Estonia") meet at a shared *root*: the stem less one derivational ending (`root`). A question term
counts as present where a term with the same root (or one letter longer or shorter) is, and a
query term the corpus lacks is searched by the corpus terms that share its root.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.storage.store import ChunkStore
from assistant.text import english_stop_words
from assistant.types import Chunk

STEMMERS: dict[str, str] = {
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "it": "italian",
    "lt": "lithuanian",
    "nl": "dutch",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}
"""The Snowball stemmer (PyStemmer) of each EU language that has one; text in the others
(Bulgarian, Croatian, Latvian, Maltese, Slovak, Slovenian) is indexed as lower-cased words."""

_STOPWORDS: dict[str, str] = {
    "da": "STOPWORDS_DANISH",
    "de": "STOPWORDS_GERMAN",
    "es": "STOPWORDS_SPANISH",
    "fr": "STOPWORDS_FRENCH",
    "it": "STOPWORDS_ITALIAN",
    "nl": "STOPWORDS_DUTCH",
    "pt": "STOPWORDS_PORTUGUESE",
    "sv": "STOPWORDS_SWEDISH",
}
"""bm25s's stop lists of the EU languages it has (English keeps its own, `"en"`)."""
ENGLISH = "en"


def _stemmer(language: str = ENGLISH) -> Any:
    """The stemmer of `language` (ISO 639-1), or None where Snowball has none."""
    import Stemmer

    algorithm = STEMMERS.get(language)
    return Stemmer.Stemmer(algorithm) if algorithm else None


@lru_cache(maxsize=32)
def _stopwords(language: str) -> str | list[str]:
    """The stop list `bm25s.tokenize` takes for `language` (none where bm25s has none)."""
    if language == ENGLISH:
        return "en"
    import bm25s.stopwords

    name = _STOPWORDS.get(language)
    return sorted(getattr(bm25s.stopwords, name)) if name else []


def chunk_language(chunk: Chunk) -> str:
    """The language a chunk's text is analysed in: its own (ISO 639-1), English when unknown."""
    code = (chunk.language or "").split("-")[0].lower()
    return code if len(code) == 2 else ENGLISH


# Words of asking that scikit-learn's stop list lacks: "What kinds … does it …?", "I need to know".
_ASKING_WORDS = frozenset(
    {"does", "did", "doing", "shall", "tell", "know", "want", "need", "needs", "kind", "kinds"}
    | {"sort", "sorts", "ones", "please"}
)


log = logging.getLogger(__name__)


def _question_stopwords() -> list[str]:
    """Words a question's coverage is not judged on: bm25s's short English list (33 words) lacks
    "one", "should" and the like, which then read as terms the passages miss; scikit-learn's list
    (318 words) has them, and `_ASKING_WORDS` the ways of asking it lacks."""
    import bm25s.stopwords

    return sorted(set(bm25s.stopwords.STOPWORDS_EN) | english_stop_words() | _ASKING_WORDS)


# Endings of demonyms, languages and place names ("-ish", "-ian", "-ese", "-land", "-ia", "-en").
_ENDINGS = re.compile(r"(?:ish|ian|ean|ese|ic|an|i|land|ia|en|y|a|e)$")
MIN_ROOT = 3


def root(term: str) -> str:
    """A stem less its derivational ending: "swedish" and "sweden" → "swed"."""
    stripped = _ENDINGS.sub("", term)
    return stripped if len(stripped) >= MIN_ROOT else term


class _Roots:
    """Roots of a set of terms, answering "is a term with this root (± one letter) here?"."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.by_root: dict[str, set[str]] = {}
        for term in terms:
            self.by_root.setdefault(root(term), set()).add(term)
        self.shortened = {r[:-1] for r in self.by_root if len(r) > MIN_ROOT}

    def equivalents(self, term: str) -> set[str]:
        """Terms sharing `term`'s root, or one letter off it ("finn" / "fin")."""
        r = root(term)
        found = set(self.by_root.get(r, ()))
        if len(r) > MIN_ROOT:
            found |= self.by_root.get(r[:-1], set())
        if r in self.shortened:
            found |= {t for k, ts in self.by_root.items() if k[:-1] == r for t in ts}
        return found

    def has(self, term: str) -> bool:
        r = root(term)
        return r in self.by_root or r[:-1] in self.by_root or r in self.shortened


@dataclass(frozen=True)
class LexicalHit:
    """A chunk id with its BM25 score and rank."""

    chunk_id: str
    score: float
    rank: int


class LexicalIndex:
    """A BM25 index of every chunk (title, section and text), rebuilt when the store changes and,
    with a `cache_dir`, saved there and loaded by the next process while the store is unchanged."""

    def __init__(self, store: ChunkStore, cache_dir: Path | None = None) -> None:
        self._store = store
        self._cache_dir = cache_dir
        self.loaded_from_cache = False
        """Whether the current index was loaded from `cache_dir` rather than built."""
        self._lock = threading.Lock()
        self._built_for: object = None
        self._ids: list[str] = []
        self._bm25: Any = None
        self._vocab: frozenset[str] = frozenset()
        self._idf: dict[str, float] = {}
        self._max_idf = 1.0
        self._terms: dict[str, frozenset[str]] = {}
        self._roots = _Roots(())
        self._languages: frozenset[str] = frozenset()
        self._stem = _stemmer()
        self._stems: dict[str, Any] = {ENGLISH: self._stem}
        self._question_stopwords = _question_stopwords()
        # A question is tokenized once for unknown terms, the coverage gap and the composer.
        self._question_words = lru_cache(maxsize=256)(self._content_words)

    def warm_up(self) -> None:
        """Build the index now."""
        self.refresh()

    def _content_words(self, question: str) -> tuple[str, ...]:
        """The stemmed words of `question` less function words and ways of asking."""
        return tuple(t for t in self._tokenize([question], self._question_stopwords).vocab if t)

    def _tokenize(self, texts: Sequence[str], stopwords: str | list[str] = "en") -> Any:
        import bm25s

        return bm25s.tokenize(
            list(texts), stopwords=stopwords, stemmer=self._stem, show_progress=False
        )

    def _stemmer_of(self, language: str) -> Any:
        if language not in self._stems:
            self._stems[language] = _stemmer(language)
        return self._stems[language]

    def _words(self, texts: Sequence[str], language: str) -> list[list[str]]:
        """The stemmed words of each of `texts`, analysed as `language`."""
        import bm25s

        return list(
            bm25s.tokenize(
                list(texts),
                stopwords=_stopwords(language),
                stemmer=self._stemmer_of(language),
                return_ids=False,
                show_progress=False,
            )
        )

    def _analysed(self, chunks: Sequence[Chunk]) -> Any:
        """Every chunk tokenized in its own language's analysis, in one vocabulary."""
        import bm25s

        by_language: dict[str, list[int]] = {}
        for n, chunk in enumerate(chunks):
            by_language.setdefault(chunk_language(chunk), []).append(n)
        words: list[list[str]] = [[] for _ in chunks]
        for language, members in by_language.items():
            analysed = self._words([chunks[n].embedding_text for n in members], language)
            for n, tokens in zip(members, analysed, strict=True):
                words[n] = tokens or [""]
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(w, len(vocab)) for w in tokens] for tokens in words]
        return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), frozenset(by_language)

    def indexes(self, language: str) -> bool:
        """Whether the index holds passages in `language` (so a question in it can match)."""
        self.refresh()
        return language in self._languages

    def refresh(self) -> None:
        """Rebuild the index if the store changed since it was built."""
        signature = self._store.signature()
        if signature == self._built_for:
            return
        with self._lock:
            if signature == self._built_for:
                return
            folder = self._folder(signature)
            built = self._load(folder) if folder is not None else None
            self.loaded_from_cache = built is not None
            if built is None:
                built = self._build()
                if folder is not None and built.bm25 is not None:
                    self._save(built, folder)
            self._install(built)
            self._built_for = signature

    def _build(self) -> _Built:
        """Read and tokenize every chunk, and index them."""
        import bm25s

        chunks = self._store.all_chunks()
        if not chunks:
            return _Built([], {}, [], None)
        tokens, languages = self._analysed(chunks)
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        return _Built(
            [c.id for c in chunks],
            dict(tokens.vocab),
            [np.asarray(ids, dtype=np.int64) for ids in tokens.ids],
            bm25,
            languages,
        )

    def _install(self, built: _Built) -> None:
        """Make `built` the current index, with the vocabulary, roots, IDF and terms per chunk."""
        self._ids = built.ids
        self._bm25 = built.bm25
        self._languages = built.languages
        if built.bm25 is None:
            self._vocab, self._idf, self._terms = frozenset(), {}, {}
            self._roots = _Roots(())
            return
        self._vocab = frozenset(k for k in built.vocab if k)
        self._roots = _Roots(self._vocab)
        self._idf = _idf(built.vocab, built.token_ids, len(built.ids))
        self._max_idf = max(self._idf.values(), default=1.0)
        words = {i: term for term, i in built.vocab.items()}
        self._terms = {
            cid: frozenset(words[int(i)] for i in ids)
            for cid, ids in zip(built.ids, built.token_ids, strict=True)
        }

    def _folder(self, signature: object) -> Path | None:
        """Where the index of the store at `signature` is saved (None: not saved, also for a
        store no write of this adapter has stamped: its signature would not tell stores apart)."""
        if self._cache_dir is None or (isinstance(signature, tuple) and signature[-1] is None):
            return None
        key = hashlib.sha256(f"{CACHE_VERSION}|{signature!r}".encode()).hexdigest()[:16]
        return self._cache_dir / key

    def _load(self, folder: Path) -> _Built | None:
        """The index saved in `folder`, or None when there is none (or it cannot be read)."""
        if not (folder / _TERMS_FILE).is_file():
            return None
        try:
            import bm25s

            with np.load(folder / _TERMS_FILE, allow_pickle=False) as saved:
                ids = [str(i) for i in saved["ids"]]
                terms = [str(t) for t in saved["terms"]]
                flat, offsets = saved["token_ids"], saved["offsets"]
                languages = frozenset(str(code) for code in saved["languages"])
            bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
            token_ids = [flat[offsets[n] : offsets[n + 1]] for n in range(len(ids))]
            return _Built(ids, {t: i for i, t in enumerate(terms)}, token_ids, bm25, languages)
        except Exception as exc:  # a damaged or foreign file: rebuild (and overwrite it)
            log.warning("lexical index in %s not loaded (%s); rebuilding", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def _save(self, built: _Built, folder: Path) -> None:
        """Write `built` to `folder` atomically (a scratch folder renamed into place), and drop
        the indexes of earlier store states. Failing to save only costs the next start a build."""
        assert self._cache_dir is not None and built.bm25 is not None
        scratch = self._cache_dir / f".tmp-{uuid.uuid4().hex}"
        try:
            scratch.mkdir(parents=True)
            terms = sorted(built.vocab, key=built.vocab.__getitem__)
            if [built.vocab[t] for t in terms] != list(range(len(terms))):
                raise ValueError("token ids are not 0..n-1")
            lengths = [len(ids) for ids in built.token_ids]
            np.savez(
                scratch / _TERMS_FILE,
                ids=np.asarray(built.ids, dtype=str),
                terms=np.asarray(terms, dtype=str),
                token_ids=np.concatenate(built.token_ids).astype(np.int64),
                offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                languages=np.asarray(sorted(built.languages), dtype=str),
            )
            built.bm25.save(str(scratch / "bm25"), show_progress=False)
            os.replace(scratch, folder)
        except OSError as exc:
            if not (folder / _TERMS_FILE).is_file():  # else another process saved it first
                log.warning("lexical index not saved to %s: %s", folder, exc)
        except ValueError as exc:
            log.warning("lexical index not saved to %s: %s", folder, exc)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for other in self._cache_dir.iterdir():
            if other != folder and not other.name.startswith(".tmp-"):
                shutil.rmtree(other, ignore_errors=True)

    def search(self, query: str, k: int, language: str = ENGLISH) -> list[LexicalHit]:
        """The `k` best chunks by BM25 (chunks with a zero score are left out), the query
        analysed as `language` (the question's: its stemmer and stop list) and as every other
        language the index holds, so that a name or a loanword meets its passage whatever each
        side's stemmer made of it (English "cluster", German "Cluster" → "clust")."""
        self.refresh()
        if self._bm25 is None or not self._ids:
            return []
        if language != ENGLISH:
            words = [w for w in self._words([query], language)[0] if w in self._vocab]
        else:
            tokens = self._tokenize([query])
            missing = [t for t in tokens.vocab if t and t not in self._vocab]
            if missing:  # "Swedish" is searched as "Sweden" where the corpus says only that
                extra = sorted({e for t in missing for e in self._roots.equivalents(t)})
                if extra:
                    tokens = self._tokenize([" ".join([query, *extra])])
            if not self._languages - {ENGLISH}:  # an English store: one analysis, as always
                return self._retrieve(tokens, k) if self._known(tokens.vocab) else []
            names = {i: t for t, i in tokens.vocab.items()}
            words = [names[int(i)] for i in tokens.ids[0] if names[int(i)] in self._vocab]
        for other in sorted(self._languages - {language}):
            words += [w for w in self._words([query], other)[0] if w in self._vocab]
        words = list(dict.fromkeys(words))
        return self._retrieve([words], k) if words else []

    def _known(self, terms: Iterable[str]) -> bool:
        return any(t in self._vocab for t in terms)

    def _retrieve(self, query: Any, k: int) -> list[LexicalHit]:
        docs, scores = self._bm25.retrieve(query, k=min(k, len(self._ids)), show_progress=False)
        return [
            LexicalHit(self._ids[int(d)], float(s), rank)
            for rank, (d, s) in enumerate(zip(docs[0], scores[0], strict=True))
            if s > 0
        ]

    def unknown_terms(self, text: str) -> list[str]:
        """Stemmed content words of `text` that occur nowhere in the indexed chunks (function
        words and ways of asking aside)."""
        self.refresh()
        if not self._vocab:
            return []
        words = self._question_words(text)
        return sorted(t for t in words if t not in self._vocab and not self._roots.has(t))

    def question_terms(self, question: str) -> dict[str, float]:
        """The question's content terms (stemmed), each weighted by its IDF (a term the
        documents never use weighs most)."""
        self.refresh()
        return {t: self._idf.get(t, self._max_idf) for t in self._question_words(question)}

    def terms_of(self, text: str) -> set[str]:
        """The stemmed terms of `text`."""
        return {t for t in self._tokenize([text]).vocab if t}

    def terms_of_each(self, texts: Sequence[str]) -> list[set[str]]:
        """The stemmed terms of each of `texts` (one tokenizer call)."""
        if not texts:
            return []
        tokens = self._tokenize(texts)
        words = {i: term for term, i in tokens.vocab.items()}
        return [{words[i] for i in ids if words[i]} for ids in tokens.ids]

    @staticmethod
    def matches(term: str, present: set[str]) -> bool:
        """Whether `present` holds `term` or a term sharing its root."""
        return term in present or _Roots(present).has(term)

    @staticmethod
    def covered(weights: dict[str, float], present: set[str]) -> float:
        """IDF-weighted share (0-1) of the terms in `weights` found in `present` (by root)."""
        total = sum(weights.values())
        if not total:
            return 1.0
        roots = _Roots(present)
        return sum(w for t, w in weights.items() if t in present or roots.has(t)) / total

    def coverage_gap(self, question: str, passages: Sequence[Chunk]) -> float:
        """IDF-weighted share of the question's terms that none of `passages` contains (0-1).

        Passages that are about the question's topic but lack what it asks for ("the annual
        budget", "in Estonia", "founded") leave a gap; rare terms weigh more than common ones,
        and a term the documents never use weighs most. Function words ("did", "one") are not
        counted.
        """
        weights = self.question_terms(question)
        if not weights:
            return 0.0
        present: set[str] = set()
        for chunk in passages:  # terms indexed at build time; a chunk added since is tokenized
            known = self._terms.get(chunk.id)
            present |= known if known is not None else self.terms_of(chunk.embedding_text)
        return 1.0 - self.covered(weights, present)


CACHE_VERSION = "2"
"""Part of a saved index's folder name: bump it when what is saved changes."""
_TERMS_FILE = "terms.npz"


@dataclass(frozen=True)
class _Built:
    """An index as built or loaded: chunk ids, term → token id, each chunk's token ids, BM25."""

    ids: list[str]
    vocab: dict[str, int]
    token_ids: list[np.ndarray]
    bm25: Any
    languages: frozenset[str] = frozenset()
    """The languages of the indexed chunks (each analysed in its own)."""


def _idf(
    vocab: dict[str, int], token_ids: Sequence[np.ndarray], documents: int
) -> dict[str, float]:
    """Inverse document frequency of every indexed term."""
    frequency = np.zeros(len(vocab), dtype=np.int64)
    for ids in token_ids:
        frequency[np.unique(np.asarray(ids, dtype=np.int64))] += 1
    return {
        term: float(np.log((documents + 1) / (frequency[i] + 0.5)))
        for term, i in vocab.items()
        if term
    }


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[str], float]], k: int = 60
) -> list[tuple[str, float]]:
    """Fuse ranked id lists, each with a weight: score = Σ weight / (k + rank)."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, item in enumerate(ids):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def cosine_scores(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine similarity of unit vectors with a unit query vector."""
    return vectors @ query if len(vectors) else np.zeros(0, dtype=np.float32)
