"""/token's failure budgets (issue 16): one client's refused attempts (a wrong secret in one
deployment) do not lock every other client behind the same address, while guessing one client's
secret (RFC 6749 10.10, RFC 9700 4.x: credential guessing must be made infeasible) from one
address or from many is still stopped. The embedded default counts in process; X-Forwarded-For
from the loopback proxy gives each request the address it names."""

from __future__ import annotations

import pytest
import requests

from idp.plumbing.ratelimit import TokenBudgets

from .conftest import start_idp

BUDGET = 2
WIDE = BUDGET * TokenBudgets.SPREAD


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, rate_limit_max_requests=BUDGET)
    yield live
    stop()


def token(live, client_id, secret, address="198.51.100.1") -> int:
    return requests.post(live.endpoint("/token"), auth=(client_id, secret), timeout=5,
                         headers={"X-Forwarded-For": address}, data={"grant_type": "client_credentials"}).status_code


def service(live):
    return live.create_client(grant_types=["client_credentials"], redirect_uris=[], name="Service")


def test_a_wrong_secret_in_one_deployment_does_not_lock_other_clients_behind_the_same_address(live):
    broken, _ = service(live)
    healthy, secret = service(live)
    neighbour = "198.51.100.10"
    assert [token(live, broken.client_id, "stale secret", neighbour) for _ in range(3)] == [401, 401, 429]
    assert token(live, healthy.client_id, secret, neighbour) == 200
    assert token(live, healthy.client_id, "one typo", neighbour) == 401  # its own budget, untouched
    assert token(live, broken.client_id, "stale secret", "198.51.100.11") == 401  # elsewhere: its own pair


def test_guessing_one_clients_secret_from_many_addresses_is_stopped(live):
    target, secret = service(live)
    answers = [token(live, target.client_id, f"guess {n}", f"203.0.113.{n}") for n in range(WIDE + 2)]
    assert answers[:WIDE] == [401] * WIDE and answers[WIDE:] == [429, 429]
    # The documented price: the client is refused from everywhere until the window ends...
    assert token(live, target.client_id, secret, "203.0.113.200") == 429
    other, other_secret = service(live)
    assert token(live, other.client_id, other_secret, "203.0.113.1") == 200  # ...other clients are not


def test_one_address_trying_many_clients_is_stopped(live):
    address = "192.0.2.77"
    answers = [token(live, f"made-up-{n}", "guess", address) for n in range(WIDE + 1)]
    assert answers[:WIDE] == [401] * WIDE and answers[WIDE] == 429
    real, secret = service(live)
    assert token(live, real.client_id, secret, address) == 429
    assert token(live, real.client_id, secret, "192.0.2.78") == 200
