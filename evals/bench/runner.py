"""One benchmark run: machine, text pool and stores, the chosen sections, targets, the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from assistant.embedder import Embedder
from assistant.settings import Settings
from evals.bench import ingest, machine, query, report, service
from evals.bench.config import BenchConfig
from evals.bench.pool import ensure_pool
from evals.bench.stores import ensure_store
from evals.bench.targets import judge

Log = Callable[[str], None]
NO_QUERY_CACHE = {"query_cache": 0}
"""The benchmark asks each question several times (per store, per concurrency level): with the
question-vector cache on, every repeat would skip the embedding that a new question pays."""


def bench_settings(settings: Settings) -> Settings:
    """`settings` with the question-vector cache off (when the embedder has one)."""
    fields = type(settings.embedding).model_fields
    changes = {k: v for k, v in NO_QUERY_CACHE.items() if k in fields}
    if not changes:
        return settings
    return settings.model_copy(update={"embedding": settings.embedding.model_copy(update=changes)})


def server_env(settings: Settings) -> dict[str, str]:
    """Environment for the benchmark's `serve`: the same settings changes as `bench_settings`."""
    fields = type(settings.embedding).model_fields
    return {
        f"ASSISTANT_EMBEDDING__{k.upper()}": str(v)
        for k, v in NO_QUERY_CACHE.items()
        if k in fields
    }


def run(config: BenchConfig, settings: Settings, embedder: Embedder, log: Log) -> dict[str, Any]:
    """Measure, judge and write the JSON, the plots and the Markdown report; return the results."""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": config.command,
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "config": {
            k: str(v) if not isinstance(v, int | float | bool | tuple) else v
            for k, v in asdict(config).items()
        },
        "machine": machine.collect(settings),
        "settings_changes": server_env(settings),
        "pool": None,
        "stores": None,
        "ingest": None,
        "query": None,
        "service": None,
    }
    others = machine.other_work()
    bench_dir = settings.data_dir / "bench"
    embedder.warm_up()
    pool = ensure_pool(settings, embedder, bench_dir, config.pool_files, config.real_sources, log)
    results["pool"] = {
        "key": pool.key,
        "chunks": len(pool.chunks),
        "chunks_by_source": pool.counts(),
        "files": len(pool.files),
        **{
            k: v
            for k, v in pool.info.items()
            if k in ("seconds", "files_failed", "files_duplicate")
        },
    }
    stores = [
        ensure_store(label, pool, settings, embedder, bench_dir, config.seed, log)
        for label in config.sizes
    ]
    results["stores"] = [s.as_json() for s in stores]
    if "ingest" in config.sections:
        results["ingest"] = ingest.run(config, settings, embedder, stores, bench_dir, log)
    if "query" in config.sections:
        results["query"] = query.run(config, settings, embedder, stores, log)
    if "service" in config.sections:
        asked = query.questions(config.max_questions)
        env = server_env(settings)
        results["service"] = service.run(config, settings, stores, asked, env, log)
    results["machine"]["load_average_at_end"] = machine.load_average()
    results["machine"]["other_processes_cpu_share"] = others.share() if others else None
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = judge(results)
    report.write(results, config.json_path, config.markdown_path, config.figures_dir)
    return results
