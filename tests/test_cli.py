"""The `cluster-assistant` command, run in-process through Typer's runner."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import Settings, get_settings
from cli.main import app
from tests.conftest import CORPUS

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: SentenceTransformerEmbedder
) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    # The command line reads its settings once per process (`get_settings` is cached): each
    # test's data dir is read afresh, and the next test does not inherit this one's.
    get_settings.cache_clear()
    monkeypatch.setattr("assistant.cli.Container", lambda: Container(Settings()))
    monkeypatch.setattr(
        "assistant.container.SentenceTransformerEmbedder",
        lambda settings=None, cache_dir=None: embedder,
    )
    return data


def test_ingest_then_unchanged_then_ask(cli_env: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", str(CORPUS)])
    assert first.exit_code == 0, first.output
    assert "Ingest report" in first.output and "indexed" in first.output
    second = runner.invoke(app, ["ingest", str(CORPUS)])
    assert second.exit_code == 0 and "0 chunks embedded" in second.output
    asked = runner.invoke(app, ["ask", "--json", "What is the mission of the ECCP?"])
    assert asked.exit_code == 0, asked.output
    payload = json.loads(asked.stdout)
    assert payload["refused"] is False and payload["citations"]
    plain = runner.invoke(
        app, ["ask", "How many profiled cluster organisations does the ECCP list?"]
    )
    assert plain.exit_code == 0 and "Sources:" in plain.stdout and "1600" in plain.stdout
    explained = runner.invoke(app, ["ask", "--explain", "What is the mission of the ECCP?"])
    assert explained.exit_code == 0 and "Explain:" in explained.stdout
    assert '"decided_by"' in explained.stdout and '"features"' in explained.stdout


def test_ingest_exit_codes(cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.pdf").write_bytes(b"nope")
    assert runner.invoke(app, ["ingest", str(bad)]).exit_code == 1
    assert runner.invoke(app, ["ingest", str(tmp_path / "missing")]).exit_code == 2
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "x.pdf").write_bytes(b"nope")
    (mixed / "ok.txt").write_text("Clusters are groups of related firms.")
    assert runner.invoke(app, ["ingest", str(mixed)]).exit_code == 0
    # A broken file keeps failing on every run until it is fixed or removed.
    assert runner.invoke(app, ["ingest", "--strict", str(mixed)]).exit_code == 1
    (mixed / "x.pdf").unlink()
    assert runner.invoke(app, ["ingest", "--strict", str(mixed)]).exit_code == 0


def test_ingest_json_prints_a_line_per_file_and_a_summary(cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "x.pdf").write_bytes(b"nope")
    (mixed / "ok.txt").write_text("Clusters are groups of related firms.")
    first = runner.invoke(app, ["ingest", "--json", str(mixed)])
    assert first.exit_code == 0, first.output
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    files = {Path(line["file"]).name: line for line in lines[:-1]}
    assert files["ok.txt"]["status"] == "indexed" and files["ok.txt"]["chunks"] >= 1
    assert files["x.pdf"]["status"] == "failed" and files["x.pdf"]["reason"]
    summary = lines[-1]["summary"]
    assert summary["indexed"] == 1 and summary["failed"] == 1 and summary["chunks_in_store"] >= 1
    again = runner.invoke(app, ["ingest", "--json", "--strict", str(mixed)])
    assert again.exit_code == 1  # exit codes as without --json
    assert json.loads(again.stdout.splitlines()[-1])["summary"]["unchanged"] == 1, again.stdout
    missing = runner.invoke(app, ["ingest", "--json", str(tmp_path / "missing")])
    assert missing.exit_code == 2 and "no such file" in json.loads(missing.stdout)["error"]


def test_structure_shows_what_the_loaders_find_without_indexing(
    cli_env: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "guide.md").write_text(
        "---\ntitle: A Guide\n---\nThe guide has two parts:\n\n- one part\n- another part\n\n"
        "| Year | Budget |\n| --- | --- |\n| 2013 | 142 |\n"
    )
    (folder / "x.pdf").write_bytes(b"nope")
    result = CliRunner().invoke(app, ["structure", str(folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Document structure" in result.output and "A Guide" in result.output
    assert "- 2" in result.output  # two list items marked "-"
    assert "corrupt" in result.output  # a broken file gets its reason
    assert not cli_env.exists()  # nothing was indexed
