"""Dev and test halves of every dataset, fixed by a hash of the case id.

Tune on the dev half (`eval --half dev`, `eval calibrate`) and read the test half as held out:
the split never depends on the run, the machine or the order of the cases.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar, get_args

Half = Literal["dev", "test"]
HALVES: tuple[Half, ...] = get_args(Half)
Selection = Literal["all", "dev", "test"]
"""What `eval --half` accepts."""
CHOICES: tuple[str, ...] = get_args(Selection)

T = TypeVar("T")


def is_dev(case_id: str) -> bool:
    """Half of the cases, chosen by a hash of the id (stable across runs and machines)."""
    return hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0


def half_of(case_id: str) -> Half:
    """`dev` or `test`."""
    return "dev" if is_dev(case_id) else "test"


def check(half: str) -> str:
    """`half` when it is `all`, `dev` or `test`; ValueError otherwise."""
    if half not in CHOICES:
        raise ValueError(f"half must be one of {', '.join(CHOICES)}, not {half!r}")
    return half


def select(items: Sequence[T], half: str, key: Callable[[T], str]) -> list[T]:
    """The items of `half` (`all`, `dev` or `test`), in their order; `key` gives an item's id."""
    check(half)
    return [item for item in items if half == "all" or half_of(key(item)) == half]
