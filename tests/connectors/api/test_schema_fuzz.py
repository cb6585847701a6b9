"""Schema-driven fuzzing: Schemathesis generates requests from /api/schema/ for every
operation, valid and invalid ones, and every answer must be no 500 and match the schema.

Bounded: a fixed number of examples per operation and mode (about a thousand requests, a
minute), a deadline per request, derandomized so a run is repeatable, and git kept short
(generated repository URLs are unreachable).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connectors.models import ConnectorStaged

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION_AND_MODE = 40
# No generated request may take longer (git, the slowest part, gives up after 2 s here).
DEADLINE = timedelta(seconds=10)


@contextlib.contextmanager
def connection_kept_between_requests() -> Iterator[None]:
    """As Django's test client does: a request's end must not close the test's connection
    (the test's transaction lives on it). The test client connects the receivers again
    after each of its own requests, hence a block around the calls, not a fixture."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fixed_path_parameters(operation, draft) -> dict[str, str]:
    """Operations on one draft address a real one (of their own: some delete it)."""
    names = {parameter.name for parameter in operation.path_parameters}
    if "drafts" not in operation.path or not names:
        return {}
    return {"id": draft["id"]} if "id" in names else {"key": draft["key"]}


def reaching_the_database(case, good_repository_url: str) -> None:
    """Let generated values get past the two checks that would stop nearly all of them
    before any write: the draft's current version, and a repository that can be read."""
    body = case.body if isinstance(case.body, dict) else None
    lookup = dict(case.path_parameters or {})
    if lookup and "drafts" in case.operation.path:
        current = ConnectorStaged.objects.filter(**lookup).values_list("version", flat=True)
        version = current.first()
        if version is not None and body is not None and isinstance(body.get("version"), int):
            body["version"] = version
        if version is not None and isinstance(case.query, dict) and "version" in case.query:
            case.query["version"] = version
    if body is not None and isinstance(body.get("repository"), dict):
        body["repository"].update(url=good_repository_url, tag="1.0.0")


def fuzz(operation, mode, headers, path_parameters, statuses: Counter, repository) -> None:
    """Call ``operation`` with generated requests; raises at the first failed check."""
    strategy = operation.as_strategy(
        generation_mode=mode, headers=headers, path_parameters=path_parameters
    )

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
        deadline=DEADLINE,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case):
        if mode is GenerationMode.POSITIVE:
            reaching_the_database(case, repository)
        response = case.call(headers=headers)
        statuses[(operation.label, response.status_code)] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        call()
    except Unsatisfiable:
        # Nothing to make invalid: every parameter of the operation is fixed (the draft's id).
        if mode is not GenerationMode.NEGATIVE:
            raise


@pytest.mark.timeout(600)
def test_generated_requests_never_answer_500_and_match_the_schema(
    api, create_draft, good_repo, settings
):
    settings.CONNECTORS_REQUEST_GIT_TIMEOUT_SECONDS = 2
    headers = {"Authorization": f"Bearer {api.token}"}
    statuses: Counter[tuple[str, int]] = Counter()
    drafts = iter([create_draft(key=f"fuzzed-{n}") for n in range(20)])

    with connection_kept_between_requests():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        for result in schema.get_all_operations():
            operation = result.ok()
            path_parameters = fixed_path_parameters(operation, next(drafts))
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(operation, mode, headers, path_parameters, statuses, good_repo.url)

    assert statuses, "no operation was exercised"
    assert not [key for key in statuses if key[1] >= 500]
