"""The console's client form (issue 34): parity with the admin API (every field POST /clients takes is
settable in the console), the application type's defaults (OIDC Registration 2 application_type,
RFC 8252 native apps, public single-page apps, RFC 6749 4.4 machine clients), every wrong field
marked at once with the input kept, and the admin API's 400 listing the allowed values of a fixed set
(RFC 9457 3.2 extension members)."""

from __future__ import annotations

import html
import re
import uuid

from idp.admin.api.clients import CLIENT_FIELDS
from idp.admin.console import client_form
from idp.administration.client_policy import UNSUPPORTED

from ..admin_api import admin_session
from ..admin_console_flows import console, post_form  # noqa: F401
from ..conftest import REDIRECT_URI


def test_every_field_the_admin_api_takes_is_settable_in_the_console_form():
    """Parity cannot drift: a field added to the admin API's client schema fails here until the
    console's form sets it (directly, or derived: response_types from the grant types)."""
    api_fields = set(CLIENT_FIELDS) - set(UNSUPPORTED)
    console_fields = {name for f in client_form.FIELDS for name in f.service_fields} | set(client_form.DERIVED)
    console_fields |= {"grant_types"}  # token exchange's switch sets the grant too
    assert api_fields - console_fields == set(), "fields the console cannot set"
    assert {n for n in console_fields if not n.startswith("urn:")} - api_fields == set(), "fields the API lacks"


# `idp clients create`'s options -> the admin API field each sets (None: not a client field: the output
# format; the organization an admin API client is limited to, set by the organizations' own pages).
CLI_OPTIONS = {"name": "client_name", "client_id": "client_id", "redirect_uris": "redirect_uris",
               "public": "token_endpoint_auth_method", "grant_types": "grant_types", "scopes": "scope",
               "auth_method": "token_endpoint_auth_method", "jwks_uri": "jwks_uri",
               "post_logout_redirect_uris": "post_logout_redirect_uris", "backchannel_logout_uri": "backchannel_logout_uri",
               "require_par": "require_pushed_authorization_requests", "dpop_bound": "dpop_bound_access_tokens",
               "require_jar": "require_signed_request_object", "subject_type": "subject_type",
               "sector_identifier_uri": "sector_identifier_uri", "trusted": "trusted",
               "id_token_alg": "id_token_signed_response_alg", "allowed_origins": "allowed_origins",
               "impersonation": "token_exchange_impersonation", "exchange_refresh": "token_exchange_refresh_tokens",
               "organization": None, "as_json": None}


def test_every_option_of_idp_clients_create_is_settable_in_the_console_form():
    from idp.cli.clients import clients_create

    options = {param.name for param in clients_create.params}
    assert options == set(CLI_OPTIONS), "an option of `idp clients create` this test does not know"
    console_fields = {name for f in client_form.FIELDS for name in f.service_fields} | {"grant_types"}
    assert {field for field in CLI_OPTIONS.values() if field} - console_fields == set()


def new_form(browser, idp, kind: str):
    return browser.go(idp.endpoint(f"/admin/clients/new?type={kind}"))


def summary_of(page) -> str:
    start = page.text.find('id="form-error"')
    return page.text[start:start + 1500] if start >= 0 else page.text[:1500]


def created_id(page) -> str:
    found = re.search(r'<code id="client-id">([^<]+)</code>', page.text)
    assert found is not None, page.text[:800]
    return html.unescape(found.group(1))


def test_each_application_type_gets_its_defaults_and_the_admin_api_shows_them(idp, console):  # noqa: F811
    browser, _ = console
    api = admin_session(idp)
    cases = {
        "web": {"redirect_uris": REDIRECT_URI, "trusted": "y", "post_logout_redirect_uris": REDIRECT_URI + "/bye",
                "backchannel_logout_uri": "https://rp.example.com/bcl", "require_pushed_authorization_requests": "y",
                "dpop_bound_access_tokens": "y", "id_token_signed_response_alg": "RS256"},
        "spa": {"redirect_uris": "https://spa.example.com/cb", "allowed_origins": "https://cdn.example.com"},
        "native": {"redirect_uris": "http://127.0.0.1:8400/cb"},
        "machine": {},
    }
    made = {}
    for kind, extra in cases.items():
        page = new_form(browser, idp, kind)
        scope = re.search(r'id="scope" name="scope"[^>]*?(?: value="([^"]*)")?[ >]', page.text)
        fields = {"app_type": kind, "name": f"{kind} app", "scope": html.unescape(scope.group(1) or ""), **extra}
        shown = post_form(browser, "/admin/clients/new", page, **fields)
        assert shown.status_code == 200, summary_of(shown)
        made[kind] = api.get(f"/clients/{created_id(shown)}").json()
    web, spa, native, machine = made["web"], made["spa"], made["native"], made["machine"]
    assert web["token_endpoint_auth_method"] == "client_secret_basic" and web["has_secret"] and web["trusted"]
    assert web["grant_types"] == ["authorization_code", "refresh_token"]
    assert web["post_logout_redirect_uris"] == [REDIRECT_URI + "/bye"]
    assert web["backchannel_logout_uri"] == "https://rp.example.com/bcl"
    assert web["require_pushed_authorization_requests"] is True and web["dpop_bound_access_tokens"] is True
    assert web["id_token_signed_response_alg"] == "RS256"
    assert spa["token_endpoint_auth_method"] == "none" and not spa["has_secret"]
    assert spa["allowed_origins"] == ["https://cdn.example.com"] and spa["application_type"] == "web"
    assert native["application_type"] == "native" and native["token_endpoint_auth_method"] == "none"
    assert machine["grant_types"] == ["client_credentials"] and machine["redirect_uris"] == []
    assert not {"openid", "offline_access"} & set(machine["scope"].split()) and machine["response_types"] == []


def test_an_invalid_form_marks_every_wrong_field_at_once_and_keeps_the_input(idp, console):  # noqa: F811
    browser, _ = console
    page = new_form(browser, idp, "web")
    before = len(idp.services.clients.page(10_000))
    name = f"Kept {uuid.uuid4().hex[:6]}"
    refused = post_form(browser, "/admin/clients/new", page, app_type="web", name=name, scope="openid",
                        redirect_uris="http://rp.example.com/cb", post_logout_redirect_uris="ftp://x",
                        backchannel_logout_uri="javascript:alert(1)", default_max_age="soon",
                        jwks="{not json", logo_uri="http://logo.example.com/l.png")
    assert refused.status_code == 400 and len(idp.services.clients.page(10_000)) == before
    text = refused.text
    invalid = set(re.findall(r'id="([a-z_]+)"[^>]*aria-invalid="true"', text))
    assert {"redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri", "default_max_age", "jwks",
            "logo_uri"} <= invalid, invalid
    for field in invalid:
        assert f'id="{field}-error"' in text
    assert f'value="{name}"' in text and "http://rp.example.com/cb</textarea>" in text and "{not json</textarea>" in text
    summary = text[text.index('id="form-error"'):text.index("</ul>", text.index('id="form-error"'))]
    assert summary.count("<li>") >= 6 and "The client was not saved" in summary
    assert "None" not in summary and "['" not in summary


def test_a_machine_client_is_refused_what_only_a_user_gets_each_on_its_field(idp, console):  # noqa: F811
    browser, _ = console
    page = new_form(browser, idp, "machine")
    refused = post_form(browser, "/admin/clients/new", page, app_type="machine", name="Batch",
                        scope="openid offline_access orders:read", redirect_uris=REDIRECT_URI,
                        grant_types="authorization_code")
    assert refused.status_code == 400
    invalid = set(re.findall(r'id="([a-z_]+)"[^>]*aria-invalid="true"', refused.text))
    assert {"scope", "redirect_uris", "grant_types"} <= invalid, invalid


def test_editing_keeps_what_the_form_shows_and_changes_what_it_sends(idp, console):  # noqa: F811
    browser, _ = console
    client, _ = idp.create_client(name="Editable", metadata={"post_logout_redirect_uris": [REDIRECT_URI + "/bye"]})
    path = f"/admin/clients/{client.client_id}"
    page = browser.go(idp.endpoint(path))
    assert REDIRECT_URI + "/bye</textarea>" in page.text
    saved = post_form(browser, path, page, name="Edited", scope="openid", redirect_uris=REDIRECT_URI,
                      post_logout_redirect_uris=REDIRECT_URI + "/bye", subject_type="pairwise", trusted="y")
    assert saved.status_code == 200, saved.text[:800]
    after = idp.services.clients.get(client.client_id, fresh=True)
    assert after.name == "Edited" and after.trusted and after.client_metadata["subject_type"] == "pairwise"
    assert after.client_metadata["post_logout_redirect_uris"] == [REDIRECT_URI + "/bye"]
    refused = post_form(browser, path, browser.go(idp.endpoint(path)), name="Edited", scope="openid",
                        redirect_uris=REDIRECT_URI, id_token_signed_response_alg="none",
                        default_acr_values="urn:nothing")
    assert refused.status_code == 400
    assert 'id="id_token_signed_response_alg"' in refused.text and "must be one of: " in refused.text


def test_admin_api_400_lists_the_allowed_values_of_fixed_sets_rfc9457_3_2(idp):
    api = admin_session(idp)
    response = api.post("/clients", json={"client_name": "Bad", "redirect_uris": [REDIRECT_URI],
                                          "grant_types": ["password"], "token_endpoint_auth_method": "magic",
                                          "subject_type": "secret", "application_type": "desktop",
                                          "id_token_signed_response_alg": "HS1"})
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"
    errors = {e["name"]: e for e in response.json()["errors"]}
    assert "client_credentials" in errors["grant_types"]["allowed_values"]
    assert "private_key_jwt" in errors["token_endpoint_auth_method"]["allowed_values"]
    assert errors["subject_type"]["allowed_values"] == ["public", "pairwise"]
    assert errors["application_type"]["allowed_values"] == ["web", "native"]
    assert "RS256" in errors["id_token_signed_response_alg"]["allowed_values"]
    for error in errors.values():
        assert "[" not in error["detail"] and "None" not in error["detail"]
    plain = api.post("/clients", json={"client_name": "Bad", "redirect_uris": ["http://rp.example.com/cb"]})
    assert plain.status_code == 400 and "allowed_values" not in plain.json()["errors"][0]


def test_a_client_is_allowed_on_an_api_chosen_by_name(idp, console):  # noqa: F811
    browser, _ = console
    api = admin_session(idp)
    identifier = f"https://api.example.com/{uuid.uuid4().hex[:8]}"
    registered = api.post("/apis", json={"identifier": identifier, "name": "Orders API",
                                         "scopes": {"orders:read": "Read orders"}})
    assert registered.status_code == 201, registered.text
    client, _ = idp.create_client(name="Shop")
    path = f"/admin/clients/{client.client_id}"
    page = browser.go(idp.endpoint(path))
    option = re.search(r'<option value="([^"]+)">Orders API \(' + re.escape(identifier), page.text)
    assert option is not None, "the API is offered by its name"
    done = post_form(browser, f"{path}/apis", page, api_id=option.group(1), scopes="orders:read")
    assert done.status_code == 200 and "Orders API" in done.text and "orders:read" in done.text
    refused = post_form(browser, f"{path}/apis", page, api_id="", scopes="")
    assert refused.status_code == 400
    api_page = browser.go(idp.endpoint(f"/admin/apis/{option.group(1)}"))  # and the other way: clients by name
    assert f'<option value="{client.client_id}">Shop ({client.client_id})</option>' in api_page.text


def test_a_native_app_registers_a_private_use_scheme_and_gets_its_code_there_rfc8252_7_1(idp, console):  # noqa: F811
    """RFC 8252 7.1: a reverse-domain private-use scheme; only for application_type native (a web
    client is refused it), and never a scheme a browser acts on itself (javascript:, data:)."""
    import secrets
    from urllib.parse import parse_qs, urlsplit

    import requests

    from ..apis_helpers import s256

    browser, _ = console
    native_uri = "com.example.notes:/oauth2redirect"
    page = new_form(browser, idp, "native")
    shown = post_form(browser, "/admin/clients/new", page, app_type="native", name="Notes", scope="openid",
                      redirect_uris=native_uri)
    assert shown.status_code == 200, summary_of(shown)
    client_id = created_id(shown)
    refused = post_form(browser, "/admin/clients/new", new_form(browser, idp, "native"), app_type="native",
                        name="Bad", scope="openid", redirect_uris="javascript:/alert(1)\nnoscheme:/x")
    assert refused.status_code == 400 and 'id="redirect_uris-error"' in refused.text
    web = admin_session(idp).post("/clients", json={"client_name": "Web", "redirect_uris": [native_uri]})
    assert web.status_code == 400 and web.json()["errors"][0]["name"] == "redirect_uris"

    user = idp.create_user()
    verifier = secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": native_uri, "scope": "openid",
              "state": "s1", "code_challenge": s256(verifier), "code_challenge_method": "S256"}
    from ..conftest import Browser

    answer = Browser(idp).authorize(idp.endpoint("/authorize") + "?" + "&".join(
        f"{k}={requests.utils.quote(v, safe='')}" for k, v in params.items()), user.email)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(native_uri + "?"), answer.headers
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(idp.endpoint("/token"), data={"grant_type": "authorization_code", "code": code,
                                                         "redirect_uri": native_uri, "client_id": client_id,
                                                         "code_verifier": verifier}, timeout=10)
    assert token.status_code == 200, token.text


def test_the_api_form_marks_every_wrong_field_at_once_and_keeps_the_input(idp, console):  # noqa: F811
    """The same mechanism on another console form: ApiAdmin's refusals, each on its own field."""
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/apis/new"))
    refused = post_form(browser, "/admin/apis/new", page, identifier="not a uri", name="Kept name",
                        scopes="bad scope with\x01control", access_token_ttl="soon", resource_server="no-such-client")
    assert refused.status_code == 400
    invalid = set(re.findall(r'id="([a-z_]+)"[^>]*aria-invalid="true"', refused.text))
    assert {"identifier", "access_token_ttl"} <= invalid, invalid
    assert 'value="Kept name"' in refused.text and 'value="soon"' in refused.text
    summary = summary_of(refused)
    assert summary.count("<li>") == len(invalid) and "None" not in summary and "['" not in summary


def test_messages_never_show_a_raw_python_value():
    from idp.admin.console.form_model import FormField, field_errors, plain, readable

    assert readable(None) == "" and readable(["a", "b"]) == "a, b" and readable(("x",)) == "x"
    assert plain("must be one of ['web', 'native']") == "must be one of web, native"
    assert plain("got None") == "got nothing"
    fields = [FormField("name", "Name", sets=("client_name",)), FormField("grant_types", "Grant types", "choices")]
    errors = field_errors({"client_name": "too long", "grant_types": "bad", "response_types": "follows",
                           "metadata": "a key"}, fields, {"response_types": "grant_types"})
    assert errors == {"name": "too long", "grant_types": "bad; follows", "metadata": "a key"}


def test_a_nul_character_in_any_field_is_a_400_never_a_500(idp, console):  # noqa: F811
    """PostgreSQL refuses NUL in text: client_policy refuses it in every field, for every entry."""
    browser, _ = console
    for field in ("name", "scope", "client_id", "software_id", "redirect_uris", "contacts", "jwks", "grant_types",
                  "subject_type", "app_type"):
        fields = {"app_type": "web", "name": "x", "scope": "openid", "redirect_uris": REDIRECT_URI, field: "a\x00b"}
        refused = post_form(browser, "/admin/clients/new", new_form(browser, idp, "web"), **fields)
        assert refused.status_code == 400, field
    client, _ = idp.create_client(name="Nul")
    path = f"/admin/clients/{client.client_id}"
    page = browser.go(idp.endpoint(path))
    assert post_form(browser, path, page, name="a\x00b", scope="openid").status_code == 400
    assert post_form(browser, f"{path}/apis", page, api_id="a\x00b").status_code == 400
    api = admin_session(idp).post("/clients", json={"client_name": "x", "redirect_uris": [REDIRECT_URI],
                                                    "jwks": {"keys": [{"kty": "a\x00"}]}})
    assert api.status_code == 400


def test_the_group_form_marks_its_field_and_keeps_the_name(idp, console):  # noqa: F811
    browser, _ = console
    name = f"team-{uuid.uuid4().hex[:6]}"
    listing = browser.go(idp.endpoint("/admin/groups"))
    assert post_form(browser, "/admin/groups", listing, name=name).status_code == 200
    taken = post_form(browser, "/admin/groups", listing, name=name)
    assert taken.status_code == 400 and 'id="name-error"' in taken.text and f'value="{name}"' in taken.text
    assert re.search(r'id="name"[^>]*aria-invalid="true"', taken.text) and "<li>" in summary_of(taken)


def test_a_taken_client_id_and_a_stale_edit_are_refused_rfc9110_13_1_1(idp, console):  # noqa: F811
    """A chosen client ID already taken is marked on its field (400); an edit of a client someone
    changed since the page was shown saves nothing (409), as the admin API's If-Match."""
    browser, _ = console
    client, _ = idp.create_client(name="Taken")
    taken = post_form(browser, "/admin/clients/new", new_form(browser, idp, "web"), app_type="web", name="Again",
                      scope="openid", redirect_uris=REDIRECT_URI, client_id=client.client_id)
    assert taken.status_code == 400 and 'id="client_id-error"' in taken.text
    path = f"/admin/clients/{client.client_id}"
    page = browser.go(idp.endpoint(path))
    version = re.search(r'name="version" value="([^"]+)"', page.text).group(1)
    idp.services.clients.update(client.client_id, name="Changed meanwhile")
    stale = post_form(browser, path, page, name="Mine", scope="openid", redirect_uris=REDIRECT_URI, version=version)
    assert stale.status_code == 409
    assert idp.services.clients.get(client.client_id, fresh=True).name == "Changed meanwhile"
    fresh = browser.go(idp.endpoint(path))
    version = re.search(r'name="version" value="([^"]+)"', fresh.text).group(1)
    saved = post_form(browser, path, fresh, name="Mine", scope="openid", redirect_uris=REDIRECT_URI, version=version)
    assert saved.status_code == 200 and idp.services.clients.get(client.client_id, fresh=True).name == "Mine"


def test_the_user_form_lists_every_wrong_field_on_top_too(idp, console):  # noqa: F811
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/users/new"))
    refused = post_form(browser, "/admin/users/new", page, email="not-an-email", name="Ada\x07", password="short",
                        send_email="none")
    assert refused.status_code == 400
    invalid = set(re.findall(r'id="([a-z_]+)"[^>]*aria-invalid="true"', refused.text))
    assert {"email", "password"} <= invalid, invalid
    summary = summary_of(refused)
    assert summary.count("<li>") == len(invalid) and 'href="#email"' in summary and 'href="#password"' in summary
