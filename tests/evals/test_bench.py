"""`cluster-assistant bench`: option parsing, percentiles, target judging, the report, and a real
`--quick` run (real model, real stores, a real `serve` subprocess on loopback)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import EmbeddingSettings, Settings
from assistant.text import chunk_units
from assistant.types import Chunk
from cli.main import app
from evals.bench import config, report, synthetic, targets
from evals.bench.pool import Pool, PoolChunk
from evals.bench.stages import StageClock, Timed
from evals.bench.stats import summarize


@pytest.mark.unit
def test_sizes_sections_and_levels_parse_or_fail_clearly() -> None:
    assert config.parse_sizes("100k,starter,1000,1000") == ("starter", "1000", "100000")
    assert config.parse_sections("service,ingest") == ("ingest", "service")
    assert config.parse_levels("16,1,4") == (1, 4, 16)
    for bad in ("0", "ten", ""):
        with pytest.raises(ValueError):
            config.parse_sizes(bad)
    with pytest.raises(ValueError, match="sections are"):
        config.parse_sections("ingest,speed")
    with pytest.raises(ValueError):
        config.parse_levels("0,4")


@pytest.mark.unit
def test_bad_options_exit_2_before_any_work() -> None:
    for args in (["--only", "speed"], ["--sizes", "ten"], ["--concurrency", "0"]):
        result = CliRunner().invoke(app, ["bench", *args])
        assert result.exit_code == 2, result.output


@pytest.mark.unit
def test_summary_percentiles() -> None:
    summary = summarize([float(i) for i in range(1, 101)])
    assert summary["n"] == 100 and summary["p50"] == 50.5 and summary["max"] == 100.0
    assert 95 <= summary["p95"] <= 96 and 99 <= summary["p99"] <= 100
    assert summarize([]) == {"n": 0}


@pytest.mark.unit
def test_stage_clock_counts_only_the_outermost_stage() -> None:
    clock = StageClock()

    class Inner:
        def embed(self) -> str:
            return "vector"

    inner = Timed(Inner(), clock, {"embed": "embed"})

    class Outer:
        def compose(self) -> str:
            return str(inner.embed())

    outer = Timed(Outer(), clock, {"compose": "composition"})
    assert outer.compose() == "vector"
    assert set(clock.seconds) == {"composition"}
    assert inner.embed() == "vector" and set(clock.seconds) == {"composition", "embed"}


def _pool() -> Pool:
    texts = [
        "Clusters are groups of firms in one region. They share suppliers and skills.",
        "The alliance has members in every country of the union. It meets twice a year.",
        "Regions should build on existing strengths. They should not create clusters from scratch.",
    ]
    chunks = {}
    rng = np.random.default_rng(0)
    for n, text in enumerate(texts):
        chunk = Chunk(f"doc{n}:x", text, f"doc{n}", f"Title {n}", "other", "s", f"p{n}.md", 0)
        units = [(u, rng.normal(size=4).astype(np.float32)) for u in chunk_units(text)]
        chunks[chunk.id] = PoolChunk(chunk, rng.normal(size=4).astype(np.float32), units, "starter")
    return Pool("k", Path("."), "f", [], [], chunks)


@pytest.mark.unit
def test_recombined_chunks_reuse_real_sentence_vectors() -> None:
    pool = _pool()
    made = list(synthetic.generate(pool, 30, seed=1))
    again = list(synthetic.generate(pool, 30, seed=1))
    assert [m.chunk.text for m in made] == [m.chunk.text for m in again]
    assert len({m.chunk.id for m in made}) == 30
    sentences = {u.text: v for item in pool.chunks.values() for u, v in item.units}
    for item in made:
        assert abs(float(np.linalg.norm(item.vector)) - 1.0) < 1e-5
        assert [u.text for u in item.units] == [u.text for u in chunk_units(item.chunk.text)]
        for unit, vector in zip(item.units, item.unit_vectors, strict=True):
            assert vector is not None and np.array_equal(vector, sentences[unit.text])
        mean = np.mean([sentences[u.text] for u in item.units], axis=0)
        assert np.allclose(item.vector, mean / np.linalg.norm(mean), atol=1e-5)


def _results() -> dict[str, Any]:
    level = {
        "concurrency": 16,
        "requests": 100,
        "answered": 100,
        "errors": 0,
        "error_samples": [],
        "seconds": 2.0,
        "answered_per_s": 50.0,
        "latency_ms": summarize([300.0] * 10),
        "server_cores_busy": 1.9,
    }
    lower = {**level, "concurrency": 4, "answered_per_s": 55.0}
    return {
        "command": "cluster-assistant bench --sizes starter",
        "started_at": "now",
        "seconds": 1.0,
        "machine": {
            "cpu": {
                "model": "CPU X",
                "usable_cores": 2,
                "logical_cores": 2,
                "physical_cores": 2,
                "simd": ["avx2", "avx512f"],
                "flag_count": 90,
            },
            "backend": {"embedding": {"batch_size": 32}, "torch": {"version": "2", "threads": 2}},
            "python": "3.11",
            "os": "Linux",
            "packages": {},
        },
        "ingest": {"model_load_s": 1.0, "corpora": [], "changed_file": []},
        "query": {
            "questions": ["q"],
            "stores": [
                {
                    "store": "starter",
                    "chunks": 150,
                    "questions": 1,
                    "answered": 1,
                    "warm_up_s": 0.5,
                    "total_ms": summarize([40.0]),
                    "stages_ms": {"retrieval": summarize([30.0]), "other": summarize([10.0])},
                }
            ],
            "profile": None,
        },
        "service": {
            "rate_limit": "x",
            "max_requests_per_level": 100,
            "max_seconds_per_level": 30,
            "stores": [
                {
                    "store": "starter",
                    "chunks": 150,
                    "start_to_ready_s": 2.5,
                    "rss_ready_mb": 500.0,
                    "rss_peak_mb": 650.0,
                    "levels": [lower, level],
                }
            ],
        },
    }


@pytest.mark.unit
def test_targets_are_judged_with_what_limits_a_miss() -> None:
    judged = {t["id"]: t for t in targets.judge(_results())}
    assert judged["start-to-ready"]["met"] is True and judged["start-to-ready"]["limit"] == ""
    assert judged["rss-starter"]["met"] is False
    assert judged["throughput-c16"]["met"] is False
    assert "CPU-bound" in judged["throughput-c16"]["limit"]
    assert judged["p95-c16"]["met"] is True
    assert judged["no-fall-4-16"]["met"] is False
    assert judged["query-p95-100k"]["met"] is None  # the largest store is far below 100k


@pytest.mark.unit
def test_report_renders_every_section_with_machine_and_command() -> None:
    results = _results()
    results["targets"] = targets.judge(results)
    text = report.render(results, {"query": "query.png"}, "benchmarks")
    for heading in ("## Targets", "## Query", "## Service", "## Plots", "## Closing note"):
        assert heading in text
    assert text.count("`cluster-assistant bench --sizes starter`") >= 4
    assert "CPU X, 2 cores, AVX2, AVX-512 (F)" in text
    assert (
        "![Query: warm answer latency by store size, and per stage](benchmarks/query.png)" in text
    )
    assert "**missed**" in text


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.enable_socket
def test_quick_run_writes_every_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: SentenceTransformerEmbedder
) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))

    def shared(settings: EmbeddingSettings, *args: object) -> SentenceTransformerEmbedder:
        # The session's model stands in for the embedder; the reader's is built as usual.
        return SentenceTransformerEmbedder(settings, *args) if settings.model else embedder  # type: ignore[arg-type]

    monkeypatch.setattr("assistant.container.SentenceTransformerEmbedder", shared)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["bench", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "benchmarks" / "results.json").read_text(encoding="utf-8"))

    assert results["command"] == f"cluster-assistant bench --quick --out {out}"
    assert results["machine"]["cpu"]["usable_cores"] >= 1
    (store,) = results["stores"]
    assert store["chunks"] == 200 and store["synthetic_chunks"] > 0 and store["units"] > 200

    (corpus,) = results["ingest"]["corpora"]
    assert corpus["chunks"] > 0 and corpus["texts_embedded"] > corpus["chunks"]
    assert corpus["ratio"] > 0 and corpus["unchanged_wall_ok"]
    (changed,) = results["ingest"]["changed_file"]
    assert changed["unchanged_in_step"] and changed["changed_chunks"] >= 1

    (timed,) = results["query"]["stores"]
    assert timed["total_ms"]["n"] == 12
    assert timed["stages_ms"]["retrieval"]["p50"] > 0

    (served,) = results["service"]["stores"]
    assert "failed" not in served, served
    assert served["start_to_ready_s"] > 0 and served["rss_peak_mb"] > 0
    assert [lv["concurrency"] for lv in served["levels"]] == [1, 2]
    for level in served["levels"]:
        assert level["errors"] == 0, level["error_samples"]
        assert level["answered"] == 8

    assert {t["id"] for t in results["targets"]} >= {"start-to-ready", "rss-starter"}
    markdown = (out / "benchmarks.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## Stores", "## Ingest", "## Query", "## Service", "## Plots"):
        assert heading in markdown
    for name in ("ingest", "query", "service", "resources"):
        assert (out / "benchmarks" / f"{name}.png").stat().st_size > 1000
        assert f"(benchmarks/{name}.png)" in markdown


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="Debian's redis-server is absent")
@pytest.mark.enable_socket
def test_scaleout_serves_the_same_questions_from_one_process_and_from_a_cluster(
    tmp_path: Path,
) -> None:
    from evals.bench.scaleout import compare

    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    found = compare(settings, workers=2, levels=(2,), requests=6, seconds=20, log=lambda _: None)
    assert [f["setup"] for f in found] == ["serve", "serve-cluster --workers 2"]
    for setup in found:
        (level,) = setup["levels"]
        assert level["answered"] == 6 and level["errors"] == 0, level
        assert setup["ready_s"] > 0
