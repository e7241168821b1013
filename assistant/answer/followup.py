"""Follow-ups rewritten to stand alone, offline, before retrieval and reading.

Two mechanisms, both on the grammar of the turns rather than on what the documents are about:
- **a new item in the previous question's frame**: an elliptical follow-up ("And in Palma?",
  "And the short form “zhgd.”?") that names something takes the previous question with the
  item it named replaced: "When is the Heilbronn event?" → "When is the Palma event?";
- **a pronoun**: a third-person pronoun ("it", "its", "there", "that") stands for what the
  previous question named: "What targets has it set?" after "Which organisation runs the
  Luxembourg Cluster Initiative?" → "What targets has Luxembourg Cluster Initiative set?".
A follow-up neither rewrite applies to is left as it is (retrieval still mixes in the turns
before it). The words below are closed grammatical classes (pronouns, question words,
connectives), not a vocabulary of any collection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PRONOUNS = frozenset(
    {"it", "its", "they", "them", "their", "there", "him", "his", "he", "she", "her"}
)  # fmt: skip
# Words that make a follow-up a question of its own rather than a fragment of the one before.
ASKING = frozenset(
    {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was",
     "were", "does", "do", "did", "can", "could", "should", "would", "will", "has", "have", "had"}
)  # fmt: skip
POSSESSIVES = frozenset({"its", "their", "his", "her"})
# Words that open a question or join it to the one before: capitalised only by position.
FUNCTION_WORDS = frozenset(
    {"and", "but", "so", "then", "also", "what", "which", "who", "whom", "whose", "when",
     "where", "why", "how", "is", "are", "was", "were", "does", "do", "did", "can", "could",
     "should", "would", "will", "has", "have", "had", "tell", "me", "about", "the", "a", "an",
     "in", "on", "at", "for", "of", "to", "by", "with", "from", "i", "please", "give", "list",
     "name", "show", "describe", "explain"}
)  # fmt: skip
ELLIPTICAL_WORDS = 4  # a follow-up of at most this many words (connectives aside) is elliptical
_QUOTED = re.compile(r"[\"“„«]([^\"”“»]{1,60})[\"”“»]")
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][\w’'.–-]*(?:\s+[A-ZÀ-Þ][\w’'.–-]*)*")
POSSESSIVE_ENDING = re.compile(r"(?:['’]s|['’])$")
"""A possessive ending ("Estonia's", "members’"): what it names is the word without it."""
_WORD = re.compile(r"[\w’'.-]+")


def named(text: str) -> list[str]:
    """What `text` names: quoted strings, then runs of capitalised words (a capital that only
    opens the sentence, "What", "And", does not count)."""
    spans = [m.group(1).strip() for m in _QUOTED.finditer(text)]
    rest = _QUOTED.sub(" ", text)
    for match in _CAPITALISED.finditer(rest):
        words = match.group(0).split()
        while words and words[0].lower().strip("’'.") in FUNCTION_WORDS:
            words.pop(0)
        span = " ".join(words).rstrip(".’'")
        if span:
            spans.append(span)
    return spans


def _content_words(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    return [w for w in words if w not in FUNCTION_WORDS]


def standalone(question: str, previous: str) -> str:
    """`question` rewritten to stand alone after the user's `previous` question (unchanged when
    no rewrite applies)."""
    before = named(previous)
    if not before:
        return question
    now = named(question)
    words = [w.lower() for w in _WORD.findall(question)]
    fragment = not ASKING & set(words) and len(_content_words(question)) <= ELLIPTICAL_WORDS
    if now and fragment:
        frame = previous
        old = before[-1]
        if old in frame and now[-1] not in frame:
            return frame.replace(old, now[-1], 1)
    words = question.split()
    for i, word in enumerate(words):
        bare = word.strip("?.,!;:").lower()
        if bare in PRONOUNS:
            subject = POSSESSIVE_ENDING.sub("", before[0]) + ("’s" if bare in POSSESSIVES else "")
            trail = word[len(word.rstrip("?.,!;:")) :]
            return " ".join([*words[:i], subject + trail, *words[i + 1 :]])
    return question


def rewrite(question: str, history: Sequence[tuple[str, str]]) -> str:
    """`question` standing alone, given the (role, content) turns before it."""
    previous = next((content for role, content in reversed(history) if role == "user"), None)
    return standalone(question, previous) if previous else question
