"""Load generator for the authorization-code flow (PKCE S256, trusted client: no consent page).

Logs in once (GET /login, POST /login with the form's hidden csrf_token and interaction; or, with
--login-by-redirect, as a relying party sends a person: GET /authorize, following the server's own
redirects to its login form, POST that form, following redirects back to the callback; this is how
bench/reference/server.js, node oidc-provider, signs a person in), then N threads share that logged-in session cookie and loop, each flow being
    GET /authorize?response_type=code&... -> 302 to the callback with ?code=
    POST /token grant_type=authorization_code (HTTP Basic client auth) -> 200 with access_token and id_token
A 1 s warm-up is discarded. Prints one JSON object: flows/s, p50/p99 of whole flows and of each step, errors.

    python bench/codeflow.py --url http://127.0.0.1:PORT --client-id ID --client-secret S \
        --email bench@example.com --password pw --concurrency 8 --duration 10
(run.py starts it pinned to core 1 with taskset)
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import json
import re
import secrets
import sys
import threading
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

REDIRECT_URI = "http://127.0.0.1:8080/callback"
REDIRECTS = (302, 303)  # the IdP answers an authorization with 302, oidc-provider with 303


def hidden_fields(html: str) -> dict:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never a proxy: 127.0.0.1 only
    return session


def login(url: str, email: str, password: str) -> requests.Session:
    session = new_session()
    page = session.get(url + "/login", timeout=10)
    page.raise_for_status()
    fields = hidden_fields(page.text)
    if "csrf_token" not in fields:
        raise RuntimeError("no csrf_token on /login")
    fields.update(email=email, password=password)
    response = session.post(url + "/login", data=fields, allow_redirects=False, timeout=10)
    if response.status_code != 302 or "idp_session" not in session.cookies:
        raise RuntimeError(f"login failed: {response.status_code} {response.text[:200]}")
    return session


def login_by_redirect(url: str, client_id: str, email: str, password: str) -> requests.Session:
    """Sign in through the server's interaction flow, starting from an authorization request; the
    session must then carry authorizations on its own (the first flow's code is not used)."""
    session = new_session()
    _, challenge = pkce_pair()
    response = session.get(url + "/authorize", allow_redirects=False, timeout=10,
                           params=authorize_params(client_id, challenge, state="login"))
    response = follow_own_redirects(session, url, response)
    form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
    if response.status_code != 200 or not form:
        raise RuntimeError(f"no login form after /authorize: {response.status_code} {response.text[:200]}")
    fields = hidden_fields(response.text)
    fields.update(email=email, password=password)
    response = session.post(urljoin(response.url, form.group(1)), data=fields, allow_redirects=False, timeout=10)
    response = follow_own_redirects(session, url, response)
    location = response.headers.get("Location", "")
    if response.status_code not in REDIRECTS or not location.startswith(REDIRECT_URI) or "code=" not in location:
        raise RuntimeError(f"login by redirect failed: {response.status_code} {location[:80]} {response.text[:200]}")
    return session


def follow_own_redirects(session: requests.Session, url: str, response: requests.Response) -> requests.Response:
    """Follow the server's redirects to itself (at most 10); stop at the relying party's."""
    for _ in range(10):
        if response.status_code not in REDIRECTS:
            return response
        target = urljoin(response.url, response.headers["Location"])
        if not target.startswith(url + "/"):
            return response
        response = session.get(target, allow_redirects=False, timeout=10)
    raise RuntimeError("more than 10 redirects")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(client_id: str, challenge: str, scope: str = "openid", state: str = "s") -> dict:
    """An authorization request's query: code flow, PKCE S256, the bench's callback."""
    return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": scope,
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256"}


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def run(url, client_id, client_secret, cookies, concurrency, duration, warmup=1.0):
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + duration
    lock = threading.Lock()
    flows, authorize_ms, token_ms = [], [], []
    errors = collections.Counter()

    def worker():
        session = new_session()
        session.cookies.update(cookies)
        while time.monotonic() < stop_at:
            verifier, challenge = pkce_pair()
            t0 = time.monotonic()
            try:
                r = session.get(url + "/authorize", allow_redirects=False, timeout=10,
                                params=authorize_params(client_id, challenge))
                location = r.headers.get("Location", "")
                code = parse_qs(urlsplit(location).query).get("code", [None])[0]
                if r.status_code not in REDIRECTS or not location.startswith(REDIRECT_URI) or not code:
                    with lock:
                        errors[f"authorize {r.status_code} {location[:60]}"] += 1
                    continue
                t1 = time.monotonic()
                r = session.post(url + "/token", auth=(client_id, client_secret), timeout=10, data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                    "code_verifier": verifier})
                t2 = time.monotonic()
                ok = r.status_code == 200 and "id_token" in r.text and "access_token" in r.text
                with lock:
                    if not ok:
                        errors[f"token {r.status_code} {r.text[:80]}"] += 1
                    elif t0 >= measure_from and t2 <= stop_at:
                        flows.append((t2 - t0) * 1e3)
                        authorize_ms.append((t1 - t0) * 1e3)
                        token_ms.append((t2 - t1) * 1e3)
            except requests.RequestException as exc:
                with lock:
                    errors[f"socket {type(exc).__name__}"] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at - time.monotonic()) + 15)
    elapsed = duration
    return {
        "concurrency": concurrency,
        "flows": len(flows),
        "flows_per_s": round(len(flows) / elapsed, 1),
        "rps": round(2 * len(flows) / elapsed, 1),
        "p50_ms": round(percentile(flows, 50) or 0, 3),
        "p99_ms": round(percentile(flows, 99) or 0, 3),
        "authorize_p50_ms": round(percentile(authorize_ms, 50) or 0, 3),
        "authorize_p99_ms": round(percentile(authorize_ms, 99) or 0, 3),
        "token_p50_ms": round(percentile(token_ms, 50) or 0, 3),
        "token_p99_ms": round(percentile(token_ms, 99) or 0, 3),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "stuck_threads": sum(t.is_alive() for t in threads),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--no-login", action="store_true",
                        help="no session (bench/authlib_floor_app.py, whose one user is always signed in)")
    parser.add_argument("--login-by-redirect", action="store_true",
                        help="sign in through /authorize's redirects to the server's login form (bench/reference)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    if not args.url.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit("--url must be on 127.0.0.1")
    if not args.no_login and not (args.email and args.password):
        sys.exit("--email and --password are needed (or --no-login)")
    if args.no_login:
        cookies = {}
    elif args.login_by_redirect:
        cookies = login_by_redirect(args.url, args.client_id, args.email, args.password).cookies
    else:
        cookies = login(args.url, args.email, args.password).cookies
    result = run(args.url, args.client_id, args.client_secret, cookies, args.concurrency, args.duration)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
