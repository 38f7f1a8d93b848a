"""The reports API and /search.json answer as their OpenAPI document says (schemathesis, in-process WSGI).

Every operation of /openapi.json gets generated requests, valid and invalid by the
document: valid ones must not be refused, invalid ones must be refused with a 4xx,
and every answer must match its documented status, media type and schema. The
parameter schemas and the validators come from the same definitions
(kg.reports.params), so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

#: Examples per operation and generation mode: bounded so the whole run stays well under a minute.
MAX_EXAMPLES = 6


def _failures(operation: Any, mode: Any) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate()
        except (AssertionError, FailureGroup) as error:
            found.append(f"{case.method} {case.formatted_path} query={case.query!r}: {error}")

    run()
    return found


def test_reports_api_keeps_its_openapi_contract(make_app: Callable[..., Flask]) -> None:
    app = make_app(local=True)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    # A URL over the server's length limit (KG_MAX_URL_LENGTH) is refused with a documented
    # 414 whatever its parameters: two 1,000-character parameters can reach it.
    for check in (
        schema.config.checks.positive_data_acceptance,
        schema.config.checks.negative_data_rejection,
    ):
        check.expected_statuses = [*check.expected_statuses, "414"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    # The search is in the document, so it is held to the same contract as the reports.
    assert "/search.json" in {operation.path for operation in operations}
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not operation.definition.raw.get("parameters"):
                continue  # nothing to get wrong in a request without parameters
            failures.extend(_failures(operation, mode))
    assert not failures, f"{len(failures)} contract failures:\n" + "\n\n".join(failures[:20])


@pytest.mark.parametrize(
    ("query", "status"),
    [
        pytest.param("author=Weiran+Huang&limit=", 400, id="blank-limit"),
        pytest.param("author=Weiran+Huang&offset=", 400, id="blank-offset"),
        pytest.param("author=Weiran+Huang&limit=100001", 400, id="limit-over-maximum"),
        pytest.param("author=Weiran+Huang&author=Someone", 400, id="repeated"),
        pytest.param("author=Weiran+Huang&subject=" + "+" * 1001, 400, id="long-blank"),
        pytest.param("author=+", 400, id="blank-required"),
        pytest.param("author=Weiran+Huang&year=", 200, id="blank-optional"),
        pytest.param("author=Weiran+Huang&limit=5&offset=0", 200, id="paging"),
        # JSON Schema's integer is any number without a fraction: 2024.0 is one, 02024 is not.
        pytest.param("author=Weiran+Huang&year=2024.0", 200, id="integral-number"),
        pytest.param("author=Weiran+Huang&limit=05", 400, id="leading-zero"),
    ],
)
def test_request_edges_answer_as_the_document_says(client, query: str, status: int) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/reports/author-papers.json?{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:300]
