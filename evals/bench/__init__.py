"""`cluster-assistant bench`: ingest, query and service performance, from one run.

The run (`runner`) builds or reuses stores of given sizes from real text (`sources`, `pool`,
`synthetic`, `stores`), measures the three sections (`ingest`, `query`, `service`) and writes the
results as JSON and `docs/benchmarks.md` with plots (`report`, `plots`), every figure labelled with
the machine (`machine`), the embedding backend and the command, and judged against the targets of
issue 13 (`targets`).
"""
