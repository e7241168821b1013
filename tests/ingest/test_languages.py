"""Passages' languages from their text (unit; the packaged py3langid model)."""

import pytest

from assistant.language import detector
from assistant.types import Chunk
from ingest.languages import with_languages
from tests.factories import chunk

pytestmark = pytest.mark.unit


def _chunk(text: str, position: int) -> Chunk:
    return chunk(text, position, source_path="d.pdf")


def test_a_chunk_is_in_the_language_most_of_its_sentences_are_in() -> None:
    english = "The strategy was prepared by the regional council in close cooperation with firms."
    dutch = (
        "De strategie is opgesteld door de provincie in nauwe samenwerking met bedrijven. "
        "Het doel is om de regionale economie te versterken."
    )
    # A reference list: English sentences citing a title in Estonian.
    references = (
        "Statistics Estonia published the survey of industrial output in 2012.\n"
        "The contribution of the oil industry to research spending reached one third in 2011.\n"
        "Tootmismahtude suurenemine metallitööstuses tõi mullu kaasa uusi töökohti.\n"
        "The report was updated by the ministry in the following year."
    )
    chunks = with_languages(
        [_chunk(english, 0), _chunk(dutch, 1), _chunk(references, 2)], detector()
    )
    assert [c.language for c in chunks] == ["en", "nl", "en"]


def test_without_a_sure_sentence_a_chunk_takes_the_documents_language() -> None:
    chunks = with_languages(
        [_chunk("The council adopted the regional plan for innovation in 2014.", 0),
         _chunk("12 / 34", 1)],
        detector(),
    )  # fmt: skip
    assert [c.language for c in chunks] == ["en", "en"]
