"""What the fuzz pass of issue 30 works with: real credentials and artefacts on one live IdP
(so that hostile values reach past the checks), the run-log watch, and the loop that draws, sends
and checks that the fuzz got past the door."""

from __future__ import annotations

import base64
import dataclasses

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from ..conftest import REDIRECT_URI, Browser, hidden_fields, mail_link
from ..flows import enrol_totp, sign_in
from ..test_code_flow import run_code_flow
from .fuzz import FUZZ, Hostile, RunLogWatch, form_request, hostile_headers

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANTS = ("client_credentials", "refresh_token", "authorization_code", DEVICE_GRANT,
          "urn:ietf:params:oauth:grant-type:jwt-bearer", "password", "implicit")


@dataclasses.dataclass
class Targets:
    """Real credentials and artefacts on one live IdP, so that hostile values reach past the checks."""

    idp: object
    client: object
    user: object
    client_id: str
    secret: str
    public_id: str
    device_id: str
    access_token: str
    refresh_token: str
    id_token: str
    email: str
    totp_email: str
    registration_uri: str
    registration_token: str
    reset_token: str

    @property
    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()

    def tokens(self) -> dict:
        """A fresh code flow's tokens, for a test that may revoke or rotate them."""
        return run_code_flow(self.idp, Browser(self.idp), self.client, self.user)[2]

    def user_code(self) -> str:
        response = requests.post(self.idp.endpoint("/device_authorization"), timeout=10,
                                 data={"client_id": self.device_id, "scope": "openid profile"})
        assert response.status_code == 200, response.text
        return response.json()["user_code"]

    def signed_in(self, email: str | None = None) -> Browser:
        browser = Browser(self.idp)
        sign_in(browser, email or self.email)
        assert browser.http.cookies, "no session after sign-in"
        return browser


@pytest.fixture(scope="module")
def targets(idp, mailbox) -> Targets:
    client, secret = idp.create_client(grant_types=["authorization_code", "refresh_token", "client_credentials"],
                                       metadata={"post_logout_redirect_uris": [REDIRECT_URI + "/bye"]})
    public, _ = idp.create_client(public=True, name="Public RP")
    device, _ = idp.create_client(name="TV", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT, "refresh_token"])
    user = idp.create_user()
    client = dataclasses.replace(client, client_metadata={"secret": secret})
    _, _, token, _, _ = run_code_flow(idp, Browser(idp), client, user)
    totp_user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, totp_user.email)
    enrol_totp(browser)
    registered = requests.post(idp.endpoint("/connect/register"), timeout=10, json={
        "client_name": "Registered", "redirect_uris": [REDIRECT_URI]},
        headers={"Authorization": "Bearer " + idp.services.initial_access_tokens.create(600, uses=1)}).json()
    reset_user = idp.create_user()
    with idp.app.test_request_context():  # what an administrator's "send a reset link" does
        idp.services.accounts.send_password_reset(reset_user)
    reset_link = mail_link(mailbox.wait_for(reset_user.email, ""), "/reset-password")
    return Targets(idp, client, user, client.client_id, secret, public.client_id, device.client_id,
                   token["access_token"], token["refresh_token"], token["id_token"], user.email, totp_user.email,
                   registered["registration_client_uri"], registered["registration_access_token"],
                   reset_link.split("token=", 1)[1])


@pytest.fixture
def run_log():
    watch = RunLogWatch()
    yield watch
    watch.assert_clean()


def mostly(valid: str, *others: str) -> st.SearchStrategy[str]:
    """The valid value most of the time, else one of its valid-looking neighbours."""
    return st.sampled_from([valid] * 3 + list(others))


def run(plan, reach: set[int]) -> None:
    """plan(data) draws one hostile request (interactively: some need a page fetched first), sends it
    and returns the response. Some response must have a status in `reach`: the fuzz got past the
    door (authentication, CSRF) to the code behind it, not only refused at it."""
    seen = {}

    @given(data=st.data())
    @FUZZ
    def example(data):
        response = plan(data)
        seen.setdefault(response.status_code, f"{response.request.method} {response.request.path_url[:80]}: "
                                              f"{response.text[:300]}")

    example()
    assert reach & set(seen), f"never reached the logic behind the checks: {seen}"


def sending(t: Targets, strategy: st.SearchStrategy, http: requests.Session | None = None):
    return lambda data: data.draw(strategy).send(t.idp.url, http)


def page_post(data, t: Targets, http: requests.Session, path: str, page_path: str, fields: dict) -> Hostile:
    """GET the page (CSRF token, hidden fields), then a hostile POST of its form: the real CSRF token
    most of the time, so that the values reach the form's logic."""
    page = http.get(t.idp.url + page_path, timeout=10, allow_redirects=False)
    hidden = hidden_fields(page.text)  # the fields drawn never depend on the page: hypothesis replays draws
    known = {name: st.one_of(st.just(hidden.get(name, "")), st.just(hidden.get(name, "")), values)
             for name, values in fields.items()}
    csrf = hidden.get("csrf_token", "")
    known["csrf_token"] = st.sampled_from([csrf, csrf, csrf, "x" + csrf[1:]])
    case = data.draw(form_request("POST", path, known, hostile_headers()))
    return dataclasses.replace(case, query="") if data.draw(st.integers(0, 3)) else case  # mostly the form's action
