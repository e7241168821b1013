"""The engine's exceptions, one tree under `AssistantError`.

    AssistantError
    ├── ModelLoadError         the embedding model could not be loaded
    ├── StoreUnavailableError  the Chroma store could not be opened or reached
    ├── InvalidFilterError     a metadata filter is unknown or of the wrong type (also a ValueError)
    ├── LLMUnavailableError    the chat server (generative mode) failed to answer
    └── ModelUnavailable       a packaged LLM, or llama.cpp's server, is not installed

Callers catch `AssistantError` for anything the engine raises on purpose; each subclass names one
cause so that the API can map it to a status code (`api.errors`) and the CLI to a plain sentence.
"""


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ModelLoadError(AssistantError):
    """The embedding model could not be loaded (missing package, bad path, or download blocked)."""


class StoreUnavailableError(AssistantError):
    """The Chroma store could not be opened or reached."""


class InvalidFilterError(AssistantError, ValueError):
    """A metadata filter names an unknown field or has a value of the wrong type."""


class LLMUnavailableError(AssistantError):
    """The chat server could not be reached or failed to answer."""


class ModelUnavailable(AssistantError):
    """A packaged model, or the runtime that serves it, is not installed."""
