"""Runs last (see conftest.pytest_collection_modifyitems): the log of the whole run, in the
production format, holds none of the passwords, client secrets, tokens and codes the tests used."""

import json

import pytest

from . import conftest


def test_the_run_log_holds_no_password_secret_token_or_code(request):
    if request.session.testscollected < 50:
        pytest.skip("meaningful only at the end of the full suite")
    with open(conftest.RUN_LOG) as handle:
        log = handle.read()
    assert log.count("\n") > 100, "the run log captured almost nothing: is logging configured?"
    assert len(conftest.SECRETS_SEEN) > 50, "the secrets of the run were not harvested"
    leaked = sorted(secret for secret in conftest.SECRETS_SEEN if secret in log)
    assert not leaked, f"{len(leaked)} secrets in {conftest.RUN_LOG}, e.g. {leaked[0][:6]}…"


def test_the_run_log_is_json_lines_with_level_and_timestamp():
    with open(conftest.RUN_LOG) as handle:
        lines = [line for line in handle if line.startswith("{")]
    assert lines
    for line in lines[:500]:
        record = json.loads(line)
        assert {"timestamp", "level", "logger", "message"} <= set(record)
