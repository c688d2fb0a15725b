"""Schemathesis against the REST API's own OpenAPI document: every operation, valid and invalid input, on an
organization seeded with one object of each kind so that some paths reach real rows. Whatever comes in, the API
answers without a 5xx, and every 4xx is JSON with a "detail" (SPEC appendix A: errors are `{"detail": ...}`).

CI runs a few examples per operation on SQLite; `PORTICO_FUZZ_EXAMPLES=N` (the nightly run) asks for N examples per
operation and mode, on SQLite and PostgreSQL. The number of requests sent is printed (`pytest -s`) and recorded as
the test's `schemathesis_requests` property (`--junitxml`)."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckContext, CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi

from tests.support.hostile import FuzzWorld, fuzz_app, real_ids_for

NIGHTLY_EXAMPLES = int(os.environ.get("PORTICO_FUZZ_EXAMPLES", "0") or 0)
CI_EXAMPLES = 8  # per operation and kind of input (valid, invalid): about 0.4 s an operation here
EXAMPLES = NIGHTLY_EXAMPLES or CI_EXAMPLES

# Body fields that name another object: a generated UUID is always unknown, so half the cases use a seeded one.
ID_FIELDS = ("client_id", "project_id")

# Requests sent by the last run per database ("sqlite", "postgres"), for whoever quotes the number.
REQUESTS_SENT: dict[str, int] = {}


def detail_on_4xx(_ctx: CheckContext, response: schemathesis.Response, _case: Case) -> bool | None:
    """A refusal is JSON with a "detail", as the API promises for its errors."""
    if 400 <= response.status_code < 500:
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"{response.status_code} is not JSON: {response.text[:200]!r}") from None
        assert isinstance(body, dict) and "detail" in body, f"{response.status_code} without detail: {body!r}"
    return None


CHECKS: list[CheckFunction] = [not_a_server_error, detail_on_4xx]


# SQLite always; PostgreSQL in the nightly-sized run only (in CI it would double the time for little more). Not a
# skipped case in CI: the case does not exist there.
DATABASES = ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)] if NIGHTLY_EXAMPLES else [])]


@pytest.fixture(params=DATABASES)
def fuzz_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.getfixturevalue(f"{request.param}_url")


def fuzz_operation(operation: Any, seeded: FuzzWorld, sent: Counter[str], statuses: Counter[int]) -> None:
    """`EXAMPLES` valid and `EXAMPLES` invalid cases of one operation, some with seeded ids; raises on a failure
    (hypothesis shrinks it first)."""
    path_names = [parameter.name for parameter in operation.path_parameters]
    # The token is fixed, not generated: a mutated Authorization header only ever meets the 401 of the tests of
    # access, and would spend a quarter of the examples there.
    headers = {"Authorization": f"Bearer {seeded.token}"}
    fixed: list[dict[str, Any]] = [{}]
    if path_names:
        fixed.append({"path_parameters": real_ids_for(path_names, seeded)})
    strategies = [
        operation.as_strategy(generation_mode=mode, headers=headers, **extra)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for extra in fixed
    ]

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), use_seeded=st.booleans())
    def run(case: Case, use_seeded: bool) -> None:
        if use_seeded and isinstance(case.body, dict):
            for name in ID_FIELDS:
                if name in case.body:
                    case.body[name] = seeded.ids[name]
        response = case.call(headers=headers)
        sent[operation.label] += 1
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def test_no_input_makes_the_api_fail_or_answer_without_detail(
    fuzz_database_url: str, request: pytest.FixtureRequest, record_property: Any
) -> None:
    seeded = FuzzWorld()
    app = fuzz_app(fuzz_database_url, seeded)
    started = time.monotonic()
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    try:
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)  # runs the lifespan: the seeding
        operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
        assert len(operations) > 40, "the API's operations were not all found"
        for operation in operations:
            try:
                fuzz_operation(operation, seeded, sent, statuses)
            except Exception as exc:  # every operation gets its run; the failures are reported together
                failures.append(f"{operation.label}: {exc}")
    finally:
        asgi.shutdown_lifespans()  # closes the engine on the loop that used it
    total = sum(sent.values())
    name = request.node.callspec.params["fuzz_database_url"]
    REQUESTS_SENT[name] = total
    record_property("schemathesis_requests", total)
    print(
        f"\nschemathesis ({name}): {total} requests over {len(sent)} operations, {EXAMPLES} examples per operation "
        f"and mode, in {time.monotonic() - started:.1f} s; statuses {dict(sorted(statuses.items()))}"
    )
    assert not failures, "\n\n".join(failures)
