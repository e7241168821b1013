"""The assistant's exceptions: one flat hierarchy under `AssistantError`.

Callers catch `AssistantError` for anything the assistant raises on purpose; each subclass names one
cause so that the API can map it to a status code and the CLI to a plain sentence.
"""


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ModelLoadError(AssistantError):
    """The embedding model could not be loaded (missing package, bad path, or download blocked)."""


class StoreUnavailableError(AssistantError):
    """The Chroma store could not be opened or reached."""


class InvalidFilterError(AssistantError, ValueError):
    """A metadata filter names an unknown field or has a value of the wrong type."""
