"""Answerers turn a question and retrieved chunks into an answer with citations."""
