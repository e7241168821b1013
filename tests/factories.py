"""Small builders of the engine's types for tests."""

from typing import Any

from assistant.types import Chunk


def chunk(text: str, position: int = 0, doc_id: str = "d", **fields: Any) -> Chunk:
    """A chunk of document `doc_id` (id `{doc_id}:{position}`), with test defaults for the
    metadata; `fields` override any of them."""
    values: dict[str, Any] = {
        "id": f"{doc_id}:{position}",
        "text": text,
        "doc_id": doc_id,
        "title": "D",
        "doc_type": "other",
        "source": "test",
        "source_path": f"{doc_id}.md",
        "position": position,
    }
    return Chunk(**{**values, **fields})
