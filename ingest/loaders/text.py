"""Plain-text files: one document, paragraphs as they come."""

from __future__ import annotations

import codecs
from pathlib import Path

from ingest.cleaning import clean_text
from ingest.documents import LoadedDocument, Section
from ingest.errors import FailureReason, LoadError
from ingest.loaders.metadata import resolve_metadata

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_utf8(path: Path) -> str:
    """The file's text: by its byte-order mark (UTF-8, UTF-16, UTF-32), else UTF-8, else the
    encoding charset-normalizer finds (a Windows-1252 or ISO-8859-2 file keeps its accents).
    Binary content is refused with `corrupt`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(FailureReason.CORRUPT, f"cannot read the file: {exc.strerror}") from exc
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data[:4096]:
        raise LoadError(FailureReason.CORRUPT, "binary content in a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _decoded(data)


def _decoded(data: bytes) -> str:
    """Text in a legacy encoding: of charset-normalizer's candidates, the decoding the language
    detector reads most surely as an EU language (on a short text, its first guess for French in
    Windows-1252 was the Baltic cp775: "dķveloppement")."""
    from charset_normalizer import from_bytes

    from assistant.language import detector

    candidates = [str(match) for match in list(from_bytes(data))[:MAX_CANDIDATES]]
    for encoding in WINDOWS_CODE_PAGES:  # which charset-normalizer may not list on a short text
        try:
            candidates.append(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    if not candidates:
        raise LoadError(
            FailureReason.CORRUPT, "binary content, or text in an encoding that cannot be told"
        )

    def sureness(text: str) -> float:
        found = detector(0.0).detect(text[:SAMPLE_CHARS])
        return found.confidence if found else 0.0

    return max(candidates, key=sureness)


MAX_CANDIDATES = 5
"""Decodings of a legacy-encoded file compared by the language detector."""
WINDOWS_CODE_PAGES = ("cp1252", "cp1250", "cp1257", "cp1253", "cp1251")
"""The Windows code pages of the EU's scripts (Western, Central and Baltic Latin, Greek,
Cyrillic), also tried."""
SAMPLE_CHARS = 4000
"""Characters of each decoding the detector reads."""


def load_text(path: Path) -> LoadedDocument:
    """Load a ``.txt`` file."""
    text = clean_text(read_utf8(path))
    if not text:
        raise LoadError(FailureReason.EMPTY, "the file holds no text")
    meta = resolve_metadata(path, {})
    return LoadedDocument(path=path, format="txt", sections=[Section(text=text)], **meta)
