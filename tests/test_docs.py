"""Executed documentation: every shell block the README and the docs mark as runnable is run, and
its output compared with what the page shows.

A runnable block is a ```` ```console ```` block right after an HTML comment `<!-- run -->` (or
`<!-- run: service -->` when the service must be up). Lines starting with `$ ` are commands; the
lines after a command, up to the next one, are its expected output (a command line ending in
`\\` goes on on the next line). In the expected output `…`
stands for any text (ids, times, the rest of a long answer). The blocks of one page run in order,
in the repository root, against one fresh data dir of their own; for a `service` block the real
service (`cluster-assistant serve`) is started on a free port over that data dir, and the
documented `127.0.0.1:8000` is pointed at it. A changed command or output fails the suite. The
site itself is built with warnings as errors by `make docs` (part of `make test`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from assistant.settings import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"<!-- run(?P<service>: service)? -->\n```console\n(?P<body>.*?)\n```", re.S)
DOCUMENTED = "127.0.0.1:8000"
BIN = PROJECT_ROOT / ".venv" / "bin"


@dataclass
class Command:
    """One `$ ` line and the output shown under it."""

    line: str
    expected: str


@dataclass
class Block:
    page: Path
    service: bool
    commands: list[Command] = field(default_factory=list)


def blocks(page: Path) -> list[Block]:
    """The runnable blocks of a page, in order."""
    found = []
    for match in _BLOCK.finditer(page.read_text(encoding="utf-8")):
        block = Block(page, bool(match["service"]))
        for line in match["body"].split("\n"):
            if block.commands and block.commands[-1].line.endswith("\\"):
                block.commands[-1].line = block.commands[-1].line[:-1] + line.strip()
            elif line.startswith("$ "):
                block.commands.append(Command(line[2:], ""))
            elif block.commands:
                previous = block.commands[-1]
                previous.expected += ("\n" if previous.expected else "") + line
        found.append(block)
    return found


RUNNABLE = {page: blocks(page) for page in PAGES if blocks(page)}


def matches(expected: str, actual: str) -> bool:
    """Whether `actual` is `expected` with each `…` standing for any text (line ends trimmed)."""

    def tidy(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip().split("\n"))

    pattern = ".*?".join(re.escape(part) for part in tidy(expected).split("…"))
    return re.fullmatch(pattern, tidy(actual), re.S) is not None


@pytest.mark.unit
def test_matching_allows_elisions_only_where_shown() -> None:
    assert matches('{"seconds": …}', '{"seconds": 31.9}')
    assert matches("first …\nlast", "first line\nmiddle\nlast  ")
    assert not matches('{"seconds": …}', '{"minutes": 1}')
    assert not matches("exact", "exact but longer")


def test_the_docs_mark_blocks_to_run() -> None:
    counted = {p.name: sum(len(b.commands) for b in bs) for p, bs in RUNNABLE.items()}
    print(f"runnable blocks: {sum(len(b) for b in RUNNABLE.values())}, commands: {counted}")
    assert "README.md" in counted and sum(counted.values()) >= 5, counted


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def page_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(tmp_path / "data"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        NO_COLOR="1",
        COLUMNS="120",
    )
    return env


class Service:
    """`cluster-assistant serve` on a free port, started on first need."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        if self.process is None:
            self.port = _free_port()
            self.process = subprocess.Popen(
                [str(BIN / "cluster-assistant"), "serve", "--port", str(self.port)],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            deadline = time.monotonic() + 180
            while True:
                assert self.process.poll() is None, self.process.stderr.read()  # type: ignore[union-attr]
                try:
                    if httpx.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service did not become ready"
                time.sleep(0.5)
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def service(page_env: dict[str, str]) -> Iterator[Service]:
    running = Service(page_env)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.enable_socket
@pytest.mark.skipif(not (BIN / "cluster-assistant").exists(), reason="run `make install` first")
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("page", sorted(RUNNABLE), ids=lambda p: p.name)
def test_documented_commands_print_what_the_page_shows(
    page: Path, page_env: dict[str, str], service: Service
) -> None:
    for block in RUNNABLE[page]:
        address = service.start() if block.service else DOCUMENTED
        for command in block.commands:
            line = command.line.replace(DOCUMENTED, address)
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-c", line],
                cwd=PROJECT_ROOT,
                env=page_env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"{page.name}: `{line}` failed:\n{done.stderr[-2000:]}"
            assert matches(command.expected, done.stdout), (
                f"{page.name}: `{command.line}` printed\n{done.stdout}\nbut the page shows\n"
                f"{command.expected}"
            )
