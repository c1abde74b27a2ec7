"""Question sets shipped with ragchat (JSONL)."""
