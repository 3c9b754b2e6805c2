"""scripts/update.sh's order of steps and its rollback, with a stand-in docker that records each
call and answers like a running compose stack (the real stack: test_compose_stack.py): the stack
is checked before the backup, the backup is scripts/backup.sh --compose (an archive restore.sh
reads), and a failed migration leaves the old container serving, untouched."""

from __future__ import annotations

import os
import subprocess
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FAKE_DOCKER = r"""#!/bin/sh
# Records each call; answers like a compose stack with one healthy idp container "old-idp".
echo "docker $*" >> "$DOCKER_LOG"
case "$*" in
  "compose version") exit 0 ;;
  *"exec -T postgres pg_isready"*) exit "${PG_RC:-0}" ;;
  *"exec -T postgres pg_dump"*) printf 'PGDMP fake custom-format dump' ;;
  *"exec -T redis redis-cli"*"--scan"*) exit 0 ;;
  *"run --rm --no-deps migrate"*) exit "${MIGRATE_RC:-0}" ;;
  "ps -q --no-trunc --filter label=com.docker.compose.project=idp --filter label=com.docker.compose.service=idp")
    echo old-idp; [ -f "$DOCKER_LOG.scaled" ] && echo new-idp ;;
  *"--scale idp=2"*) touch "$DOCKER_LOG.scaled" ;;
  "inspect --format {{.State.Health.Status}} new-idp") echo healthy ;;
  "image inspect --format {{.Id}} idp:latest") echo sha256:previous ;;
esac
exit 0
"""


def run_update(tmp_path, **env_overrides) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    log = tmp_path / "docker.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DOCKER_LOG": str(log),
           "BACKUP_DIR": str(tmp_path / "backups"), **env_overrides}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([os.path.join(ROOT, "scripts", "update.sh"), "--image", "idp:0.2.0", "--health-url",
                             "http://127.0.0.1:1"], env=env, capture_output=True, text=True, timeout=120)
    return result, log.read_text().splitlines() if log.exists() else []


def test_update_checks_the_stack_answers_before_taking_a_backup(tmp_path):
    result, calls = run_update(tmp_path, PG_RC="1")
    assert result.returncode == 1 and "does not answer" in result.stderr, result.stdout + result.stderr
    assert not any("pg_dump" in call or "pull" in call for call in calls), calls
    assert not (tmp_path / "backups").exists()


def test_a_failed_migration_leaves_the_old_container_serving_untouched(tmp_path):
    result, calls = run_update(tmp_path, MIGRATE_RC="1")
    assert result.returncode == 1 and "FAILED (migration)" in result.stderr, result.stdout + result.stderr
    migrate = next(i for i, call in enumerate(calls) if "run --rm --no-deps migrate" in call)
    after = calls[migrate + 1:]
    assert not any(" up " in call or "rm -f" in call or "stop" in call for call in after), after
    assert "docker tag idp:rollback idp:latest" in after  # the image tag is put back


def test_the_update_backup_is_an_archive_restore_reads(tmp_path):
    result, calls = run_update(tmp_path, MIGRATE_RC="1")
    check = next(i for i, call in enumerate(calls) if "pg_isready" in call)
    dump = next(i for i, call in enumerate(calls) if "pg_dump" in call)
    assert check < dump
    (archive,) = (tmp_path / "backups").glob("idp-*.tar.gz")
    with tarfile.open(archive) as tar:
        assert {"./database.dump", "./SHA256SUMS"} <= set(tar.getnames())
