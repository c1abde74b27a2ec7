"""Chat-model backends behind one method, `stream(messages)`."""
