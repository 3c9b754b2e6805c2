"""Token requests/s by client authentication, in one run: client_secret_basic, private_key_jwt
(RS256 assertion) and client_secret_basic with a DPoP proof (ES256), all `client_credentials`.

Registers its two clients itself (RFC 7591, one initial access token with 2 uses), the
private_key_jwt one with its `jwks` inline. Every request needs a fresh assertion or proof
(their jti is single-use), so they are signed before each measurement, sized from the
client_secret_basic rate, and the load threads only send them: the load generator's
signing does not compete with the requests. A 2 s warm-up run and a 1 s warm-up per
measurement are discarded.
Prints one JSON object: per variant rps, p50/p99 ms, errors, and the ratio to client_secret_basic.

    python bench/token_auth.py --url http://127.0.0.1:PORT --registration-token T --concurrency 8 --duration 10
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid

import requests
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def percentile(values, pct):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(pct / 100 * len(ordered)))], 2)


def register(url: str, token: str, metadata: dict) -> dict:
    response = requests.post(url + "/connect/register", json={"grant_types": ["client_credentials"], "scope": "openid",
                                                      **metadata},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    response.raise_for_status()
    return response.json()


def assertion(key, client_id: str, audience: str) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 300,
              "jti": uuid.uuid4().hex}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def proof(key, htu: str) -> str:
    claims = {"jti": uuid.uuid4().hex, "htm": "POST", "htu": htu, "iat": int(time.time())}
    return jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}, claims, key)


def load(send, concurrency: int, duration: float, warmup: float = 1.0) -> dict:
    """Threads call send(session, i) in a loop; counts what answers 200 inside the window."""
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + duration
    lock = threading.Lock()
    latencies, errors, counter = [], [0], [0]

    def worker():
        session = requests.Session()
        session.trust_env = False
        while True:
            with lock:
                i = counter[0]
                counter[0] += 1
            began = time.monotonic()
            if began >= stop_at:
                return
            try:
                response = send(session, i)
                if response is None:
                    return  # the pre-signed pool is used up
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            took = time.monotonic() - began
            if began >= measure_from:
                with lock:
                    if ok:
                        latencies.append(took * 1000)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + warmup + 30)
    return {"rps": round(len(latencies) / duration, 1), "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99), "errors": errors[0], "requests": counter[0]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--registration-token", required=True, help="an initial access token with 2 uses")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    token_url = args.url + "/token"
    form = {"grant_type": "client_credentials"}

    rsa = RSAKey.generate_key(2048, private=True, parameters={"kid": "bench"})
    ec = ECKey.generate_key("P-256", private=True)
    basic = register(args.url, args.registration_token, {"client_name": "bench basic"})
    pkjwt = register(args.url, args.registration_token, {
        "client_name": "bench private_key_jwt", "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [rsa.as_dict(private=False)]}})
    auth = (basic["client_id"], basic["client_secret"])

    send_basic = lambda s, i: s.post(token_url, data=form, auth=auth, timeout=10)  # noqa: E731
    load(send_basic, args.concurrency, 2.0)  # warm the server (pools, caches); discarded
    results = {"client_secret_basic": load(send_basic, args.concurrency, args.duration)}
    needed = int((results["client_secret_basic"]["rps"] or 100) * (args.duration + 1) * 3) + 500

    assertions = [assertion(rsa, pkjwt["client_id"], token_url) for _ in range(needed)]
    results["private_key_jwt"] = load(
        lambda s, i: None if i >= needed else s.post(token_url, timeout=10, data={
            **form, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertions[i]}),
        args.concurrency, args.duration)

    proofs = [proof(ec, token_url) for _ in range(needed)]  # iat stays inside the 60 s window
    results["dpop"] = load(lambda s, i: None if i >= needed else s.post(token_url, data=form, auth=auth, timeout=10,
                                                                        headers={"DPoP": proofs[i]}),
                           args.concurrency, args.duration)
    base = results["client_secret_basic"]["rps"] or 1
    for name, result in results.items():
        result["vs_client_secret_basic"] = round(result["rps"] / base, 3)
        if result["requests"] >= needed and name != "client_secret_basic":
            result["note"] = "ran out of pre-signed assertions/proofs: rate is a lower bound"
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
