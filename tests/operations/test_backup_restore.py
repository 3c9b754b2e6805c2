"""scripts/backup.sh and scripts/restore.sh run for real: a seeded IdP database on this machine's
PostgreSQL and its keys in a dedicated Redis database index, backed up and restored into a fresh
database, plain and encrypted (gpg), with the round trip's time printed; a Redis outage during the
backup; a Redis shared with other applications (other keys, other indices) left as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import time
import uuid

import psycopg
import pytest
import redis

from idp.plumbing.security import hash_password

from ..conftest import PASSWORD, REDIS_URL, free_port, pg_database, start_idp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.skipif(not all(map(shutil.which, ("pg_dump", "pg_restore", "psql", "redis-cli", "gpg"))),
                                reason="PostgreSQL client tools, redis-cli or gpg missing")
IDP_INDEX, OTHER_INDEX = 9, 10  # the IdP's own Redis database, and a neighbour's
SEEDED_USERS, SEEDED_CLIENTS = 300, 30


def script(name: str) -> str:
    return os.path.join(ROOT, "scripts", name)


def run(args, env, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)


def redis_index(index: int) -> str:
    return REDIS_URL.rsplit("/", 1)[0] + f"/{index}"


@pytest.fixture
def seeded(tmp_path_factory):
    """A live IdP on a fresh database and Redis index IDP_INDEX, seeded with users, clients and
    session-like keys; a neighbour's keys in the same index and in another index."""
    live, stop = start_idp("postgres", tmp_path_factory, database_suffix=f"_seed{uuid.uuid4().hex[:6]}",
                           redis_url=redis_index(IDP_INDEX))
    hashed = hash_password(PASSWORD)
    for n in range(SEEDED_USERS):
        live.services.users.create(f"seed-{n}@example.com", hashed, f"Seed {n}", email_verified=True)
    for n in range(SEEDED_CLIENTS):
        live.create_client(name=f"Seed client {n}")
    prefix = live.services.config.redis_prefix
    own, other = redis.Redis.from_url(redis_index(IDP_INDEX)), redis.Redis.from_url(redis_index(OTHER_INDEX))
    own.set(prefix + "session:kept", b"\x00binary\nvalue\"with\\quotes", ex=3600)
    own.set(prefix + "forever", "no ttl")
    own.set("neighbour:key", "theirs")
    other.set(prefix + "session:kept", "another index")
    try:
        yield live, own, other
    finally:
        own.delete("neighbour:key")
        other.delete(prefix + "session:kept")
        stop()


def table_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'public' order by 1")]
        return {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_backup_then_restore_round_trip_of_a_seeded_database_and_the_idps_redis_keys_only(seeded, tmp_path,
                                                                                           encrypted):
    live, own, other = seeded
    config = live.services.config
    prefix = config.redis_prefix
    env = {**os.environ, "DATABASE_URL": config.database_url, "REDIS_URL": config.redis_url,
           "REDIS_KEY_PREFIX": prefix}
    if encrypted:
        env["BACKUP_ENCRYPTION_KEY"] = "correct horse battery staple " + uuid.uuid4().hex
    started = time.monotonic()
    made = run([script("backup.sh"), str(tmp_path / "backups")], env)
    backup_seconds = time.monotonic() - started
    assert made.returncode == 0, made.stdout + made.stderr
    archive = made.stdout.strip().splitlines()[-1].removeprefix("backup: ")
    assert archive.endswith(".tar.gz.gpg" if encrypted else ".tar.gz")
    with open(archive, "rb") as handle:
        raw = handle.read()
    if encrypted:
        assert not raw.startswith(b"\x1f\x8b") and b"PGDMP" not in raw and b"session:kept" not in raw
    else:
        with tarfile.open(archive) as tar:
            assert set(tar.getnames()) == {".", "./database.dump", "./redis.keys", "./SHA256SUMS"}
            keys = tar.extractfile("./redis.keys").read().decode()
        assert "neighbour:key" not in keys  # the neighbour's keys in the same index are not saved
        assert f'RESTORE "{prefix}session:kept"' in keys

    # The IdP's keys are lost, the neighbour changes its own: the restore must put back only ours.
    own.delete(prefix + "session:kept", prefix + "forever")
    own.set("neighbour:key", "changed since")
    restored_url, drop = pg_database(f"_rst{uuid.uuid4().hex[:6]}")
    try:
        restore_env = {**env, "DATABASE_URL": restored_url}
        started = time.monotonic()
        restored = run([script("restore.sh"), archive], restore_env)
        restore_seconds = time.monotonic() - started
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert table_counts(restored_url) == table_counts(config.database_url)
        assert table_counts(restored_url)["users"] >= SEEDED_USERS
        assert own.get(prefix + "session:kept") == b"\x00binary\nvalue\"with\\quotes"
        assert 3500 < own.ttl(prefix + "session:kept") <= 3600 and own.ttl(prefix + "forever") == -1
        assert own.get("neighbour:key") == b"changed since"
        assert other.get(prefix + "session:kept") == b"another index"
        print(f"\nbackup/restore round trip ({'encrypted' if encrypted else 'plain'}, {SEEDED_USERS} users, "
              f"{SEEDED_CLIENTS} clients, {len(raw)} bytes): backup {backup_seconds:.2f} s, "
              f"restore {restore_seconds:.2f} s")
    finally:
        drop()


def test_backup_without_redis_keeps_the_database_dump_and_warns(seeded, tmp_path):
    live, _, _ = seeded
    env = {**os.environ, "DATABASE_URL": live.services.config.database_url,
           "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    made = run([script("backup.sh"), str(tmp_path)], env)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "WARN" in made.stderr and "Redis could not be read" in made.stderr
    archive = made.stdout.strip().splitlines()[-1].removeprefix("backup: ")
    with tarfile.open(archive) as tar:
        assert set(tar.getnames()) == {".", "./database.dump", "./SHA256SUMS"}


def test_an_encrypted_archive_restores_only_with_its_passphrase(seeded, tmp_path):
    live, _, _ = seeded
    key_file = tmp_path / "backup.key"
    key_file.write_text("a passphrase kept in a file " + uuid.uuid4().hex)
    env = {**os.environ, "DATABASE_URL": live.services.config.database_url, "BACKUP_ENCRYPTION_KEY_FILE": str(key_file)}
    made = run([script("backup.sh"), str(tmp_path / "b")], env)
    assert made.returncode == 0, made.stderr
    archive = made.stdout.strip().splitlines()[-1].removeprefix("backup: ")
    target = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    missing = run([script("restore.sh"), archive], target)
    assert missing.returncode == 2 and "BACKUP_ENCRYPTION_KEY" in missing.stderr
    wrong = run([script("restore.sh"), archive], {**target, "BACKUP_ENCRYPTION_KEY": "not the passphrase"})
    assert wrong.returncode == 1 and "cannot decrypt" in wrong.stderr
