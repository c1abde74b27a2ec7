"""Eval suites: datasets, metrics and the runner."""
