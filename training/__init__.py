"""Training of the models the assistant ships: the reader (`training.reader`) and the answer
scorer (`training.scorer`). It may import `assistant`, `ingest` and `evals` (datasets, loaders,
metrics); nothing imports it but `cli`."""
