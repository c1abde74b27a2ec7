"""Prompt templates for LLM answerers, kept as files and loaded at run time."""
