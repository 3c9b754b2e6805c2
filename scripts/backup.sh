#!/usr/bin/env bash
# Backup of the IdP's state: PostgreSQL (pg_dump, custom format) and a Redis snapshot (RDB),
# in one compressed, dated archive; optional upload; retention.
#
#   DATABASE_URL=postgresql://… [REDIS_URL=redis://:pw@host:6379/0] scripts/backup.sh [DIR]
#
#   DIR            where archives go (default $BACKUP_DIR, else ./backups)
#   KEEP           archives kept in DIR, newest first (default 14)
#   BACKUP_UPLOAD  optional destination: s3://bucket/prefix (aws s3 cp), gs://… (gsutil cp),
#                  or any other value is run as a command with the archive path appended
#
# Writes DIR/idp-YYYYmmdd-HHMMSS.tar.gz holding database.dump, redis.rdb (when REDIS_URL is set)
# and SHA256SUMS; prints "backup: <path>" last. Restore with scripts/restore.sh.
# Redis holds only sessions, codes and caches: losing it signs people out; PostgreSQL (users,
# clients, encrypted signing keys, audit) is what matters. Keep KEY_ENCRYPTION_KEY elsewhere:
# the signing keys in the dump are useless without it, and it is not in the archive.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,17s/^# \{0,1\}//p' "$0"
  exit 0
fi
: "${DATABASE_URL:?set DATABASE_URL (postgresql://…)}"
dir=${1:-${BACKUP_DIR:-backups}}
keep=${KEEP:-14}
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "KEEP must be a positive number, got '$keep'" >&2; exit 2; }
for tool in pg_dump tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "backup: $tool is not installed" >&2; exit 2; }
done
if [[ -n "${REDIS_URL:-}" ]] && ! command -v redis-cli >/dev/null; then
  echo "backup: REDIS_URL is set but redis-cli is not installed" >&2; exit 2
fi
stamp=$(date -u +%Y%m%d-%H%M%S)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077  # the dump holds password hashes and encrypted keys
mkdir -p "$dir"

echo "database -> database.dump"
# SQLAlchemy's driver suffix (postgresql+psycopg://) means nothing to libpq.
pg_dump --format=custom --no-owner --no-privileges --file="$work/database.dump" \
  "${DATABASE_URL/postgresql+psycopg:/postgresql:}"
if [[ -n "${REDIS_URL:-}" ]]; then
  echo "redis -> redis.rdb"
  redis-cli -u "$REDIS_URL" --no-auth-warning --rdb "$work/redis.rdb" >/dev/null
fi
(cd "$work" && sha256sum ./* > SHA256SUMS)
archive="$dir/idp-$stamp.tar.gz"
tar -czf "$archive.partial" -C "$work" .
mv "$archive.partial" "$archive"

if [[ -n "${BACKUP_UPLOAD:-}" ]]; then
  echo "upload -> $BACKUP_UPLOAD"
  case "$BACKUP_UPLOAD" in
    s3://*) aws s3 cp --only-show-errors "$archive" "${BACKUP_UPLOAD%/}/" ;;
    gs://*) gsutil -q cp "$archive" "${BACKUP_UPLOAD%/}/" ;;
    *) read -r -a upload_cmd <<< "$BACKUP_UPLOAD"; "${upload_cmd[@]}" "$archive" ;;
  esac
fi

# Retention: the newest $keep archives stay (names sort by date).
find "$dir" -maxdepth 1 -name 'idp-*.tar.gz' -printf '%f\n' | sort -r | tail -n +"$((keep + 1))" |
  while read -r old; do rm -f -- "${dir:?}/$old"; echo "removed $old"; done
echo "backup: $archive"
