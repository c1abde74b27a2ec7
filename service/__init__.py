"""ragchat service: retrieval, answering with citations, HTTP API and CLI."""

__version__ = "0.1.0"
