"""Schemathesis over the app's OpenAPI spec, bounded: no 5xx, and every status documented."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from service.components import Components
from service.main import create_app

EXAMPLES = 30  # per operation; derandomized, so every run sends the same requests


def test_no_server_errors_and_only_documented_statuses(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    """Every operation of the spec, fuzzed against the real app on the sample article."""
    comps = make_components(rate_limit={"per_ip": "0", "per_key": "0"})
    comps.ingestor.ingest([article_dir], collection="default")
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(components=comps))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    sent: dict[str, int] = {}

    for operation in operations:
        for mode in schemathesis.GenerationMode:
            with contextlib.suppress(Exception):  # recorded in failures
                fuzzer(operation, mode, sent, failures)()
    assert sum(sent.values()) >= 300, sent
    assert not failures, "\n".join(failures)


def fuzzer(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    sent: dict[str, int],
    failures: list[str],
) -> Callable[[], None]:
    """A Hypothesis test of one operation, with valid or with invalid input, that records
    what it sent and what failed."""
    label = f"{operation.label} ({mode.value})"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case) -> None:
        sent[label] = sent.get(label, 0) + 1
        try:
            case.call_and_validate(checks=[not_a_server_error, status_code_conformance])
        except Exception as exc:
            failures.append(f"{label}: {str(exc)[:600]}")
            raise

    return fuzz  # type: ignore[no-any-return]
