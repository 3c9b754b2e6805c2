#!/usr/bin/env bash
# Backup of the durable state (PostgreSQL, pg_dump custom format) and a Redis snapshot.
#   DATABASE_URL=postgresql://… REDIS_URL=redis://:pw@host:6379/0 deploy/scripts/backup.sh [DIR]
# Writes DIR/idp-YYYYmmdd-HHMMSS.tar.gz (default DIR: ./backups), keeps the last $KEEP (14).
# Redis holds only sessions and codes: losing it signs people out; PostgreSQL is what matters.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
dir=${1:-backups}
keep=${KEEP:-14}
stamp=$(date -u +%Y%m%d-%H%M%S)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir"
umask 077  # the dump holds password hashes and encrypted keys

echo "database -> database.dump"
pg_dump --format=custom --no-owner --file="$work/database.dump" "${DATABASE_URL/postgresql+psycopg:/postgresql:}"
if [[ -n "${REDIS_URL:-}" ]]; then
  echo "redis -> redis.rdb"
  redis-cli -u "$REDIS_URL" --no-auth-warning --rdb "$work/redis.rdb" >/dev/null
fi
tar -czf "$dir/idp-$stamp.tar.gz" -C "$work" .
ls -1t "$dir"/idp-*.tar.gz | tail -n +"$((keep + 1))" | xargs -r rm --
echo "backup: $dir/idp-$stamp.tar.gz"
