"""Generative mode: any OpenAI-compatible chat server, and the packaged Qwen behind one."""
