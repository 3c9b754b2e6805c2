"""The account page's profile fields (issue 35): a user edits the user_metadata members the operator
declares (USER_METADATA_FIELDS), as their type, and nothing else: a forged POST naming app_metadata
or an undeclared member changes neither, and the change reaches the user's next ID token."""

from __future__ import annotations

import pytest

from ..apis_helpers import claims_of, code_flow
from ..conftest import Browser, start_idp
from ..flows import sign_in, submit

FIELDS = (("nickname", "string", "Nickname"), ("shoe_size", "number", "Shoe size"),
          ("newsletter", "boolean", "Send me news"))


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def live(request, tmp_path_factory):
    live, stop = start_idp(request.param, tmp_path_factory, database_suffix="_profile_fields",
                           user_metadata_fields=FIELDS, user_metadata_max_bytes=300)
    yield live
    stop()


def test_user_edits_the_declared_fields_and_the_next_id_token_carries_them(live):
    user = live.create_user()
    client, secret = live.create_client(scope="openid profile", claim_mappings=[
        {"claim": "nick", "from": "user_metadata.nickname"}, {"claim": "news", "from": "user_metadata.newsletter"}])
    browser = Browser(live)
    sign_in(browser, user.email)
    assert "Edit profile" in browser.go(live.endpoint("/account")).text
    page = browser.go(live.endpoint("/account/profile"))
    assert page.status_code == 200 and "Nickname" in page.text and "Send me news" in page.text
    done = submit(browser, "/account/profile", page, nickname="Amazing Grace", shoe_size="38.5", newsletter="on")
    assert "Your profile was saved." in done.text
    assert live.services.users.record(user.id).user_metadata == {"nickname": "Amazing Grace", "shoe_size": 38.5,
                                                                 "newsletter": True}
    token = code_flow(live, browser, client, secret, user, scope="openid profile")
    id_token = claims_of(token["id_token"])
    assert id_token["nick"] == "Amazing Grace" and id_token["news"] is True

    again = submit(browser, "/account/profile", nickname="", shoe_size="38.5")  # emptied, unchecked
    assert again.status_code == 200
    assert live.services.users.record(user.id).user_metadata == {"shoe_size": 38.5, "newsletter": False}


def test_a_forged_post_cannot_set_app_metadata_or_an_undeclared_member(live):
    user = live.create_user()
    live.services.users.update_if_unchanged(user.id, live.services.users.record(user.id).updated_at,
                                            app_metadata={"plan": "free"}, user_metadata={"kept": 1})
    browser = Browser(live)
    sign_in(browser, user.email)
    submit(browser, "/account/profile", nickname="Eve", app_metadata='{"plan": "gold"}', plan="gold",
           **{"app_metadata.plan": "gold", "user_metadata": '{"admin": true}', "kept": "2", "admin": "true"})
    record = live.services.users.record(user.id)
    assert record.app_metadata == {"plan": "free"}
    assert record.user_metadata == {"kept": 1, "nickname": "Eve", "newsletter": False}


def test_wrong_types_and_the_size_bound_are_refused_with_a_page_not_a_500(live):
    user = live.create_user()
    browser = Browser(live)
    sign_in(browser, user.email)
    wrong = submit(browser, "/account/profile", shoe_size="big", nickname="ok")
    assert wrong.status_code == 400 and "Shoe size" in wrong.text
    control = submit(browser, "/account/profile", nickname="a\x01b")
    assert control.status_code == 400
    live.services.users.update_if_unchanged(user.id, live.services.users.record(user.id).updated_at,
                                            user_metadata={"filler": "x" * 200})
    too_big = submit(browser, "/account/profile", nickname="y" * 150)
    assert too_big.status_code == 400 and "too long" in too_big.text
    assert live.services.users.record(user.id).user_metadata == {"filler": "x" * 200}
    no_csrf = Browser(live)
    sign_in(no_csrf, user.email)
    assert no_csrf.go(live.endpoint("/account/profile"), "POST", {"nickname": "z"}).status_code == 400


def test_without_declared_fields_there_is_no_profile_page(idp):
    user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, user.email)
    assert browser.go(idp.endpoint("/account/profile")).status_code == 404
    assert "Edit profile" not in browser.go(idp.endpoint("/account")).text
