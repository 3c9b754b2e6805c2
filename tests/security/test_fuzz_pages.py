"""Issue 30, "Keep it fixed": the fuzz pass over the hosted pages' forms (login, registration,
forgotten and reset password, email verification, second factor, consent, logout confirmation,
device verification, the account page), on both backends: each POST carries the page's real CSRF
token most of the time, so that the hostile values reach the form's logic. Invariants as in
test_fuzz_endpoints.py."""

from __future__ import annotations

import requests
from hypothesis import strategies as st

from ..conftest import PASSWORD, REDIRECT_URI, Browser
from ..flows import sign_in
from .fuzz_targets import page_post, run, run_log, targets  # noqa: F401  (fixtures)
from .fuzz import MARK, form_request, hostile_headers, hostile_text


def test_login_and_registration_pages_keep_the_invariants(targets, run_log):
    t = targets
    http = Browser(t.idp).http
    email = st.sampled_from([t.email, "nobody@example.com", f"<{MARK}>@example.com"])
    password = st.sampled_from([PASSWORD, "wrong password"])
    forms = {
        "/login": {"email": email, "password": password, "next": st.just("/device")},
        "/register": {"email": email, "password": password, "name": hostile_text()},
        "/forgot-password": {"email": email},
    }
    queries = {"/login": {"interaction": hostile_text(), "next": st.just("/device"), "login_hint": hostile_text()},
               "/register": {"interaction": hostile_text()}, "/forgot-password": {"email": hostile_text()}}

    def plan(data):
        path = data.draw(st.sampled_from(sorted(forms)))
        if data.draw(st.booleans()):
            case = data.draw(form_request("GET", path, queries[path], hostile_headers()))
        else:
            case = page_post(data, t, http, path, path, forms[path])
        return case.send(t.idp.url, http)

    run(plan, {302, 401})


def test_emailed_link_pages_keep_the_invariants(targets, run_log):
    t = targets
    http = Browser(t.idp).http
    token = st.sampled_from([t.reset_token, "x" * 43])

    def plan(data):
        method, path = data.draw(st.sampled_from([("GET", "/reset-password"), ("POST", "/reset-password"),
                                                  ("GET", "/verify-email"), ("POST", "/verify-email")]))
        if method == "POST" and path == "/reset-password":
            case = page_post(data, t, http, path, f"{path}?token={t.reset_token}",
                             {"token": token, "password": st.sampled_from(["short", "password"])})  # kept unused
        else:
            case = data.draw(form_request(method, path, {"token": token if path == "/reset-password" else
                                                         hostile_text()}))
        return case.send(t.idp.url, http)

    run(plan, {200})


def test_second_factor_page_keeps_the_invariants(targets, run_log):
    t = targets

    def plan(data):
        browser = Browser(t.idp)
        sign_in(browser, t.totp_email)
        return page_post(data, t, browser.http, "/login/mfa", "/login/mfa",
                         {"code": st.sampled_from(["123456", "aaaa-bbbb"]), "interaction": hostile_text()}
                         ).send(t.idp.url, browser.http)

    run(plan, {401})


def test_consent_logout_and_device_pages_keep_the_invariants(targets, run_log):
    t = targets
    user = t.signed_in()

    def consent(data):
        start = user.http.get(t.idp.url + "/authorize", timeout=10, allow_redirects=False, params={
            "response_type": "code", "client_id": t.client_id, "redirect_uri": REDIRECT_URI, "scope": "openid",
            "prompt": "consent", "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256"})
        page = start.headers.get("Location", "").removeprefix(t.idp.url)
        assert page.startswith("/consent"), (start.status_code, page)
        return page_post(data, t, user.http, "/consent", page,
                         {"allow": st.just("1"), "deny": st.just("1"), "interaction": hostile_text()})

    def device(data):
        code = t.user_code()
        typed = st.sampled_from([code, code.lower().replace("-", ""), "AAAA-AAAA"])
        kind = data.draw(st.sampled_from(["get", "code", "confirm"]))
        if kind == "get":
            return data.draw(form_request("GET", "/device", {"user_code": typed}))
        choice = {"allow": st.just("1"), "deny": st.just("1")} if kind == "confirm" else {}
        return page_post(data, t, user.http, "/device" if kind == "code" else "/device/confirm", "/device",
                         {"user_code": typed} | choice)

    def logout(data):
        if data.draw(st.booleans()):
            return data.draw(form_request("GET", "/logout", {"logout_request": hostile_text()}))
        # the CSRF token of another browser: a valid one would sign this user out for the examples after
        return page_post(data, t, requests.Session(), "/logout", "/logout", {"logout_request": hostile_text()})

    run(lambda data: data.draw(st.sampled_from([consent, device, logout]))(data).send(t.idp.url, user.http), {302})


def test_account_page_forms_keep_the_invariants(targets, run_log):
    """The signed-in forms, as their own user (a change of password or sessions stays with them)."""
    t = targets
    owner = t.idp.create_user()
    browser = t.signed_in(owner.email)
    forms = {
        "/account/password": {"current_password": st.sampled_from(["not my password", PASSWORD]),
                              "password": hostile_text()},
        "/account/mfa": {"password": st.sampled_from(["not my password"]), "code": st.sampled_from(["123456"])},
        "/account/sessions/end": {"handle": st.sampled_from(["x" * 20, "others"])},
        "/account/apps/revoke": {"client_id": st.just(t.client_id), "confirmed": st.sampled_from(["", "yes"])},
        "/account/linked/remove": {"provider": hostile_text(), "subject": hostile_text()},
    }

    def plan(data):
        path = data.draw(st.sampled_from(sorted(forms)))
        page = "/account/mfa" if path == "/account/mfa" else "/account/password"  # each holds a CSRF token
        return page_post(data, t, browser.http, path, page, forms[path]).send(t.idp.url, browser.http)

    run(plan, {302})
