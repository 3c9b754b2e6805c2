#!/usr/bin/env bash
# Stand-ins for the third-party images deploy/compose.yaml names (postgres, redis, nginx), made
# from Debian packages on a machine that reaches no image registry, and tagged with the exact
# names the compose file uses, so that the compose file runs unchanged:
#   - one Debian root filesystem (mmdebstrap: postgresql, redis-server, redis-tools, nginx);
#   - postgres: an entrypoint doing what the official image's does on an empty data directory
#     (initdb with POSTGRES_USER/POSTGRES_PASSWORD, POSTGRES_DB created, password logins from the
#     network, trust on the local socket), then the server as user postgres;
#   - redis: redis-server in /data; nginx: nginx in the foreground, conf.d/ included, no default site.
# They hold Debian's versions (PostgreSQL 15 for bookworm, whatever the compose tag says): the
# stand-ins check the kit, not the upstream images. Images already here are kept (the cache);
# --rebuild makes them again.
#
# Usage: deploy/ci/build-compose-standins.sh [--rebuild]
# Environment: DEBIAN_SUITE (default bookworm), DEBIAN_MIRROR (default: the host's apt sources),
#              CONTAINERS_CONF (default: the one deploy/ci/build-image.sh writes, when present).
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,17s/^# \{0,1\}//p' "$0"
  exit 0
fi
cd "$(dirname "$0")/../.."
rebuild=0
[[ "${1:-}" == "--rebuild" ]] && rebuild=1
if [[ -z "${CONTAINERS_CONF:-}" && -f /var/tmp/idp-ci/containers.conf ]]; then
  export CONTAINERS_CONF=/var/tmp/idp-ci/containers.conf
fi

image_of() {  # service -> the image compose.yaml names for it, fully qualified
  local name
  name=$(awk -v s="  $1:" '$0 == s { found = 1; next } found && /^    image:/ { print $2; exit }' deploy/compose.yaml)
  [[ -n "$name" ]] || { echo "build-compose-standins: no image for $1 in deploy/compose.yaml" >&2; exit 2; }
  case "$name" in */*) echo "$name" ;; *) echo "docker.io/library/$name" ;; esac
}
postgres=$(image_of postgres) redis=$(image_of redis) nginx=$(image_of nginx)
if [[ $rebuild -eq 0 ]] && podman image exists "$postgres" && podman image exists "$redis" &&
   podman image exists "$nginx"; then
  echo "== stand-ins cached: $postgres $redis $nginx"
  exit 0
fi

started=$(date +%s)
work=$(mktemp -d /var/tmp/idp-standins.XXXXXX)
trap 'rm -rf "$work"' EXIT
base=localhost/idp-ci-standin-base:latest
if [[ $rebuild -eq 0 ]] && podman image exists "$base"; then
  echo "== Debian root filesystem: cached ($base)"
else
  echo "== Debian root filesystem (mmdebstrap ${DEBIAN_SUITE:-bookworm})"
  # shellcheck disable=SC2016  # "$1" is the root filesystem, expanded by mmdebstrap's hooks
  mmdebstrap --variant=minbase --quiet --include=postgresql,redis-server,redis-tools,nginx \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -f "$1/etc/nginx/sites-enabled/default"' \
    --customize-hook='mkdir -p "$1/data" "$1/var/cache/nginx" "$1/var/run/postgresql"' \
    --customize-hook='ln -sf /dev/stdout "$1/var/log/nginx/access.log"; ln -sf /dev/stderr "$1/var/log/nginx/error.log"' \
    "${DEBIAN_SUITE:-bookworm}" "$work/rootfs.tar" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} </dev/null
  podman import --change 'ENV LANG=C.UTF-8' "$work/rootfs.tar" "$base" >/dev/null
  rm -f "$work/rootfs.tar"
fi
pg_bin=$(podman run --rm --network none "$base" sh -c 'echo /usr/lib/postgresql/*/bin')

cat > "$work/postgres-entrypoint.sh" <<'SH'
#!/bin/sh
# The official postgres image's first start, for the compose stand-in: an empty PGDATA gets a
# cluster owned by POSTGRES_USER (password POSTGRES_PASSWORD) and the database POSTGRES_DB.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ "${1:-}" = postgres ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
    pwfile=/var/run/postgresql/.pw
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    as_postgres initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust \
      --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    db=${POSTGRES_DB:-$user}
    [ "$db" = postgres ] || psql -U "$user" -d postgres -Xqc "CREATE DATABASE \"$db\""
    as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$@" -D "$PGDATA"
fi
exec "$@"
SH
chmod 755 "$work/postgres-entrypoint.sh"
cat > "$work/Containerfile.postgres" <<EOF
FROM $base
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=$pg_bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data
LABEL org.opencontainers.image.description="idp CI stand-in built from Debian packages"
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
EOF
cat > "$work/Containerfile.redis" <<EOF
FROM $base
LABEL org.opencontainers.image.description="idp CI stand-in built from Debian packages"
WORKDIR /data
EXPOSE 6379
CMD ["redis-server"]
EOF
cat > "$work/Containerfile.nginx" <<EOF
FROM $base
LABEL org.opencontainers.image.description="idp CI stand-in built from Debian packages"
EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF
for service in postgres redis nginx; do
  podman build --pull=never --format docker --network none --quiet --tag "${!service}" \
    --file "$work/Containerfile.$service" "$work" >/dev/null
  echo "== $service stand-in: ${!service}"
done
echo "== stand-ins made in $(($(date +%s) - started)) s"
