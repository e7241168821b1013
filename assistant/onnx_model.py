"""The embedding model under ONNX Runtime: exported once from the local sentence-transformers model,
optionally quantised to int8, then run without torch.

sentence-transformers' own ONNX backend (`backend="onnx"`) loads through `optimum-onnx`, whose
releases pin `transformers<4.58` while sentence-transformers 6.2 needs `transformers>=5`: the two
cannot be installed together. So the export is done here with torch's exporter (the legacy
TorchScript one, no extra packages) and quantised with ONNX Runtime's dynamic int8 quantiser,
which needs the `onnx` package (the `[onnx]` extra). Running the exported file needs only
`onnxruntime` and `tokenizers`, which the core dependencies already bring.

The export runs offline, on first use, into ``<cache dir>/onnx/<key>/``: the key hashes the model's
files, so a changed model exports again. It is written into a temporary folder and renamed into
place, so a crash never leaves a half-written model and concurrent workers never see one. Before
the rename the exported model is checked against the torch model on sample sentences.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelLoadError

EXPORT_VERSION = "1"
"""Part of the cache key: bump it when the export itself changes."""
FP32_FILE = "model.onnx"
INT8_FILE = "model_qint8.onnx"
META_FILE = "export.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17
_SAMPLES = (
    "Which association represents Portugal in the European Clusters Alliance?",
    "Cluster organisations support SMEs in internationalisation, innovation and skills.",
    "Don't create clusters from scratch.",
    "x",
)
FP32_MIN_COSINE = 0.9999
"""The fp32 export must reproduce the torch model (differences are rounding only)."""
INT8_MIN_COSINE = 0.97
"""int8 weights move a vector a little (cosine 0.99-1.0 on the starter corpus); less is a bug."""


def export_key(model_location: str) -> str:
    """A key that changes when the model's files (or the export) change."""
    digest = hashlib.sha256(f"{EXPORT_VERSION}|{model_location}".encode())
    folder = Path(model_location)
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"|{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def export_folder(model_location: str, cache_dir: Path) -> Path:
    """The folder holding the exported model, exporting it first if needed (offline)."""
    target = cache_dir / "onnx" / export_key(model_location)
    if (target / META_FILE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        _export(model_location, scratch)
        if target.exists() and not (target / META_FILE).is_file():
            shutil.rmtree(target)  # left incomplete by hand: replace it
        try:
            os.replace(scratch, target)
        except OSError:
            if not (target / META_FILE).is_file():  # not a concurrent export that won the race
                raise
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"could not export {model_location!r} to ONNX: {exc}") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _export(model_location: str, folder: Path) -> None:
    """Export the model (fp32 and int8), its tokenizer and the settings needed to run it."""
    try:
        import onnx  # noqa: F401  (the quantiser needs it; fail before the slow part)
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelLoadError(
            f"the ONNX embedding backend needs the `[onnx]` extra ({exc.name} is missing): "
            "pip install -e '.[onnx]'"
        ) from exc

    folder.mkdir(parents=True)
    model = SentenceTransformer(
        model_location, device="cpu", model_kwargs={"dtype": torch.float32}
    ).eval()
    tokenizer = model.tokenizer
    max_length = int(model.max_seq_length or 256)
    sample = tokenizer(
        list(_SAMPLES[:2]),
        padding=True,
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    names = [name for name in INPUTS if name in sample]

    class _Embed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> Any:
            features = dict(zip(names, tensors, strict=True))
            vectors = self.model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(vectors, p=2, dim=1)

    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(
            _Embed().eval(),
            tuple(sample[name] for name in names),
            str(folder / FP32_FILE),
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    quantize_dynamic(
        str(folder / FP32_FILE),
        str(folder / INT8_FILE),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=False,
    )
    tokenizer.save_pretrained(str(folder))
    if not (folder / "tokenizer.json").is_file():
        raise ModelLoadError(
            "the ONNX backend needs a model with a fast tokenizer (tokenizer.json)"
        )
    meta = {
        "model": model_location,
        "inputs": names,
        "max_length": max_length,
        "pad_token": tokenizer.pad_token,
        "pad_id": int(tokenizer.pad_token_id or 0),
        "lowercase": bool(getattr(model[0], "do_lower_case", False)),
        "dimension": int(model.get_embedding_dimension() or 0),
    }
    (folder / META_FILE).write_text(json.dumps(meta, indent=2))
    reference = model.encode(list(_SAMPLES), normalize_embeddings=True, convert_to_numpy=True)

    def worst(file: str) -> float:
        got = OnnxEncoder(folder, file).encode(_SAMPLES)
        return float((got * reference).sum(axis=1).min())

    fp32 = worst(FP32_FILE)
    if fp32 < FP32_MIN_COSINE:
        raise ModelLoadError(
            f"the ONNX export {FP32_FILE} does not reproduce the model (cosine {fp32:.4f})"
        )
    # A fine-tuned model's int8 weights may drift further than the packaged model's: the fp32
    # export stays usable, and the int8 one refuses to load (`OnnxEncoder`).
    meta["int8_cosine"] = round(worst(INT8_FILE), 4)
    (folder / META_FILE).write_text(json.dumps(meta, indent=2))


class OnnxEncoder:
    """Tokenize, run the exported graph (pooling and normalisation are inside it), unit vectors."""

    def __init__(
        self, folder: Path, file: str = FP32_FILE, threads: int = 0, memory_arena: bool = False
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((folder / META_FILE).read_text())
        drift = float(meta.get("int8_cosine", 1.0))
        if file == INT8_FILE and drift < INT8_MIN_COSINE:
            raise ModelLoadError(
                f"the int8 export of {meta['model']} does not reproduce the model (cosine "
                f"{drift:.4f}): use the `onnx` backend for it"
            )
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Without the arena, memory for a batch's activations goes back after each run: an
        # ingest's large batches would otherwise stay allocated for the life of the process.
        options.enable_cpu_mem_arena = memory_arena
        if threads > 0:
            options.intra_op_num_threads = threads
        # Idle threads sleep instead of spinning after each run: spinning held both cores while
        # the multilingual model encoded the same question next (its 12 ms query took 61 ms;
        # docs/decisions.md, "Every EU language, measured").
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(folder / file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs: list[str] = list(meta["inputs"])
        self._lowercase = bool(meta["lowercase"])
        self.max_length = int(meta["max_length"])
        self.dimension = int(meta["dimension"])
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_length)
        tokenizer.enable_padding(pad_id=int(meta["pad_id"]), pad_token=str(meta["pad_token"]))
        self._tokenizer = tokenizer

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text; longest texts are batched together (less padding)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        cleaned = [t.lower() for t in texts] if self._lowercase else list(texts)
        order = np.argsort([-len(t) for t in cleaned], kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            encoded = self._tokenizer.encode_batch([cleaned[i] for i in rows])
            columns = {
                "input_ids": [e.ids for e in encoded],
                "attention_mask": [e.attention_mask for e in encoded],
                "token_type_ids": [e.type_ids for e in encoded],
            }
            feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self._inputs}
            out[rows] = self._session.run(None, feed)[0]
        return out
