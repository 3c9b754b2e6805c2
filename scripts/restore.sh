#!/usr/bin/env bash
# Restore an archive written by scripts/backup.sh into the database of DATABASE_URL.
#
#   DATABASE_URL=postgresql://… [REDIS_URL=redis://…/0] scripts/restore.sh [--force] ARCHIVE
#   scripts/restore.sh --compose [--force] ARCHIVE     into the deploy/compose.yaml stack
#
#   --force          restore over a database that already has tables (they are dropped first)
#   --compose        restore through the stack's containers (as backup.sh --compose; COMPOSE and
#                    COMPOSE_FILE say which), then run the migrations with its `migrate` service
#   --no-redis       leave Redis alone (without the IdP's keys users sign in again, nothing else)
#   BACKUP_ENCRYPTION_KEY[_FILE]  the passphrase of an encrypted archive (.tar.gz.gpg)
#
# Checks the archive's SHA256SUMS, restores with pg_restore (no owner, single transaction), puts
# back the IdP's Redis keys (REDIS_URL's database; other keys and other indices are untouched),
# then runs `idp db upgrade` when the idp command is here (an older backup into a newer release).
# The IdP must run with the KEY_ENCRYPTION_KEY of the backed-up deployment to use its signing keys.
set -euo pipefail
usage() { sed -n '2,18s/^# \{0,1\}//p' "$0"; }
here=$(cd "$(dirname "$0")/.." && pwd)
force=0 compose_mode=0 with_redis=1 archive=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --force) force=1 ;;
    --compose) compose_mode=1 ;;
    --no-redis) with_redis=0 ;;
    -*) echo "restore: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$archive" ]] || { echo "restore: one archive only" >&2; exit 2; }; archive=$1 ;;
  esac
  shift
done
[[ -n "$archive" ]] || { echo "restore: which archive? (see --help)" >&2; exit 2; }
[[ -f "$archive" ]] || { echo "restore: $archive: no such file" >&2; exit 2; }
passphrase=${BACKUP_ENCRYPTION_KEY:-}
if [[ -n "${BACKUP_ENCRYPTION_KEY_FILE:-}" ]]; then
  [[ -r "$BACKUP_ENCRYPTION_KEY_FILE" ]] || { echo "restore: cannot read BACKUP_ENCRYPTION_KEY_FILE" >&2; exit 2; }
  passphrase=$(<"$BACKUP_ENCRYPTION_KEY_FILE")
fi
if [[ "$archive" == *.gpg && -z "$passphrase" ]]; then
  echo "restore: $archive is encrypted: set BACKUP_ENCRYPTION_KEY (or BACKUP_ENCRYPTION_KEY_FILE)" >&2; exit 2
fi
tools=(tar sha256sum)
[[ "$archive" != *.gpg ]] || tools+=(gpg)
if [[ $compose_mode -eq 1 ]]; then
  read -r -a compose_cmd <<< "${COMPOSE:-docker compose}"
  compose_file=${COMPOSE_FILE:-$here/deploy/compose.yaml}
  compose() { "${compose_cmd[@]}" -f "$compose_file" "$@"; }
  tools+=("${compose_cmd[0]}")
  target="the compose stack's postgres"
  psql_c() { compose exec -T postgres psql -U idp -d idp -XAtqc "$1"; }
  pg_restore_from() { compose exec -T postgres pg_restore -U idp -d idp "$@" < "$dump"; }
  redis() { compose exec -T redis redis-cli --no-auth-warning -n 0 "$@"; }
else
  : "${DATABASE_URL:?set DATABASE_URL to the database to restore into, or use --compose}"
  tools+=(pg_restore psql)
  [[ -z "${REDIS_URL:-}" ]] || tools+=(redis-cli)
  db=${DATABASE_URL/postgresql+psycopg:/postgresql:}
  target=$(sed -E 's#//[^@/]*@#//***@#' <<< "$db")
  psql_c() { psql "$db" -XAtqc "$1"; }
  pg_restore_from() { pg_restore --dbname="$db" "$@" "$dump"; }
  redis() { redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }
fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "restore: $tool is not installed" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

if [[ "$archive" == *.gpg ]]; then
  mkdir -m 700 "$work/.gnupg"
  gpg --homedir "$work/.gnupg" --batch --quiet --pinentry-mode loopback --passphrase-fd 3 --decrypt "$archive" \
      3<<< "$passphrase" | tar -xzf - -C "$work" ||
    { echo "restore: cannot decrypt $archive (wrong BACKUP_ENCRYPTION_KEY?)" >&2; exit 1; }
else
  tar -xzf "$archive" -C "$work"
fi
dump="$work/database.dump"
(cd "$work" && sha256sum --check --quiet SHA256SUMS) || { echo "restore: checksum mismatch in $archive" >&2; exit 1; }
[[ -f "$dump" ]] || { echo "restore: $archive holds no database.dump" >&2; exit 1; }

tables=$(psql_c "select count(*) from information_schema.tables where table_schema = 'public'")
if [[ "$tables" != "0" && $force -eq 0 ]]; then
  echo "restore: the target database already has $tables tables; use --force to replace them" >&2
  exit 1
fi
echo "database.dump -> $target"
clean=()
[[ $force -eq 1 ]] && clean=(--clean --if-exists)
pg_restore_from --no-owner --no-privileges --single-transaction --exit-on-error "${clean[@]}"

if [[ $with_redis -eq 1 && -f "$work/redis.keys" ]] && [[ $compose_mode -eq 1 || -n "${REDIS_URL:-}" ]]; then
  # RESTORE … REPLACE of the saved keys only, in the URL's database: nothing else is flushed.
  echo "redis.keys -> $(wc -l < "$work/redis.keys") keys"
  errors=$(redis --no-raw < "$work/redis.keys" | grep -v -x -e OK -e '' || true)
  [[ -z "$errors" ]] || { echo "restore: Redis refused keys: ${errors:0:300}" >&2; exit 1; }
fi
if [[ $compose_mode -eq 1 ]]; then
  compose run --rm --no-deps migrate
elif command -v idp >/dev/null; then
  DATABASE_URL=$DATABASE_URL idp db upgrade
fi
echo "restored: $archive"
