"""Language detection of questions and passages (the real py3langid model)."""

from __future__ import annotations

import pytest

from assistant.language import (
    EU_LANGUAGES,
    LanguageDetector,
    normalise,
    preferred,
    question_language,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("What services do cluster organisations offer?", "en"),
        ("Quels sont les services des organisations de clusters ?", "fr"),
        ("Welche Vorteile haben Cluster für kleine Unternehmen?", "de"),
        ("¿Cuántos miembros tiene la alianza europea de clústeres?", "es"),
        ("Quali sono i criteri del marchio di qualità?", "it"),
        ("Jakie usługi oferują organizacje klastrowe?", "pl"),
        ("Wat is het budget van de Cluster Booster Academy?", "nl"),
        ("Πόσα μέλη έχει η συμμαχία;", "el"),
    ],
)
def test_detects_eu_languages_of_short_questions(text: str, code: str) -> None:
    assert LanguageDetector().code(text) == code


def test_unsure_texts_are_undetermined() -> None:
    detector = LanguageDetector()
    assert detector.code("RIS3") is None
    assert detector.code("") is None
    assert detector.code("2023-2027") is None


def test_the_24_official_languages() -> None:
    assert len(EU_LANGUAGES) == 24
    assert {"ga", "mt", "hr", "bg"} <= set(EU_LANGUAGES)


def test_normalise_bcp47_tags() -> None:
    assert normalise("fr-BE") == "fr"
    assert normalise("de_AT") == "de"
    assert normalise("EN") == "en"
    assert normalise("ja") is None
    assert normalise(None) is None


def test_question_language_falls_back_in_order() -> None:
    assert question_language("RIS3", [], requested="pl-PL") == "pl"
    assert question_language("Quelle est la date limite ?", []) == "fr"
    earlier = ["Wann findet die Veranstaltung in Heilbronn statt?"]
    assert question_language("RIS3", earlier) == "de"
    assert question_language("RIS3", [], default="it") == "it"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5", "fr"),
        ("ja, pl;q=0.4, de;q=0.7", "de"),
        ("en;q=0.2, sv", "sv"),
        ("de;q=0, nl;q=0.1", "nl"),
        ("*, ja, zh-CN", None),
        ("pl;q=bad, cs;q=0.3", "cs"),
        ("", None),
        (None, None),
    ],
)
def test_preferred_reads_accept_language_by_weight(header: str | None, code: str | None) -> None:
    assert preferred(header) == code


def test_a_preferred_language_comes_after_the_question_and_the_conversation() -> None:
    assert question_language("RIS3", [], preferred="pl") == "pl"
    assert question_language("Quelle est la date limite ?", [], preferred="pl") == "fr"
    assert (
        question_language("RIS3", ["Wann ist die Frist für die Bewerbung?"], preferred="pl") == "de"
    )
    assert question_language("RIS3", [], requested="it", preferred="pl") == "it"


def test_dominant_language_weighs_by_length() -> None:
    detector = LanguageDetector()
    texts = [
        "Die Strategie beschreibt die Prioritäten der Region für Forschung und Innovation.",
        "Annex",
        "Sie gilt für den Zeitraum bis 2027 und wird jährlich überprüft.",
    ]
    assert detector.dominant(texts) == "de"
