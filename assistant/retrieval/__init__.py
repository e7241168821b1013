"""Finding passages: dense search fused with BM25 (`hybrid`), the lexical index (`lexical`) and
the ranking stage that reorders the fused candidates (`ranking`)."""
