"""Issue 30, 4: nobody can end the last enabled administrator's way into the console, whichever
path ends it (disabling, deleting, revoking) and whichever surface asks (admin API, console, CLI);
two such requests at once cannot both pass. Each backend on a fresh database, so that nobody
else's administrators count."""

from __future__ import annotations

import concurrent.futures

import pytest

from tests.admin_api import admin_session
from tests.admin_console_flows import enter_console, make_admin, post_form
from tests.conftest import Browser, hidden_fields, start_idp
from tests.test_cli_config import cli_env, run  # noqa: F401  (fixture)

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def fresh(request, tmp_path_factory):
    live, stop = start_idp(request.param, tmp_path_factory, database_suffix="_lastadmin")
    yield live
    stop()


def administrators(idp) -> set[str]:
    return {a.user_id for a in idp.services.administrators.list()}


def demote_all_but(idp, keep: set[str]) -> None:
    """Start each test from exactly the administrators `keep` (the operator's shell: no guard)."""
    for user_id in administrators(idp) - keep:
        idp.services.administrators.revoke(user_id)


def assert_last_administrator_conflict(response) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["code"] == "conflict" and "last administrator" in response.json()["detail"]


def test_disabling_or_deleting_the_last_administrator_is_409_over_the_admin_api_rfc9457(fresh):
    api = admin_session(fresh)
    only = fresh.create_user()
    fresh.services.administrators.grant(only.id, granted_by="test")
    demote_all_but(fresh, {only.id})
    path = f"/users/{only.id}"
    tag = api.get(path).headers["ETag"]
    assert_last_administrator_conflict(api.patch(path, json={"disabled": True}, headers={"If-Match": tag}))
    assert_last_administrator_conflict(api.delete(path, headers={"If-Match": tag}))
    assert not fresh.services.users.by_id(only.id).disabled and only.id in administrators(fresh)
    # Other changes of the same user are not refused, and the version did not move on a refusal.
    renamed = api.patch(path, json={"name": "Still here"}, headers={"If-Match": tag})
    assert renamed.status_code == 200, renamed.text


def test_a_disabled_administrator_does_not_count_as_another_one(fresh):
    api = admin_session(fresh)
    active, dormant = fresh.create_user(), fresh.create_user()
    for user in (active, dormant):
        fresh.services.administrators.grant(user.id, granted_by="test")
    demote_all_but(fresh, {active.id, dormant.id})
    dormant_tag = api.get(f"/users/{dormant.id}").headers["ETag"]
    assert api.patch(f"/users/{dormant.id}", json={"disabled": True},
                     headers={"If-Match": dormant_tag}).status_code == 200
    tag = api.get(f"/users/{active.id}").headers["ETag"]
    assert_last_administrator_conflict(api.patch(f"/users/{active.id}", json={"disabled": True},
                                                 headers={"If-Match": tag}))
    admin_tag = api.get(f"/admins/{active.id}").headers["ETag"]
    assert_last_administrator_conflict(api.delete(f"/admins/{active.id}", headers={"If-Match": admin_tag}))
    # A disabled administrator may go: it leaves the enabled one.
    dormant_tag = api.get(f"/users/{dormant.id}").headers["ETag"]
    assert api.delete(f"/users/{dormant.id}", headers={"If-Match": dormant_tag}).status_code == 204
    # Once another is enabled, the first one may be disabled.
    other = fresh.create_user()
    fresh.services.administrators.grant(other.id, granted_by="test")
    tag = api.get(f"/users/{active.id}").headers["ETag"]
    assert api.patch(f"/users/{active.id}", json={"disabled": True}, headers={"If-Match": tag}).status_code == 200


@pytest.mark.parametrize("how", ["disable", "delete", "mixed"])
def test_two_administrators_ended_at_once_cannot_both_go(fresh, how):
    api = admin_session(fresh)
    for attempt in range(4):
        pair = [fresh.create_user(), fresh.create_user()]
        for user in pair:
            fresh.services.administrators.grant(user.id, granted_by="test")
        demote_all_but(fresh, {user.id for user in pair})
        tags = {user.id: api.get(f"/users/{user.id}").headers["ETag"] for user in pair}
        ways = {"disable": ["disable", "disable"], "delete": ["delete", "delete"], "mixed": ["disable", "delete"]}[how]

        def end(n):
            user_id = pair[n].id
            if ways[n] == "disable":
                return api.patch(f"/users/{user_id}", json={"disabled": True}, headers={"If-Match": tags[user_id]})
            return api.delete(f"/users/{user_id}", headers={"If-Match": tags[user_id]})

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(end, [0, 1]))
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([200, 409], [204, 409]), (attempt, [(r.status_code, r.text[:200]) for r in responses])
        enabled = [u for u in pair if (found := fresh.services.users.by_id(u.id)) and not found.disabled
                   and u.id in administrators(fresh)]
        assert len(enabled) == 1, attempt


def test_the_console_refuses_to_disable_the_last_administrator_with_409(fresh):
    admin, secret = make_admin(fresh)
    demote_all_but(fresh, {admin.id})
    browser = Browser(fresh)
    assert enter_console(browser, admin, secret).status_code == 200
    page = browser.go(fresh.endpoint(f"/admin/users/{admin.id}"))
    asked = post_form(browser, f"/admin/users/{admin.id}/disable", page)
    assert asked.status_code == 200 and "Disable this account?" in asked.text
    refused = browser.go(fresh.endpoint(f"/admin/users/{admin.id}/disable"), "POST", hidden_fields(asked.text))
    assert refused.status_code == 409 and "last administrator who can enter the console" in refused.text
    assert not fresh.services.users.by_id(admin.id).disabled
    # Another administrator's account may be deleted from the console, but the last one's may not.
    other = fresh.create_user()
    fresh.services.administrators.grant(other.id, granted_by="test")
    page = browser.go(fresh.endpoint(f"/admin/users/{other.id}"))
    asked = post_form(browser, f"/admin/users/{other.id}/delete", page)
    done = browser.go(fresh.endpoint(f"/admin/users/{other.id}/delete"), "POST", hidden_fields(asked.text))
    assert done.status_code == 200 and fresh.services.users.by_id(other.id) is None


def test_idp_users_disable_and_delete_refuse_the_last_administrator_with_exit_1(cli_env):
    made = run(["users", "create", "--email", "only@example.com", "--password-stdin"], cli_env,
               stdin="s3cret-password\n")
    assert made.returncode == 0, made.stderr
    assert run(["admins", "grant", "--email", "only@example.com"], cli_env).returncode == 0
    for args in (["users", "disable", "--email", "only@example.com"],
                 ["users", "delete", "--email", "only@example.com", "--yes"]):
        refused = run(args, cli_env)
        assert refused.returncode == 1 and "last administrator" in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr
    listed = run(["users", "list"], cli_env).stdout
    assert "only@example.com" in listed and "active" in listed
