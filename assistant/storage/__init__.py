"""What the engine keeps: the Chroma chunk store, the document catalogue built on it, and the
feedback database."""
