"""`cluster-assistant reader`: label pairs with the teacher; train the student reader."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli import console

reader_app = typer.Typer(
    help="The reader: `reader train-bi` (the shipped bi-encoder), `reader label` (teacher), "
    "`reader train` (the cross-encoder student)."
)


@reader_app.command("label")
def label_command(
    pairs: Annotated[int, typer.Option(help="Stop after labelling this many pairs.")] = 1000,
    agreement: Annotated[
        int, typer.Option(help="First judge this many ClapNQ dev questions' human-labelled units.")
    ] = 0,
    teacher_name: Annotated[
        str, typer.Option("--teacher", help="Packaged teacher model.")
    ] = "qwen2.5-1.5b",
    threads: Annotated[int, typer.Option(help="CPU threads for the teacher (0: all).")] = 0,
    prompt: Annotated[
        str, typer.Option(help="Judging prompt: answers-v1, checker-v1 or extract-v1.")
    ] = "answers-v1",
) -> None:
    """Append teacher-labelled pairs to evals/datasets/reader/ (resumable: stop at any time)."""
    from assistant.embedder import SentenceTransformerEmbedder
    from assistant.llm.chat import chat_model
    from assistant.llm.server import PackagedLLMServer
    from assistant.settings import LLMSettings, Settings
    from training.reader import agreement as agree
    from training.reader.sources import all_passages
    from training.reader.teacher import LABELS_PATH, PairMaker, Teacher, label, schedule

    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.embedding)
    server = PackagedLLMServer(
        teacher_name, port=0, threads=threads or None, reuse_prompt_cache=True
    )
    base_url = server.start()
    try:
        model = chat_model(LLMSettings(base_url=base_url, model=teacher_name, max_tokens=48))
        teacher = Teacher(model, teacher_name, prompt)
        if agreement:
            chosen = agree.sample(agree.human_pairs(), agreement)
            rows = agree.measure(teacher, chosen, progress=console.log)
            console.print(f"agreement with ClapNQ human labels ({prompt}): {agree.summary(rows)}")
        if pairs == 0:
            return
        passages = all_passages(settings, embedder)
        maker = PairMaker(embedder, passages)
        made = label(teacher, maker, schedule(passages), limit_pairs=pairs, progress=console.log)
        console.print(f"{made} pairs labelled into {LABELS_PATH}")
    finally:
        server.stop()


@reader_app.command("train")
def train_command(
    layers: Annotated[int, typer.Option(help="Transformer layers kept from MiniLM.")] = 2,
    epochs: Annotated[int, typer.Option(help="Passes over the training pairs.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 11,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 1e-4,
    off_topic: Annotated[
        int, typer.Option(help="Units of other questions' passages per question (label 0).")
    ] = 2,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Where to save it (default: the reader.path setting)."),
    ] = None,
) -> None:
    """Train the student reader from the committed labels (into assistant/models/reader)."""
    from assistant.embedder import SentenceTransformerEmbedder
    from assistant.settings import Settings
    from training.reader.train import train

    settings = Settings()
    target = out or settings.reader.path
    embedder = SentenceTransformerEmbedder(settings.embedding)
    figures = train(settings, embedder, target, layers, epochs, seed, console.print, lr, off_topic)
    console.print(f"saved to {target}: {figures}")


@reader_app.command("train-bi")
def train_bi_command(
    epochs: Annotated[float, typer.Option(help="Passes over the training units.")] = 2.0,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 2e-5,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Where to save it (default: the reader.path setting)."),
    ] = None,
) -> None:
    """Fine-tune the bi-encoder reader on ClapNQ's dev-half human labels (CPU, minutes)."""
    from assistant.settings import Settings
    from training.reader.tune import train_bi

    target = out or Settings().reader.path
    figures = train_bi(target, epochs, lr, seed, log=console.print)
    console.print(f"saved to {target}: {figures['heldout_test']}")


@reader_app.command("heldout")
def heldout_command(
    model: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="The student to measure (default: the reader.path setting)."),
    ] = None,
    half: Annotated[str, typer.Option(help="ClapNQ half: test (held out) or dev.")] = "test",
) -> None:
    """The reader against ClapNQ human labels, next to the packaged model's cosine (unit AUC,
    top-1, answerability AUC)."""
    import json

    from assistant.answer.reader import CrossEncoderReader
    from assistant.embedder import SentenceTransformerEmbedder, packaged_model_path
    from assistant.settings import Settings
    from training.reader.heldout import heldout

    if half not in ("dev", "test"):
        raise typer.BadParameter(
            f"ClapNQ half must be dev or test, not {half!r}", param_hint="--half"
        )
    settings = Settings()
    path = model or settings.reader.path
    if settings.reader.kind == "bi-encoder":
        from training.reader.agreement import human_pairs
        from training.reader.tune import measure

        pairs = human_pairs(half=half)
        figures = {"reader": measure(path, pairs), "cosine": measure(packaged_model_path(), pairs)}
        console.print(json.dumps(figures, indent=1))
        return
    reader = CrossEncoderReader(path)
    embedder = SentenceTransformerEmbedder(settings.embedding)
    console.print(json.dumps(heldout(reader, embedder, half), indent=1))


@reader_app.command("ceiling")
def ceiling_command(
    prompt: Annotated[
        str, typer.Option(help="Judging prompt: answers-v1, checker-v1 or extract-v1.")
    ] = "answers-v1",
) -> None:
    """The teacher's committed agreement judgements against ClapNQ human labels, next to cosine
    similarity on the same units (what a student distilled from this teacher can reach)."""
    import json

    from assistant.embedder import SentenceTransformerEmbedder
    from assistant.settings import Settings
    from training.reader import agreement as agree
    from training.reader.heldout import ceiling
    from training.reader.teacher import load_labels

    rows = [r for r in load_labels(agree.AGREEMENT_PATH) if agree.prompt_of(r) == prompt]
    embedder = SentenceTransformerEmbedder(Settings().embedding)
    console.print(json.dumps(ceiling(rows, embedder), indent=1))
