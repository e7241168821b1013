"""The answer engine: settings, embedder, store adapter, retrieval and grounded answers.

`assistant` is the innermost package: `ingest`, `api`, `evals` and `cli` build on it, and it
imports none of them (nor FastAPI). Layout:

- `settings`, `errors`, `types`, `text`: configuration, the error tree, shared data types, text
  utilities;
- `embedder`: the sentence-transformers model, loaded offline and lazily;
- `storage/`: the Chroma chunk store, the document catalogue, feedback;
- `retrieval/`: hybrid (dense + BM25) retrieval and the ranking stage;
- `answer/`: composition (extractive, generative) and citation verification;
- `llm/`: OpenAI-compatible chat models and the packaged Qwen behind llama.cpp;
- `stages`: the Protocols of the answer stages; `pipeline`: the `Assistant` that runs them;
  `container`: the composition root that picks and wires them from settings.
"""
