"""The chat model of generative mode: LangChain's OpenAI client pointed at any compatible server."""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_openai import ChatOpenAI

from assistant.settings import LLMSettings


def chat_model(settings: LLMSettings) -> BaseChatModel:
    """A chat model for `settings.base_url` (OpenAI, vLLM, Ollama, llama.cpp's server)."""
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        temperature=settings.temperature,
        max_completion_tokens=settings.max_tokens,
        timeout=settings.timeout_s,
        max_retries=1,
    )
