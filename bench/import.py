"""Moving in at scale (issue 32): `idp users import` of generated users with bcrypt hashes (cost 12,
as the replaced service's BCRYPT_SALT_ROUNDS) into a fresh PostgreSQL database; rows/s and the
importing process's peak RSS. Verifying hashes is not part of an import (only parsing them), so a
few real hashes are reused across the file.

    .venv/bin/python bench/import.py [--users 1000000] [--timeout 1800]

Time-bounded (the import is killed at --timeout); the database and the generated file are removed
on every exit path. The file is generated first and not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid

import bcrypt
import psycopg

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")


def generate(path: str, users: int) -> None:
    hashes = [bcrypt.hashpw(secrets.token_urlsafe(12).encode(), bcrypt.gensalt(12)).decode() for _ in range(8)]
    with open(path, "w") as handle:
        for i in range(users):
            handle.write(json.dumps({"id": str(uuid.uuid4()), "email": f"user{i:07d}@bench.example.com",
                                     "email_verified": True, "name": f"User {i}",
                                     "password": hashes[i % len(hashes)],
                                     "created_at": "2024-01-01T00:00:00Z"}) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    name = f"idp_bench_import_{secrets.token_hex(4)}"
    folder = tempfile.mkdtemp(prefix="idp-bench-import-")
    path = os.path.join(folder, "users.jsonl")
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        generate(path, args.users)
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        env = {**os.environ, "DATABASE_URL": url, "IDP_ENV": "development", "LOG_LEVEL": "WARNING"}
        env.pop("REDIS_URL", None)
        idp = [sys.executable, "-m", "idp.cli"]
        subprocess.run([*idp, "db", "upgrade"], env=env, check=True, capture_output=True)
        started = time.monotonic()
        result = subprocess.run([*idp, "users", "import", path, "--batch-size", str(args.batch_size), "--json"],
                                env=env, capture_output=True, text=True, timeout=args.timeout)
        elapsed = time.monotonic() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        report = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {}
        print(json.dumps({"users": args.users, "created": report.get("created"), "failed": report.get("failed"),
                          "seconds": round(elapsed, 1), "rows_per_second": round(args.users / elapsed),
                          "peak_rss_mib": round(peak_kib / 1024, 1), "file_mib": round(os.path.getsize(path) / 2**20, 1)}))
        return result.returncode
    finally:
        os.path.exists(path) and os.unlink(path)
        os.rmdir(folder)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
