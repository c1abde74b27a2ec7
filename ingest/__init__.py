"""Ingestion: loading, cleaning, token-aware chunking, embedding and the index."""
