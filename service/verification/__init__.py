"""Check every citation a model makes against the passage it points at."""
