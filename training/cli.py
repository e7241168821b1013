"""`cluster-assistant scorer train|loco` (and `eval loco`): fit the answer scorer, measure it
leaving one collection out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from assistant.cli import console

if TYPE_CHECKING:
    from assistant.container import Container
    from training.scorer.loco import Collected

scorer_app = typer.Typer(
    help="The answer scorer: `scorer train` (the shipped models), `scorer loco` (leave one "
    "collection out)."
)
DEFAULT_OUT = Path("evals/out/loco")

Collections = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--collection",
        help="Collections to use (repeatable; default: every one present: gold, real-policy, "
        "clapnq, pdf-stress).",
    ),
]
Fresh = Annotated[
    bool, typer.Option(help="Read every question again instead of the cached features.")
]


def _gather(
    names: list[str] | None, fresh: bool
) -> tuple[Container, list[str], dict[str, Collected]]:
    from assistant.container import Container
    from training.scorer.collections import COLLECTIONS
    from training.scorer.loco import gather

    base = Container()
    chosen = names or list(COLLECTIONS)
    cache = base.settings.data_dir / "training" / "scorer"
    collected = gather(base, chosen, cache, fresh, progress=console.print)
    return base, chosen, collected


@scorer_app.command("train")
def train(
    collection: Collections = None,
    fresh: Fresh = False,
    loco_report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="A `loco.json` to put in the card (default: evals/out/loco/)."),
    ] = None,
) -> None:
    """Fit both models on every collection's dev half; write them with their card."""
    from assistant.answer.scoring import SCORER_DIR
    from training.scorer import card
    from training.scorer.fit import fit
    from training.scorer.loco import save

    _, names, collected = _gather(collection, fresh)
    rows = [r for n in names for r in collected[n].rows if r.half == "dev"]
    fitted = fit(rows)
    save(fitted, SCORER_DIR)
    report_path = loco_report or DEFAULT_OUT / "loco.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    trained_on = {n: sum(r.half == "dev" for r in c.rows) for n, c in collected.items()}
    path = card.write(
        SCORER_DIR, fitted.units, fitted.answerable, trained_on, report, fitted.crosslingual
    )
    console.print(f"models and card written to {path.parent}/")


@scorer_app.command("loco")
def loco_command(
    collection: Collections = None,
    fresh: Fresh = False,
    out: Annotated[
        Path, typer.Option(help="Output folder (fold models, loco.json).")
    ] = DEFAULT_OUT,
    baseline: Annotated[
        bool, typer.Option(help="Also run the former blend rule on each test half.")
    ] = True,
) -> None:
    """Leave one collection out: fit on the others' dev halves, report its test half."""
    from training.scorer.loco import loco

    base, names, collected = _gather(collection, fresh)
    report = loco(base, names, out, collected, baseline, progress=console.print)
    sys.stdout.write(json.dumps(report, indent=1) + "\n")
    console.print(f"written to {out}/loco.json")
