#!/usr/bin/env bash
# Backup of the IdP's state: PostgreSQL (pg_dump, custom format) and the IdP's own Redis keys,
# in one compressed, dated archive, encrypted when asked; optional upload; retention.
#
#   DATABASE_URL=postgresql://… [REDIS_URL=redis://:pw@host:6379/0] scripts/backup.sh [DIR]
#   scripts/backup.sh --compose [DIR]     the deploy/compose.yaml stack, from the host running it
#
#   DIR              where archives go (default $BACKUP_DIR, else ./backups)
#   --compose        dump through the stack's own containers (pg_dump in `postgres`, redis-cli in
#                    `redis`): their ports are not published. COMPOSE (default "docker compose";
#                    "podman-compose" works) and COMPOSE_FILE (default deploy/compose.yaml) say which
#   KEEP             archives kept in DIR, newest first (default 14)
#   REDIS_KEY_PREFIX the IdP's keys (default idp:); only they, in REDIS_URL's database, are saved
#   BACKUP_ENCRYPTION_KEY       a passphrase: the archive is encrypted (gpg, AES-256, .tar.gz.gpg)
#   BACKUP_ENCRYPTION_KEY_FILE  the same, read from a file
#   BACKUP_UPLOAD    optional destination: s3://bucket/prefix (aws s3 cp), gs://… (gsutil cp),
#                    or any other value is run as a command with the archive path appended
#
# Writes DIR/idp-YYYYmmdd-HHMMSS.tar.gz[.gpg] holding database.dump, redis.keys (RESTORE commands
# for the IdP's keys) and SHA256SUMS; prints "backup: <path>" last. Restore with scripts/restore.sh.
# Redis holds only sessions, codes and caches: when it cannot be read the backup goes on without
# it (a WARN on stderr; losing it signs people out); PostgreSQL (users, clients, encrypted signing
# keys, audit) is what matters. Keep KEY_ENCRYPTION_KEY elsewhere: the signing keys in the dump
# are useless without it, and it is not in the archive.
set -euo pipefail
usage() { sed -n '2,28s/^# \{0,1\}//p' "$0"; }
here=$(cd "$(dirname "$0")/.." && pwd)
compose_mode=0 dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --compose) compose_mode=1 ;;
    -*) echo "backup: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$dir" ]] || { echo "backup: one directory only" >&2; exit 2; }; dir=$1 ;;
  esac
  shift
done
dir=${dir:-${BACKUP_DIR:-backups}}
keep=${KEEP:-14}
prefix=${REDIS_KEY_PREFIX:-idp:}
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "backup: KEEP must be a positive number, got '$keep'" >&2; exit 2; }
passphrase=${BACKUP_ENCRYPTION_KEY:-}
if [[ -n "${BACKUP_ENCRYPTION_KEY_FILE:-}" ]]; then
  [[ -r "$BACKUP_ENCRYPTION_KEY_FILE" ]] || { echo "backup: cannot read BACKUP_ENCRYPTION_KEY_FILE" >&2; exit 2; }
  passphrase=$(<"$BACKUP_ENCRYPTION_KEY_FILE")
fi
tools=(tar sha256sum)
[[ -z "$passphrase" ]] || tools+=(gpg)
if [[ $compose_mode -eq 1 ]]; then
  read -r -a compose_cmd <<< "${COMPOSE:-docker compose}"
  compose_file=${COMPOSE_FILE:-$here/deploy/compose.yaml}
  compose() { "${compose_cmd[@]}" -f "$compose_file" "$@"; }
  tools+=("${compose_cmd[0]}")
  pg_dump_to() { compose exec -T postgres pg_dump -U idp --format=custom --no-owner --no-privileges idp > "$1"; }
  redis() { compose exec -T redis redis-cli --no-auth-warning -n 0 "$@"; }
else
  : "${DATABASE_URL:?set DATABASE_URL (postgresql://…), or use --compose}"
  tools+=(pg_dump)
  [[ -z "${REDIS_URL:-}" ]] || tools+=(redis-cli)
  # SQLAlchemy's driver suffix (postgresql+psycopg://) means nothing to libpq.
  pg_dump_to() { pg_dump --format=custom --no-owner --no-privileges --file="$1" "${DATABASE_URL/postgresql+psycopg:/postgresql:}"; }
  redis() { redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }
fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "backup: $tool is not installed" >&2; exit 2; }
done

# The IdP's keys only (those under its prefix, in its database index), never the whole server:
# a shared Redis holds other applications' data. Each key becomes one line a redis-cli can replay,
# `RESTORE key absolute-expiry payload REPLACE ABSTTL`, with redis-cli's own quoting both ways
# (no tool exports part of a Redis database; an RDB file always holds every index).
export_redis_keys() {  # file
  local pattern keys key
  # shellcheck disable=SC2001  # escaping four glob characters is one sed
  pattern=$(sed -e 's/[][*?\\]/\\&/g' <<< "$prefix")
  keys=$(redis --scan --pattern "$pattern*") || return 1
  quote() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
  local -a names=()
  while IFS= read -r key; do [[ -z "$key" ]] || names+=("$key"); done <<< "$keys"
  : > "$1"
  [[ ${#names[@]} -gt 0 ]] || return 0
  local replies now
  now=$(date +%s%3N)
  replies=$(for key in "${names[@]}"; do printf 'PTTL %s\nDUMP %s\n' "$(quote "$key")" "$(quote "$key")"; done |
            redis --no-raw) || return 1
  local -a lines
  mapfile -t lines <<< "$replies"
  [[ ${#lines[@]} -eq $((2 * ${#names[@]})) ]] || { echo "backup: unexpected answer from Redis" >&2; return 1; }
  local i ttl payload expiry
  for i in "${!names[@]}"; do
    ttl=${lines[2 * i]#(integer) } payload=${lines[2 * i + 1]}
    [[ "$payload" == \"* && "$ttl" =~ ^-?[0-9]+$ ]] || continue  # gone since the scan
    [[ "$ttl" == -2 ]] && continue
    expiry=0
    [[ "$ttl" == -1 ]] || expiry=$((now + ttl))
    printf 'RESTORE %s %s %s REPLACE ABSTTL\n' "$(quote "${names[i]}")" "$expiry" "$payload" >> "$1"
  done
}

stamp=$(date -u +%Y%m%d-%H%M%S)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077  # the dump holds password hashes and encrypted keys
mkdir -p "$dir"

echo "database -> database.dump"
pg_dump_to "$work/database.dump"
[[ -s "$work/database.dump" ]] || { echo "backup: pg_dump wrote nothing" >&2; exit 1; }
if [[ $compose_mode -eq 1 || -n "${REDIS_URL:-}" ]]; then
  echo "redis ($prefix*) -> redis.keys"
  if export_redis_keys "$work/redis.keys.partial"; then
    mv "$work/redis.keys.partial" "$work/redis.keys"
  else
    rm -f "$work/redis.keys.partial"
    echo "WARN  backup: Redis could not be read: the archive holds the database only" >&2
  fi
fi
(cd "$work" && sha256sum ./* > SHA256SUMS)
archive="$dir/idp-$stamp.tar.gz"
if [[ -n "$passphrase" ]]; then
  archive+=.gpg
  mkdir -m 700 "$work/gnupg"
  tar -czf - -C "$work" --exclude=./gnupg . |
    gpg --homedir "$work/gnupg" --batch --quiet --pinentry-mode loopback --passphrase-fd 3 \
        --symmetric --cipher-algo AES256 --output "$archive.partial" 3<<< "$passphrase"
else
  tar -czf "$archive.partial" -C "$work" .
fi
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
find "$dir" -maxdepth 1 \( -name 'idp-*.tar.gz' -o -name 'idp-*.tar.gz.gpg' \) -printf '%f\n' | sort -r |
  tail -n +"$((keep + 1))" | while read -r old; do rm -f -- "${dir:?}/$old"; echo "removed $old"; done
echo "backup: $archive"
