"""Ingestion: load documents, chunk them by structure, embed them and keep the store in step."""
