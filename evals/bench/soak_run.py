"""`cluster-assistant bench --soak`: the soak against `serve`, and against `serve-cluster`.

Each setup serves a private data dir under DATA_DIR/bench/soak/: `serve` gets a copy of the
configured data dir's store (the starter corpus; ingested first when there is none),
`serve-cluster --workers N` ingests the corpus through its own Chroma server while starting.
Both run with no rate limit and a generated admin key, which the soak's uploads use. The results
go to `soak.json`, `soak.md` and `soak-rss.png` in the output folder. Before the warm-up each
server is sent one small Markdown note through the upload path (`seed_note`), so the models that
path loads are in memory before the RSS curve is judged.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from assistant.settings import Settings
from evals.bench import soak
from evals.bench.ingest import cli_command
from evals.bench.machine import collect, describe, load_average, other_work
from evals.bench.service import Server, free_port

Log = Callable[[str], None]
READY_TIMEOUT_S = 900.0
STORE_PARTS = ("chroma", "manifest.json", "lexical")
"""What a data dir's store is made of (the rest: models, uploads, feedback, evaluation runs)."""


def soak_env(admin_key: str) -> dict[str, str]:
    """The server's settings for a soak: no rate limit, the admin key for the uploads."""
    return {"ASSISTANT_API__RATE_LIMIT": "", "ASSISTANT_API__ADMIN_API_KEY": admin_key}


def link_models(settings: Settings, data_dir: Path) -> None:
    """Point `data_dir/models` at the configured data dir's exported models (no re-export)."""
    shared = (settings.data_dir / "models").resolve()
    shared.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    link = data_dir / "models"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(shared, target_is_directory=True)


def prepare_store(settings: Settings, data_dir: Path, log: Log) -> str:
    """A private store in `data_dir`: a copy of the configured data dir's store when it has one,
    otherwise the configured corpus ingested by `cluster-assistant ingest`. Says which."""
    shutil.rmtree(data_dir, ignore_errors=True)
    link_models(settings, data_dir)
    source = settings.data_dir
    if (source / "manifest.json").is_file() and (source / "chroma").is_dir():
        for part in STORE_PARTS:
            if (source / part).is_dir():
                shutil.copytree(source / part, data_dir / part)
            elif (source / part).is_file():
                shutil.copy2(source / part, data_dir / part)
        return f"a copy of the store in {source}"
    log(f"soak: no store in {source}; ingesting the corpus into {data_dir}")
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    subprocess.run([*cli_command(), "ingest"], env=env, check=True, capture_output=True)
    return "the configured corpus, ingested for the soak"


SEED_NOTE = """# Soak warm-up note

This note is uploaded by the soak before its warm-up, so that the server has loaded the models its
writer path needs before the memory curve is judged. It says nothing about clusters or policy.
"""


def seed_note(folder: Path) -> Path:
    """A small Markdown file for the soak's seed upload, written to `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "soak-warm-up-note.md"
    path.write_text(SEED_NOTE, encoding="utf-8")
    return path


def run_setup(
    label: str,
    args: Sequence[str],
    data_dir: Path,
    plan: soak.SoakPlan,
    log: Log,
) -> dict[str, Any]:
    """Start the server (`args`) over `data_dir`, soak it, stop it."""
    plan = replace(plan, seed=(*plan.seed, seed_note(data_dir.parent / f"{data_dir.name}-seed")))
    server = Server(data_dir, data_dir / "server.log", soak_env(plan.admin_key), args)
    try:
        ready = server.wait_ready(READY_TIMEOUT_S)
        log(f"soak: {label} ready in {ready:.1f} s on port {server.port}")
        found = soak.run(f"http://127.0.0.1:{server.port}", server.process.pid, plan, log)
    finally:
        server.stop()
    return {"setup": label, "command": " ".join(args), "ready_s": round(ready, 2), **found}


def compare(
    settings: Settings,
    plan: soak.SoakPlan,
    workers: int | None,
    log: Log,
) -> list[dict[str, Any]]:
    """The soak against `serve`, then (with `workers`) against `serve-cluster`."""
    folder = settings.data_dir / "bench" / "soak"
    single = folder / "serve"
    store = prepare_store(settings, single, log)
    results = [{**run_setup("serve", ["serve"], single, plan, log), "store": store}]
    if workers:
        cluster_dir = folder / "cluster"
        shutil.rmtree(cluster_dir, ignore_errors=True)
        link_models(settings, cluster_dir)
        args = ["serve-cluster", "--workers", str(workers), "--chroma-port", str(free_port())]
        label = f"serve-cluster --workers {workers}"
        try:
            found = run_setup(label, args, cluster_dir, plan, log)
        except (RuntimeError, httpx.HTTPError) as exc:  # keep the single process's figures
            log(f"soak: {label} failed: {exc}")
            found = {"setup": label, "command": " ".join(args), "failed": str(exc)[:2000]}
        results.append({**found, "store": "the configured corpus, ingested by serve-cluster"})
    return results


def measure(
    settings: Settings,
    plan: soak.SoakPlan,
    workers: int | None,
    command: str,
    log: Log,
) -> dict[str, Any]:
    """Every setup's soak, with the machine it ran on and when."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    began = time.perf_counter()
    machine = collect(settings)
    tracker = other_work()
    setups = compare(settings, plan, workers, log)
    machine["load_average_at_end"] = load_average()
    if tracker is not None:
        machine["other_processes_cpu_share"] = tracker.share()
    return {
        "command": command,
        "started_at": started_at,
        "seconds": round(time.perf_counter() - began, 1),
        "machine": machine,
        "machine_line": describe(machine),
        "setups": setups,
    }


def new_admin_key() -> str:
    """A random admin key for the soak's server."""
    return secrets.token_urlsafe(24)


def write(results: dict[str, Any], folder: Path) -> dict[str, Path]:
    """`soak.json`, `soak.md` and (with matplotlib) `soak-rss.png` in `folder`."""
    from evals.bench.soak_report import markdown, rss_figure

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "soak.json", "markdown": folder / "soak.md"}
    paths["json"].write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    figure = rss_figure(results, folder / "soak-rss.png")
    if figure is not None:
        paths["figure"] = figure
    paths["markdown"].write_text(markdown(results, figure), encoding="utf-8")
    return paths
