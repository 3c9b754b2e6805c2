#!/usr/bin/env bash
# Restore an archive written by scripts/backup.sh into the database of DATABASE_URL.
#
#   DATABASE_URL=postgresql://… scripts/restore.sh [--force] [--redis-rdb PATH] ARCHIVE
#
#   --force          restore over a database that already has tables (they are dropped first)
#   --redis-rdb PATH also extract the Redis snapshot to PATH (copy it to Redis' dir while Redis
#                    is stopped; or skip it: without it users sign in again, nothing else is lost)
#
# Checks the archive's SHA256SUMS, restores with pg_restore (no owner, single transaction),
# then runs `idp db upgrade` when the idp command is here (an older backup into a newer release).
# The IdP must run with the KEY_ENCRYPTION_KEY of the backed-up deployment to use its signing keys.
set -euo pipefail
usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }
force=0 rdb_out="" archive=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --force) force=1 ;;
    --redis-rdb) rdb_out=${2:?--redis-rdb needs a path}; shift ;;
    -*) echo "restore: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$archive" ]] || { echo "restore: one archive only" >&2; exit 2; }; archive=$1 ;;
  esac
  shift
done
[[ -n "$archive" ]] || { echo "restore: which archive? (see --help)" >&2; exit 2; }
[[ -f "$archive" ]] || { echo "restore: $archive: no such file" >&2; exit 2; }
: "${DATABASE_URL:?set DATABASE_URL to the database to restore into}"
for tool in pg_restore psql tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "restore: $tool is not installed" >&2; exit 2; }
done
db=${DATABASE_URL/postgresql+psycopg:/postgresql:}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

tar -xzf "$archive" -C "$work"
(cd "$work" && sha256sum --check --quiet SHA256SUMS) || { echo "restore: checksum mismatch in $archive" >&2; exit 1; }
[[ -f "$work/database.dump" ]] || { echo "restore: $archive holds no database.dump" >&2; exit 1; }

tables=$(psql "$db" -XAtqc "select count(*) from information_schema.tables where table_schema = 'public'")
if [[ "$tables" != "0" && $force -eq 0 ]]; then
  echo "restore: the target database already has $tables tables; use --force to replace them" >&2
  exit 1
fi
echo "database.dump -> $(sed -E 's#//[^@/]*@#//***@#' <<< "$db")"
clean=()
[[ $force -eq 1 ]] && clean=(--clean --if-exists)
pg_restore --no-owner --no-privileges --single-transaction --exit-on-error "${clean[@]}" \
  --dbname="$db" "$work/database.dump"

if [[ -n "$rdb_out" ]]; then
  if [[ -f "$work/redis.rdb" ]]; then
    cp "$work/redis.rdb" "$rdb_out"
    echo "redis.rdb -> $rdb_out"
  else
    echo "restore: $archive holds no redis.rdb" >&2
  fi
fi
if command -v idp >/dev/null; then
  DATABASE_URL=$DATABASE_URL idp db upgrade
fi
echo "restored: $archive"
