"""An OpenAI-compatible chat server on loopback for a packaged GGUF model (llama.cpp).

`xllamacpp` (a prebuilt llama.cpp wheel, the `[llm]` extra) runs llama.cpp's own HTTP server
inside this process: `/v1/chat/completions` with streaming and log-probabilities, `/v1/models`,
`/health`. Generative mode then talks to it exactly as to OpenAI, vLLM or Ollama.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from assistant.errors import ModelUnavailable
from assistant.llm.packaged import model_file


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class PackagedLLMServer:
    """llama.cpp's server for one packaged model; a context manager that starts and stops it."""

    def __init__(
        self,
        model: str = "qwen2.5-0.5b",
        host: str = "127.0.0.1",
        port: int = 8090,
        threads: int | None = None,
        context: int = 4096,
        cache_dir: Path | None = None,
        reuse_prompt_cache: bool = False,
    ) -> None:
        self.model = model
        self.host = host
        self.port = port or free_port(host)
        self.threads = threads or os.cpu_count() or 2
        self.context = context
        self._cache_dir = cache_dir
        self._reuse_prompt_cache = reuse_prompt_cache
        self._server: Any = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (ends in /v1)."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self, timeout_s: float = 120.0) -> str:
        """Load the model, start listening and wait until healthy; returns the base URL."""
        try:
            import xllamacpp
        except ImportError as exc:
            raise ModelUnavailable("xllamacpp is not installed (make install-llm)") from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(model_file(self.model, self._cache_dir))
        params.model_alias = {self.model}
        params.hostnames = [self.host]
        params.port = self.port
        params.n_ctx = self.context
        params.n_parallel = 1
        # Reusing a cached prompt prefix changes the batch shapes and with them the last digits
        # of the logits; without it the same request always gets the same answer and scores.
        params.cache_prompt = self._reuse_prompt_cache
        params.cors_origins = f"http://{self.host}:{self.port}"
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        self._server = xllamacpp.Server(params)
        self._wait_healthy(timeout_s)
        return self.base_url

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://{self.host}:{self.port}/health"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if json.loads(response.read() or b"{}").get("status") == "ok":
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise ModelUnavailable(f"the model server did not become healthy at {url}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server and free the model."""
        self._server = None

    def __enter__(self) -> PackagedLLMServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
