"""Discovery (OIDC Discovery 1.0 section 3, RFC 8414 section 2/3) and JWKS (RFC 7517)."""

import requests
from authlib.oidc.discovery import OpenIDProviderMetadata


def test_openid_configuration_is_complete_and_truthful_oidc_discovery_3(idp):
    response = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    meta = response.json()
    OpenIDProviderMetadata(meta).validate()
    assert meta["issuer"] == idp.url
    assert meta["jwks_uri"] == idp.url + "/jwks.json"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert "implicit" not in meta["grant_types_supported"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]


def test_oauth_authorization_server_metadata_matches_rfc8414_3(idp):
    oidc = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    oauth = requests.get(idp.endpoint("/.well-known/oauth-authorization-server"), timeout=5).json()
    assert oauth == oidc
    assert oauth["issuer"] == idp.url


def test_every_advertised_endpoint_answers(idp):
    meta = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        response = requests.post(meta[name], timeout=5)
        assert response.status_code in (400, 401), (name, response.status_code)
        assert "error" in response.json()
    assert requests.get(meta["userinfo_endpoint"], timeout=5).status_code == 401
    assert requests.get(meta["jwks_uri"], timeout=5).status_code == 200


def test_jwks_publishes_public_rsa_keys_only_rfc7517_5(idp):
    response = requests.get(idp.endpoint("/jwks.json"), timeout=5)
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256" and key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_jwks_is_cacheable_with_etag_and_304(idp):
    first = requests.get(idp.endpoint("/jwks.json"), timeout=5)
    assert "max-age" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    second = requests.get(idp.endpoint("/jwks.json"), headers={"If-None-Match": etag}, timeout=5)
    assert second.status_code == 304
    assert second.content == b""


def test_signing_key_is_encrypted_at_rest(idp):
    from idp.store.models import SigningKey

    with idp.services.db.session() as session:
        rows = session.query(SigningKey).all()
    assert rows
    for row in rows:
        blob = bytes(row.private_key_encrypted)
        assert b"PRIVATE KEY" not in blob
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            load_pem_private_key(blob, password=None)
            loaded = True
        except ValueError:
            loaded = False
        assert not loaded


def test_health_and_ready(idp):
    assert requests.get(idp.endpoint("/health"), timeout=5).json() == {"status": "ok"}
    ready = requests.get(idp.endpoint("/ready"), timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_ready_turns_503_while_draining_but_requests_are_still_served(idp, tmp_path):
    import dataclasses

    drain = tmp_path / "draining"
    original = idp.services.config
    idp.services.config = dataclasses.replace(original, drain_file=str(drain))
    try:
        assert requests.get(idp.endpoint("/ready"), timeout=5).status_code == 200
        drain.touch()
        response = requests.get(idp.endpoint("/ready"), timeout=5)
        assert response.status_code == 503 and response.json()["status"] == "draining"
        assert requests.get(idp.endpoint("/jwks.json"), timeout=5).status_code == 200
    finally:
        idp.services.config = original


def test_published_documents_answer_conditional_requests_rfc9110_13_1_2(idp):
    """If-None-Match uses the weak comparison: a W/ tag, a list and * all match (answered before Flask)."""
    for path in ("/.well-known/openid-configuration", "/jwks.json"):
        etag = requests.get(idp.endpoint(path), timeout=5).headers["ETag"]
        for header in (etag, "W/" + etag, f'"other", {etag}', "*"):
            response = requests.get(idp.endpoint(path), headers={"If-None-Match": header}, timeout=5)
            assert response.status_code == 304 and response.content == b"", (path, header)
            assert response.headers["ETag"] == etag
        assert requests.get(idp.endpoint(path), headers={"If-None-Match": '"other"'}, timeout=5).status_code == 200


def test_published_documents_carry_the_app_headers_and_answer_head_rfc9110_9_3_2(idp):
    get = requests.get(idp.endpoint("/.well-known/openid-configuration"), headers={"X-Request-ID": "probe-42"},
                       timeout=5)
    assert get.headers["X-Request-ID"] == "probe-42"
    assert get.headers["X-Content-Type-Options"] == "nosniff" and get.headers["Referrer-Policy"] == "no-referrer"
    assert get.headers["Cache-Control"].startswith("public, max-age=")
    head = requests.head(idp.endpoint("/.well-known/openid-configuration"), timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(get.content)
    assert head.headers["ETag"] == get.headers["ETag"] and len(head.headers["X-Request-ID"]) == 32


def test_other_methods_on_published_documents_get_the_json_405(idp):
    for path in ("/.well-known/openid-configuration", "/jwks.json"):
        response = requests.post(idp.endpoint(path), timeout=5)
        assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"

