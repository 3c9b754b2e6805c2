"""Organizations at scale (issue 33): 10,000 organizations of 100 members each and one organization
of 1,000,000 members, then a sign-in to a small organization against the huge one
(`organization=` at /authorize, then the code at /token) and the first members page of each (the
admin API's, and the service call the console's page makes). Not a test: time-bounded (a watchdog
alarm), on a throwaway PostgreSQL database and Redis prefix, cleaned up on every exit path.

    .venv/bin/python bench/organizations.py [--orgs 10000] [--members 100] [--huge 1000000] [--requests 100]

Seeding: COPY (bench/seedutil.py), users and members without their secondary indexes, built after.
The app runs in this process (Flask's test client: no network, so the numbers are the app's and the
database's). A sign-in is measured warm (the authorization cache holds the member's roles, as on a
live server) and cold (the cache's version bumped before each, so the membership and roles are read
from the database). Prints p50/p95 in ms, and PostgreSQL's plans for the lookups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import secrets
import statistics
import sys
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlparse

import psycopg

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from seedutil import (  # noqa: E402
    REDIS_URL,
    USER_COLUMNS,
    Watchdog,
    copy_rows,
    throwaway_database,
    time_bound,
    user_email,
    user_id,
    user_rows,
    without_secondary_indexes,
)

PASSWORD = "bench organizations " + "x" * 8
REDIRECT = "http://127.0.0.1/cb"


def org_id(n: int) -> str:
    return f"10000000-0000-4000-8000-{n:012d}"


def seed(url: str, orgs: int, members: int, huge: int) -> dict[str, float]:
    """Users 0..max(orgs*members, huge)-1; organization n (slug org-<n>) holds users n*members..+members-1
    (modulo the users); organization `huge` (slug huge) holds the first `huge` users."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    users = max(orgs * members, huge)
    took = {}
    with without_secondary_indexes(url, "users"):
        took["users"] = copy_rows(url, "users", USER_COLUMNS, user_rows(users, now))
    org_rows = [(org_id(n), f"org-{n:05d}", f"Organization {n}", False, 1, now) for n in range(orgs)]
    org_rows.append((org_id(orgs), "huge", "Huge Corp", False, 1, now))
    took["organizations"] = copy_rows(url, "organizations", ("id", "slug", "name", "domain_membership", "version",
                                                             "created_at"), org_rows)

    def member_rows():
        for n in range(orgs):
            for k in range(members):
                yield (org_id(n), user_id((n * members + k) % users), False, now)
        for k in range(huge):
            yield (org_id(orgs), user_id(k), False, now)
    started = time.monotonic()
    with without_secondary_indexes(url, "organization_members"):
        copy_rows(url, "organization_members", ("organization_id", "user_id", "is_admin", "created_at"), member_rows())
    took["organization_members"] = time.monotonic() - started
    return took


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                     html).group(0).rsplit('"', 2)[-2]


def signed_in(app, email: str):
    http = app.test_client()
    page = http.get("/login")
    done = http.post("/login", data={"csrf_token": csrf(page.get_data(as_text=True)), "email": email,
                                     "password": PASSWORD, "next": ""})
    assert done.status_code in (200, 302), done.status_code
    return http


def sign_in_once(http, client_id: str, secret: str, organization: str) -> None:
    """/authorize with organization= (the session signed in, a trusted client: no page) -> code -> /token."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = secrets.token_urlsafe(48)
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid",
             "state": "s", "nonce": "n", "code_challenge": create_s256_code_challenge(verifier),
             "code_challenge_method": "S256", "organization": organization}
    answer = http.get("/authorize?" + urlencode(query))
    code = parse_qs(urlparse(answer.headers.get("Location", "")).query).get("code")
    assert answer.status_code == 302 and code, (answer.status_code, answer.headers.get("Location"))
    token = http.post("/token", data={"grant_type": "authorization_code", "code": code[0], "redirect_uri": REDIRECT,
                                      "code_verifier": verifier}, auth=(client_id, secret))
    assert token.status_code == 200, token.get_data(as_text=True)


def timed(work, times: int, before=None) -> tuple[float, float]:
    samples = []
    for _ in range(times):
        if before:
            before()
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


PLANS = {
    "members page (first 20)": ("SELECT m.user_id, u.email, m.is_admin FROM organization_members m JOIN users u "
                                "ON u.id = m.user_id WHERE m.organization_id = %s AND m.user_id > '' "
                                "ORDER BY m.user_id LIMIT 21"),
    "membership at sign-in": "SELECT 1 FROM organization_members WHERE organization_id = %s AND user_id = %s",
    "a user's organizations": ("SELECT o.slug FROM organizations o JOIN organization_members m ON "
                               "m.organization_id = o.id WHERE m.user_id = %s ORDER BY o.slug LIMIT 100"),
}


def plans(url: str, small_org: str, huge_org: str, user: str) -> str:
    """EXPLAIN ANALYZE of the lookups, for the small organization and the huge one."""
    out = []
    with psycopg.connect(url) as conn:
        for name, sql in PLANS.items():
            for label, org in (("small", small_org), ("huge", huge_org)):
                params = {"members page (first 20)": (org,), "membership at sign-in": (org, user),
                          "a user's organizations": (user,)}[name]
                out.append(f"  {name}, {label}:")
                out += ["    " + line for (line,) in conn.execute("EXPLAIN ANALYZE " + sql, params).fetchall()]
                if name == "a user's organizations":
                    break
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--huge", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--timeout", type=int, default=1500, help="watchdog: stop after this many seconds")
    args = parser.parse_args()

    from idp.administration import Actor
    from idp.app import create_app
    from idp.config import Config
    from idp.organizations.admin import OrganizationAdmin
    from idp.plumbing.security import hash_password
    from idp.services import build_services

    services = None
    try:
        with time_bound(args.timeout), throwaway_database("orgs") as url:
            took = seed(url, args.orgs, args.members, args.huge)
            print("seeded (COPY, indexes built after): " + ", ".join(f"{t} {s:.1f}s" for t, s in took.items()),
                  flush=True)
            config = Config(issuer="http://127.0.0.1:9", database_url=url, redis_url=REDIS_URL,
                            redis_prefix=f"idpbench-orgs:{uuid.uuid4().hex[:8]}:",
                            session_secret=secrets.token_urlsafe(36), key_encryption_key=secrets.token_urlsafe(36),
                            rate_limit_max_requests=10**9, admin_api_rate_limit=10**9, authorize_rate_limit=10**9,
                            enable_audit_logs=False)
            services = build_services(config)
            services.mailer.start = lambda: None  # no mail here; its sweeper would outlive the dropped database
            app = create_app(services=services)
            # a small organization from the middle (its members' ids far from the table's first ones), and
            # the one who signs in: its first member, who is in the huge one too, with a password
            small = args.orgs // 2
            small_user = small * args.members
            with psycopg.connect(url) as conn:
                conn.execute("UPDATE users SET password_hash = %s, disabled = false WHERE id = %s",
                             (hash_password(PASSWORD), user_id(small_user)))
            client, secret = services.clients.create("bench rp", [REDIRECT], scope="openid", trusted=True,
                                                     grant_types=["authorization_code"])
            services.organizations.set_client_settings(client.client_id, usage="allow")
            admin_client, admin_secret = services.clients.create("bench admin", [], scope="admin:read",
                                                                 grant_types=["client_credentials"])
            http = signed_in(app, user_email(small_user))
            api = app.test_client()
            bearer = {"Authorization": "Bearer " + api.post(
                "/token", data={"grant_type": "client_credentials", "scope": "admin:read"},
                auth=(admin_client.client_id, admin_secret)).json["access_token"]}
            orgs_admin, operator = OrganizationAdmin(services), Actor.operator()
            results = {}
            for label, slug, ident, size in ((f"{args.members} members", f"org-{small:05d}", org_id(small), args.members),
                                             (f"{args.huge:,} members", "huge", org_id(args.orgs), args.huge)):
                page_size = min(20, size)

                def sign_in():
                    sign_in_once(http, client.client_id, secret, slug)

                def api_page():
                    response = api.get(f"/admin/api/v1/organizations/{ident}/members?limit=20", headers=bearer)
                    assert response.status_code == 200 and len(response.json["items"]) == page_size, response.text

                def console_page():
                    assert len(orgs_admin.members(operator, ident, limit=20).items) == page_size

                for work in (sign_in, api_page, console_page):
                    timed(work, 5)  # warm-up
                results[("sign-in warm", label)] = timed(sign_in, args.requests)
                results[("sign-in cold", label)] = timed(sign_in, args.requests, services.authorization.changed)
                results[("members API page", label)] = timed(api_page, args.requests)
                results[("members (console)", label)] = timed(console_page, args.requests)
            labels = [f"{args.members} members", f"{args.huge:,} members"]
            print(f"\n{'p50 / p95 ms':<22}" + "".join(f"{lbl:>26}" for lbl in labels))
            for case in ("sign-in warm", "sign-in cold", "members API page", "members (console)"):
                print(f"{case:<22}" + "".join(f"{results[(case, lbl)][0]:>15.2f} / {results[(case, lbl)][1]:<8.2f}"
                                              for lbl in labels))
            print(f"\nPostgreSQL's plans ({args.orgs:,} + 1 organizations, "
                  f"{args.orgs * args.members + args.huge:,} memberships):\n"
                  f"{plans(url, org_id(small), org_id(args.orgs), user_id(small_user))}", flush=True)
            services.store.flush_prefix()
            services.db.dispose()
            services = None
        return 0
    except Watchdog as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        if services is not None:
            services.store.flush_prefix()
            services.db.dispose()


if __name__ == "__main__":
    sys.exit(main())
