"""Offline metrics, one module each; every function is pure and unit-tested."""

from evals.metrics.answer import answers_all, contains_alias, normalize, supported_by

__all__ = ["answers_all", "contains_alias", "normalize", "supported_by"]
