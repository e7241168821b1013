import pytest

from assistant.errors import InvalidFilterError
from assistant.store import build_where

pytestmark = pytest.mark.unit


def test_no_filters_means_no_clause() -> None:
    assert build_where(None) is None and build_where({}) is None


def test_single_and_multiple_filters() -> None:
    assert build_where({"doc_type": "event"}) == {"doc_type": "event"}
    assert build_where({"doc_type": ["event", "directory"], "year": 2024}) == {
        "$and": [{"doc_type": {"$in": ["event", "directory"]}}, {"year": 2024}]
    }


@pytest.mark.parametrize(
    "filters",
    [{"colour": "red"}, {"year": "2024"}, {"doc_type": 3}, {"doc_type": []}, {"year": True}],
)
def test_bad_filters_are_rejected(filters: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidFilterError):
        build_where(filters)
