"""FastAPI dependencies: the container built once per app, and what routes need from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.container import Container
from assistant.pipeline import Assistant


def get_container(request: Request) -> Container:
    """The app's composition root."""
    container: Container = request.app.state.container
    return container


def get_assistant(container: Annotated[Container, Depends(get_container)]) -> Assistant:
    """The question-answering pipeline."""
    return container.assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
