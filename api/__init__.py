"""The HTTP service and command line: thin layers over `assistant` and `ingest`."""
