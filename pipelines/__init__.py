"""llmcost: an LLM API cost warehouse (ingest -> lake -> price -> DuckDB marts)."""

__version__ = "0.1.0"
