"""The answer engine: settings, embedder, store adapter, retrieval and grounded answers.

`assistant` is the innermost package: `ingest`, `api` and `evals` build on it, and it imports none
of them (nor FastAPI).
"""
