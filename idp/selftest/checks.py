"""What `idp selftest` checks, in the order a relying party meets them. Each check names the
clause it holds the deployment to; a failed step records why and the checks that need it are
skipped as failed, never reported as passing."""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlencode, urlsplit

import requests

from idp.selftest.relying_party import TIMEOUT, Credentials, FlowError, RelyingParty, pkce_pair
from idp.selftest.report import Report

REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
                     "subject_types_supported", "id_token_signing_alg_values_supported")
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def run_checks(report: Report, issuer: str, creds: Credentials, verify_tls: bool = True) -> None:
    meta = discovery(report, issuer, verify_tls)
    if meta is None:
        return
    rp = RelyingParty(issuer, meta, creds, verify_tls)
    jwks(report, rp)
    try:
        tokens = code_flow(report, rp)
    except (FlowError, requests.RequestException, ValueError, KeyError) as exc:
        report.failed("code flow", "OIDC Core 3.1", f"{type(exc).__name__}: {exc}")
        return
    pages(report, rp, issuer)
    refresh(report, rp, tokens)
    introspection_and_revocation(report, rp)
    negative_cases(report, rp)


def discovery(report: Report, issuer: str, verify_tls: bool) -> dict | None:
    parts = urlsplit(issuer)
    report.check("https issuer", "OIDC Discovery 3; RFC 9700 2.6", parts.scheme == "https" or is_loopback(parts.hostname),
                 f"{issuer} is not https (only a loopback issuer may be http, for development)")
    try:
        response = requests.get(issuer + "/.well-known/openid-configuration", timeout=TIMEOUT, verify=verify_tls)
    except requests.exceptions.SSLError as exc:
        report.failed("TLS certificate", "RFC 9700 2.6", f"the certificate does not verify: {exc}")
        return None
    except requests.RequestException as exc:
        report.failed("discovery", "OIDC Discovery 4", f"no answer: {exc}")
        return None
    if parts.scheme == "https":
        report.check("TLS certificate", "RFC 9700 2.6", True)
    try:
        meta = response.json()
    except ValueError:
        meta = None
    if not report.check("discovery", "OIDC Discovery 4", response.status_code == 200 and isinstance(meta, dict),
                        f"HTTP {response.status_code}, {response.text[:120]!r}"):
        return None
    report.check("discovery issuer", "OIDC Discovery 4.3", meta.get("issuer") == issuer,
                 f"the document says issuer {meta.get('issuer')!r}, the deployment is reached as {issuer!r}")
    missing = [name for name in REQUIRED_METADATA if name not in meta]
    report.check("discovery metadata", "OIDC Discovery 3", not missing, f"missing {missing}")
    report.check("PKCE S256 advertised", "RFC 8414 2; RFC 9700 2.1.1",
                 "S256" in meta.get("code_challenge_methods_supported", []), "code_challenge_methods_supported lacks S256")
    return meta if meta.get("issuer") == issuer and not missing else None


def jwks(report: Report, rp: RelyingParty) -> None:
    keys = rp.http.get(rp.meta["jwks_uri"], timeout=TIMEOUT).json().get("keys", [])
    report.check("JWKS", "RFC 7517 5", bool(keys) and all(k.get("kid") and k.get("kty") for k in keys),
                 "no keys, or a key without kid/kty")
    leaked = sorted({m for k in keys for m in PRIVATE_JWK_MEMBERS & set(k)})
    report.check("JWKS public only", "RFC 7518 6.3.2, 6.2.2", not leaked, f"private members published: {leaked}")


def _sign_in(rp: RelyingParty) -> tuple[dict, str, str, str]:
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    params = rp.sign_in(rp.authorization_url(challenge, state, nonce))
    return params, verifier, state, nonce


def code_flow(report: Report, rp: RelyingParty) -> dict:
    params, verifier, state, nonce = _sign_in(rp)
    report.check("authorization response", "RFC 6749 4.1.2; RFC 9207 2",
                 params.get("code") and params.get("state") == state and params.get("iss") == rp.issuer,
                 f"callback parameters {sorted(params)} (state echoed: {params.get('state') == state}, "
                 f"iss: {params.get('iss')!r})")
    response = rp.redeem(params["code"], verifier)
    tokens = response.json()
    report.check("token response", "RFC 6749 5.1", response.status_code == 200 and tokens.get("token_type") == "Bearer"
                 and "no-store" in response.headers.get("Cache-Control", ""),
                 f"HTTP {response.status_code}, token_type {tokens.get('token_type')!r}, "
                 f"Cache-Control {response.headers.get('Cache-Control')!r}")
    try:
        claims = rp.validate_id_token(tokens["id_token"], nonce)
        report.check("ID token", "OIDC Core 3.1.3.7", True)
    except Exception as exc:  # any failure of validation is the finding, whatever the library raised
        report.failed("ID token", "OIDC Core 3.1.3.7", f"{type(exc).__name__}: {exc}")
        claims = {}
    userinfo = rp.http.get(rp.meta["userinfo_endpoint"], timeout=TIMEOUT,
                           headers={"Authorization": f"Bearer {tokens['access_token']}"})
    report.check("userinfo", "OIDC Core 5.3.2", userinfo.status_code == 200 and claims
                 and userinfo.json().get("sub") == claims.get("sub"),
                 f"HTTP {userinfo.status_code}, sub matches the ID token: "
                 f"{userinfo.ok and userinfo.json().get('sub') == claims.get('sub')}")
    again = rp.redeem(params["code"], verifier)
    report.check("code reuse refused", "RFC 6749 4.1.2", again.status_code == 400
                 and again.json().get("error") == "invalid_grant", f"HTTP {again.status_code}: {again.text[:120]!r}")
    report.check("code reuse revokes its tokens", "RFC 6749 4.1.2; RFC 9700 4.5",
                 rp.introspect(tokens["access_token"]).get("active") is False,
                 "the access token issued for the code is still active after the code was reused")
    params, verifier, _, _ = _sign_in(rp)  # a fresh family for what follows
    return rp.redeem(params["code"], verifier).json()


def pages(report: Report, rp: RelyingParty, issuer: str) -> None:
    html = [p for p in rp.pages if p.headers.get("Content-Type", "").startswith("text/html")]
    if not report.check("login page seen", "OIDC Core 3.1.2.3", bool(html), "no HTML page on the way"):
        return
    page = html[0]
    headers = page.headers
    report.check("security headers", "OWASP ASVS 14.4", "default-src" in headers.get("Content-Security-Policy", "")
                 and headers.get("X-Content-Type-Options") == "nosniff"
                 and ("frame-ancestors" in headers.get("Content-Security-Policy", "") or headers.get("X-Frame-Options")),
                 f"CSP {headers.get('Content-Security-Policy')!r}, X-Content-Type-Options "
                 f"{headers.get('X-Content-Type-Options')!r}, X-Frame-Options {headers.get('X-Frame-Options')!r}")
    if urlsplit(issuer).scheme == "https":
        report.check("HSTS", "RFC 6797; OWASP ASVS 14.4.5", "max-age=" in headers.get("Strict-Transport-Security", ""),
                     "no Strict-Transport-Security on an https deployment")
    cookies = [c for p in rp.pages for c in p.raw.headers.getlist("Set-Cookie")] if html else []
    weak = [c.split("=", 1)[0] for c in cookies if "httponly" not in c.lower() or "samesite" not in c.lower()
            or (urlsplit(issuer).scheme == "https" and "secure" not in c.lower())]
    report.check("cookie flags", "OWASP ASVS 3.4", bool(cookies) and not weak,
                 f"cookies without HttpOnly/SameSite{'/Secure' if urlsplit(issuer).scheme == 'https' else ''}: {weak}"
                 if cookies else "no cookie set during sign-in")


def refresh(report: Report, rp: RelyingParty, tokens: dict) -> None:
    first = tokens.get("refresh_token")
    if not report.check("refresh token issued", "OIDC Core 11", bool(first), "no refresh_token for offline_access"):
        return
    rotated = rp.token(grant_type="refresh_token", refresh_token=first)
    second = rotated.json().get("refresh_token") if rotated.ok else None
    report.check("refresh rotation", "RFC 9700 4.14.2", rotated.ok and second and second != first,
                 f"HTTP {rotated.status_code}; a new refresh token: {bool(second) and second != first}")
    reuse = rp.token(grant_type="refresh_token", refresh_token=first)
    after = rp.token(grant_type="refresh_token", refresh_token=second) if second else None
    report.check("refresh reuse detection", "RFC 9700 4.14.2", reuse.status_code == 400
                 and after is not None and after.status_code == 400,
                 f"reusing the old token: HTTP {reuse.status_code}; the family's newest afterwards: "
                 f"HTTP {after.status_code if after is not None else '-'} (both must be refused)")


def introspection_and_revocation(report: Report, rp: RelyingParty) -> None:
    params, verifier, _, _ = _sign_in(rp)
    access = rp.redeem(params["code"], verifier).json()["access_token"]
    live = rp.introspect(access)
    report.check("introspection", "RFC 7662 2.2", live.get("active") is True and live.get("client_id") == rp.creds.client_id,
                 f"answer {sorted(live)} active={live.get('active')!r}")
    revoked = rp.revoke(access)
    report.check("revocation", "RFC 7009 2.2", revoked.status_code == 200 and rp.introspect(access).get("active") is False,
                 f"HTTP {revoked.status_code}; still active afterwards")


def negative_cases(report: Report, rp: RelyingParty) -> None:
    wrong = rp.token(secret="not-the-secret", grant_type="client_credentials")
    report.check("wrong client secret", "RFC 6749 5.2", wrong.status_code == 401
                 and wrong.json().get("error") == "invalid_client", f"HTTP {wrong.status_code}: {wrong.text[:120]!r}")
    params, verifier, _, _ = _sign_in(rp)
    bad = rp.redeem(params["code"], verifier[:-4] + "AAAA")
    report.check("wrong PKCE verifier", "RFC 7636 4.6", bad.status_code == 400 and bad.json().get("error") == "invalid_grant",
                 f"HTTP {bad.status_code}: {bad.text[:120]!r}")
    verifier, challenge = pkce_pair()
    url = rp.authorization_url(challenge, "s", "n").replace(
        urlencode({"redirect_uri": rp.creds.redirect_uri}), urlencode({"redirect_uri": "https://attacker.example/cb"}))
    unregistered = rp.http.get(url, allow_redirects=False, timeout=TIMEOUT)
    report.check("unregistered redirect URI", "RFC 6749 3.1.2.4, 4.1.2.1; RFC 9700 4.1",
                 unregistered.status_code == 400 and "attacker.example" not in unregistered.headers.get("Location", ""),
                 f"HTTP {unregistered.status_code}, Location {unregistered.headers.get('Location')!r}")
    malformed = [
        rp.http.post(rp.meta["token_endpoint"], data={"grant_type": "x" * 300}, timeout=TIMEOUT),
        rp.http.post(rp.meta["token_endpoint"], data=b"\xff\xfe%%", timeout=TIMEOUT,
                     headers={"Content-Type": "application/x-www-form-urlencoded"}),
        rp.http.get(rp.meta["authorization_endpoint"] + "?response_type=code&client_id=%00", timeout=TIMEOUT),
        rp.http.post(rp.meta["introspection_endpoint"], data={"token": "a" * 5000}, timeout=TIMEOUT),
        rp.http.get(rp.meta["userinfo_endpoint"], headers={"Authorization": "Bearer " + "x" * 2000}, timeout=TIMEOUT),
    ]
    server_errors = [r.status_code for r in malformed if r.status_code >= 500]
    report.check("malformed requests", "RFC 6749 5.2; OWASP ASVS 7.4.1", not server_errors,
                 f"answered with {server_errors}: a malformed request must get a 4xx, never a 5xx")
