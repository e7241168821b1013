"""The scorer's model card (assistant/models/scorer/README.md), written with the models."""

from __future__ import annotations

import platform
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from assistant.answer.scoring import LinearModel


def machine() -> str:
    """The CPU this was measured on (model name and cores)."""
    name = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{name}, {os.cpu_count()} cores"


def commit() -> str:
    """The checkout's commit (short), or `unknown`."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _candidates(model: LinearModel) -> str:
    scores = (model.card or {}).get("answerable_candidates", {})
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return "; ".join(f"`{name}` {value:.3f}" for name, value in ranked) or "–"


def _weights(model: LinearModel) -> str:
    pairs = sorted(zip(model.features, model.coef, strict=True), key=lambda p: -abs(p[1]))
    return "\n".join(f"| `{f}` | {w:+.3f} |" for f, w in pairs)


def _crosslingual_weights(model: LinearModel | None) -> str:
    if model is None:
        return ""
    return (
        "## Weights (the cross-language unit model)\n\n| feature | weight |\n|---|---|\n"
        + _weights(model)
        + "\n\n"
    )


def _loco_table(loco: dict[str, Any]) -> str:
    rows = [
        "| held-out collection (test half) | cases | fact hit | refusal acc. | false refusal "
        "| partial | accuracy | unit AUC | top-1 | answerable AUC | inputs chosen | threshold |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, fold in loco.get("folds", {}).items():
        learned = fold["learned"]

        def f(d: dict[str, Any], k: str) -> str:
            v = d.get(k)
            return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

        rows.append(
            f"| {name} | {f(learned, 'cases')} | {f(learned, 'fact_hit')} | "
            f"{f(learned, 'refusal_accuracy')} | {f(learned, 'false_refusal_rate')} | "
            f"{f(learned, 'partial_rate')} | {f(learned, 'accuracy')} | {fold['unit_auc']:.3f} | "
            f"{fold['top1']:.3f} | {fold['answerable_auc']:.3f} | "
            f"{', '.join(fold.get('inputs', [])) or '–'} | {fold['threshold']:.3f} |"
        )
    return "\n".join(rows)


def write(
    directory: Path,
    units: LinearModel,
    answerable: LinearModel,
    trained_on: dict[str, int],
    loco: dict[str, Any] | None,
    crosslingual: LinearModel | None = None,
) -> Path:
    """Write README.md beside the models."""
    data = ", ".join(f"{name} ({n} dev questions)" for name, n in trained_on.items())
    text = f"""# The answer scorer

Two logistic regressions (scikit-learn `LogisticRegression`, C=1, standardised features),
stored as JSON and evaluated with numpy at answer time (`assistant/answer/scoring.py`):

- `unit.json`: P(a candidate unit — sentence, list item, whole list, table row — states what the
  question asks), from the features in `assistant/answer/features.py`;
- `answerable.json`: P(the reading answers the question), from the reading's summary
  (`assistant/answer/answerability.py`); declines below its threshold {answerable.threshold:.4f},
  where the training collections put the line (the median of the thresholds each would choose
  for itself; `training/scorer/fit.py`, `choose_threshold`);
- `unit_crosslingual.json`: the unit model fitted on the same rows without the features that
  compare the question's words with the unit's (`LEXICAL_FEATURES`), for units read across
  languages (`assistant/answer/crosslingual.py`), whose similarities come from
  multilingual-e5 mapped onto the English scales.

- **Base:** none (fitted from scratch; no pretrained weights). Licence: the project's.
- **Data:** the dev halves only ({data}). Unit labels: the share of a case's required facts
  the unit states (ClapNQ: whether it covers a gold sentence); unanswerable questions' units are
  negatives. Answerability learns from unanswerable questions and from answerable ones whose
  reading holds an answer unit. Each collection weighs the same; test halves are never used.
- **Answerability inputs** (mean balanced accuracy, each training collection left out in turn,
  dev halves): {_candidates(answerable)}
- **Command:** `make train-scorer` (= `cluster-assistant scorer train`); the leave-one-out
  table below: `cluster-assistant eval loco`.
- **Measured:** {date.today().isoformat()}, commit {commit()}, {machine()}.

## Leave one collection out

Each row: both models fitted on the *other* collections' dev halves (threshold included), then
this collection's test half answered end to end (`cluster-assistant eval loco`). Top-1: the share
of answerable questions whose reading holds an answer unit where the best-scored unit is one.

{_loco_table(loco) if loco else "(not measured with these models)"}

## Weights (standardised features, the shipped unit model)

| feature | weight |
|---|---|
{_weights(units)}

{_crosslingual_weights(crosslingual)}## Weights (the shipped answerability model)

| feature | weight |
|---|---|
{_weights(answerable)}
"""
    path = directory / "README.md"
    path.write_text(text, encoding="utf-8")
    return path
