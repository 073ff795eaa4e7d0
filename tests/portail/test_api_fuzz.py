"""Schemathesis against the OpenAPI schema, logged in as a guardian: no 5xx, and every response
matches the schema. Examples are bounded so that the run fits in CI."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings

MAX_EXAMPLES = 20
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
FIGURES = {"operations": 0, "cases": 0}


def _guardian_credentials(user):
    client = Client()
    client.force_login(user)
    token = "a" * 32
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    return cookies, {"X-CSRFToken": token, "Referer": "http://testserver/"}


@pytest.fixture
def keep_test_connection():
    """A real WSGI handler closes the database connection at each request's end, which would end
    the test's transaction; Django's test client detaches the same signal handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_api_never_fails_and_answers_as_documented(family, other_family, keep_test_connection):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
    cookies, headers = _guardian_credentials(family.user)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:
        FIGURES["operations"] += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case):
            FIGURES["cases"] += 1
            response = case.call(cookies=cookies, headers=headers)
            assert response.status_code < 500, f"{operation.label}: {response.status_code} {response.text[:300]}"
            case.validate_response(response, checks=CHECKS)

        exercise()
