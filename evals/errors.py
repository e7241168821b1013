"""The evaluation harness's exceptions, one tree under `EvalError`.

    EvalError
    ├── DatasetUnavailable   a dataset's files are absent (the shared folder is missing, a bad path)
    ├── JudgeUnavailable     the entailment judge is unknown or its `[llm]` extra is not installed
    └── JudgeError           the judge's chat server answered without log-probabilities

Errors of the engine itself (`assistant.errors.AssistantError`) pass through unchanged.
"""

from __future__ import annotations


class EvalError(Exception):
    """Base class of every error the evaluation harness raises on purpose."""


class DatasetUnavailable(EvalError):
    """The dataset's files are not present (e.g. the shared datasets folder is missing)."""


class JudgeUnavailable(EvalError):
    """The named judge is unknown, or its model or server is not installed."""


class JudgeError(EvalError):
    """The judge's chat server returned no log-probabilities."""
