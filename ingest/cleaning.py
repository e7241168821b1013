"""Text clean-up for extracted text: ligatures, hyphenation across line breaks, white space."""

from __future__ import annotations

import re
import unicodedata

_SOFT_HYPHEN = "\u00ad"
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n[ \t]*(?=[a-zà-ÿ])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bullet glyphs as PDF text extraction returns them: the usual symbols, the private-use code points
# of the Symbol and Wingdings fonts, and DEL, which fonts without a bullet glyph map "•" to.
_BULLET = "•●▪◦‣∙■□➢►▸✓✔\x7f\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0a8"
_BULLET_LINE = re.compile(rf"^[ \t]*[{_BULLET}][ \t]*(?:\n[ \t]*)?(?=\S)", re.MULTILINE)


# Invisible format characters a document may use to make its text read otherwise than it is:
# bidirectional embeddings, overrides and isolates ("Trojan Source"), marks, joiners, the word
# joiner and invisible operators, and a byte-order mark inside the text. No EU language needs
# them; the zero-width space stays a space (`_SPACES`).
_INVISIBLE = re.compile(r"[\u200c-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def normalize_unicode(text: str) -> str:
    """Compose characters, unfold ligatures (``ﬁ`` → ``fi``) without touching other symbols,
    and drop invisible format characters (bidi controls, joiners)."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\ufb00" <= ch <= "\ufb4f" else ch for ch in text
    )


def dehyphenate(text: str) -> str:
    """Join words split across a line break: ``organi-\\nsation`` → ``organisation``."""
    return _HYPHEN_BREAK.sub("", text.replace(_SOFT_HYPHEN + "\n", "").replace(_SOFT_HYPHEN, ""))


def mark_bullets(text: str) -> str:
    """Bullet glyphs at the start of a line (or alone on the line before the item) become "- ".

    PDF extraction turns list bullets into glyphs or control characters, often on a line of
    their own; written as Markdown list markers, the items stay list items downstream.
    """
    return _BULLET_LINE.sub("- ", text)


def collapse_whitespace(text: str) -> str:
    """One space between words, no trailing blanks, at most one empty line in a row."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def clean_text(text: str) -> str:
    """The full clean-up applied to text taken out of PDFs and plain-text files."""
    return collapse_whitespace(mark_bullets(dehyphenate(normalize_unicode(text))))
