"""/openapi.json tells the truth: schemathesis generates requests from it (valid and not) against
the live servers, with real credentials, and finds no 500 and no response the description
does not allow (status, content type, headers, body schema)."""

from __future__ import annotations

import base64
import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .admin_api import admin_session
from .conftest import Browser
from .security.fuzz import RunLogWatch, schemathesis_check
from .test_code_flow import run_code_flow

# and the invariants of issue 30's fuzz pass: no exception text, no unescaped echo, no input in a header
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, schemathesis_check()]


@pytest.fixture(scope="module")
def credentials(idp):
    """A confidential client (basic auth) and a user's access token with openid (bearer)."""
    client, secret = idp.create_client()
    import dataclasses

    client = dataclasses.replace(client, client_metadata={"secret": secret})
    _, _, token, _, _ = run_code_flow(idp, Browser(idp), client, idp.create_user())
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    admin = admin_session(idp)  # an operator-made admin client's own token (issue 15)
    return {"basic": f"Basic {basic}", "bearer": f"Bearer {token['access_token']}",
            "admin": admin.http.headers["Authorization"]}


def test_openapi_json_is_a_valid_openapi_3_1_document(idp):
    document = requests.get(idp.endpoint("/openapi.json"), timeout=5).json()
    validate(document)
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": idp.url}]
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in idp.app.url_map.iter_rules()}
    assert set(document["paths"]) <= routes  # nothing described that the app does not serve


def test_api_conforms_to_its_openapi_description(idp, credentials):
    """Every operation, a bounded number of generated requests each (schemathesis' strategies
    driven by hypothesis directly: its pytest plugin does not support this pytest yet)."""
    scheme = {"/userinfo": "bearer", "/token": "basic", "/introspect": "basic", "/revoke": "basic"}
    operations = [result.ok() for result in schemathesis.openapi.from_url(idp.url + "/openapi.json")
                  .get_all_operations()]
    assert {"POST /token", "GET /userinfo", "POST /introspect", "POST /revoke", "GET /admin/api/v1/users",
            "PATCH /admin/api/v1/users/{user_id}"} <= {op.label for op in operations}

    admin_statuses = []
    watch = RunLogWatch()
    for operation in operations:
        kind = "admin" if operation.path.startswith("/admin/api/") else scheme.get(operation.path)
        headers = {"Authorization": credentials[kind]} if kind else {}

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def conforms(case):
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            if kind == "admin":
                admin_statuses.append(response.status_code)

        conforms()
    watch.assert_clean()  # and the server logged no traceback meanwhile
    # the admin API was exercised with its token, not only refused at the door (RFC 6750 3.1)
    assert any(200 <= status < 300 for status in admin_statuses) and 401 not in admin_statuses
