"""What one benchmark run measures: sections, store sizes, question and request budgets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

SECTIONS: tuple[str, ...] = ("ingest", "query", "service")
STARTER = "starter"
"""The size label of a store holding the starter corpus only (the product's default store)."""

FULL_SIZES: tuple[str, ...] = (STARTER, "1000", "10000", "100000")
QUICK_SIZES: tuple[str, ...] = ("200",)


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run depends on besides the settings (data dir, model) and the machine."""

    sections: tuple[str, ...] = SECTIONS
    sizes: tuple[str, ...] = FULL_SIZES
    quick: bool = False
    out: Path = Path("docs")
    command: str = "cluster-assistant bench"
    concurrency: tuple[int, ...] = (1, 4, 16)
    requests: int = 400
    """Most requests per concurrency level (the level also stops after `seconds`)."""
    seconds: float = 30.0
    """Most seconds per concurrency level."""
    max_questions: int | None = None
    """Questions asked per store in the query section (None: every question)."""
    pool_files: int | None = None
    """Starter-corpus files in the text pool (None: all); quick mode keeps it small."""
    real_sources: bool = True
    """Whether the pool reads ClapNQ, pdf-stress and real-policy besides the starter corpus."""
    ingest_corpora: tuple[str, ...] = ("starter", "real-policy")
    ingest_files: int | None = None
    """Starter-corpus files in the ingest throughput run (None: all)."""
    subprocess_runs: int = 3
    """Unchanged re-ingests timed as a subprocess."""
    profile: bool = True
    """Profile the query path (cProfile) at the largest store."""
    serve_timeout_s: float = 900.0
    seed: int = 13

    @property
    def json_path(self) -> Path:
        """Where the results go."""
        return self.out / "benchmarks" / "results.json"

    @property
    def markdown_path(self) -> Path:
        """The report."""
        return self.out / "benchmarks.md"

    @property
    def figures_dir(self) -> Path:
        """The plots."""
        return self.out / "benchmarks"


def quick_config(**changes: object) -> BenchConfig:
    """A run of well under a minute for the test suite: tiny store, few questions and requests."""
    base = BenchConfig(
        sizes=QUICK_SIZES,
        quick=True,
        concurrency=(1, 2),
        requests=8,
        seconds=10.0,
        max_questions=12,
        pool_files=3,
        real_sources=False,
        ingest_corpora=("starter",),
        ingest_files=2,
        subprocess_runs=1,
        profile=False,
        serve_timeout_s=120.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def parse_sections(text: str) -> tuple[str, ...]:
    """`ingest,query` → the sections in their fixed order; ValueError on an unknown name."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown or not names:
        raise ValueError(f"sections are {', '.join(SECTIONS)}; got {text!r}")
    return tuple(s for s in SECTIONS if s in names)


def parse_sizes(text: str) -> tuple[str, ...]:
    """`starter,1000,10k` → ("starter", "1000", "10000"), smallest first; ValueError if bad."""
    sizes: list[str] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part == STARTER:
            sizes.append(STARTER)
            continue
        multiplier = 1000 if part.endswith("k") else 1
        digits = part[:-1] if part.endswith("k") else part
        if not digits.isdigit() or int(digits) * multiplier < 1:
            raise ValueError(f"a size is `starter` or a positive chunk count; got {part!r}")
        sizes.append(str(int(digits) * multiplier))
    if not sizes:
        raise ValueError("no sizes given")
    unique = list(dict.fromkeys(sizes))
    return tuple(sorted(unique, key=lambda s: -1 if s == STARTER else int(s)))


def parse_levels(text: str) -> tuple[int, ...]:
    """`1,4,16` → (1, 4, 16); ValueError unless every level is a positive integer."""
    try:
        levels = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError as exc:
        raise ValueError(f"concurrency levels are integers; got {text!r}") from exc
    if not levels or min(levels) < 1:
        raise ValueError(f"concurrency levels are positive integers; got {text!r}")
    return tuple(sorted(set(levels)))
