#!/usr/bin/env bash
# Deploy (or redeploy) the IdP with docker compose: deploy/compose.yaml (PostgreSQL, Redis,
# migrations, the IdP, nginx with TLS).
#
#   scripts/deploy-docker.sh [--no-build] [--health-url URL] [--timeout S]
#
#   --no-build        use the image already there (idp:latest) instead of building it
#   --health-url URL  where to check once up (default $ISSUER)
#   --timeout S       how long to wait for the services to be healthy (default 300)
#
# Needs docker with the compose plugin, and in the environment (or deploy/.env): ISSUER (https),
# POSTGRES_PASSWORD, REDIS_PASSWORD, SESSION_SECRET, KEY_ENCRYPTION_KEY (openssl rand -hex 32 each;
# 32 characters at least), and deploy/nginx/ssl/tls.crt and tls.key.
# Steps: check, build, start PostgreSQL and Redis, run the migrations, start the IdP and nginx
# (waiting for their health checks), then scripts/health-check.sh. On failure it prints the
# services' state and the IdP's last logs.
set -euo pipefail
usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }
here=$(cd "$(dirname "$0")/.." && pwd)
compose_file=$here/deploy/compose.yaml
build=1 health_url="" timeout=300
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --no-build) build=0 ;;
    --health-url) health_url=${2:?--health-url needs a value}; shift ;;
    --timeout) timeout=${2:?--timeout needs a value}; shift ;;
    *) echo "deploy-docker: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || { echo "deploy-docker: --timeout must be a number of seconds" >&2; exit 2; }

# deploy/.env is what compose reads too; load it so the checks see the same values.
if [[ -f "$here/deploy/.env" ]]; then
  set -a
  # shellcheck disable=SC1091
  source "$here/deploy/.env"
  set +a
fi

problems=()
for var in ISSUER POSTGRES_PASSWORD REDIS_PASSWORD SESSION_SECRET KEY_ENCRYPTION_KEY; do
  value=${!var:-}
  if [[ -z "$value" ]]; then
    problems+=("$var is not set")
  elif [[ "$var" != ISSUER && ${#value} -lt 32 ]]; then
    problems+=("$var is shorter than 32 characters (openssl rand -hex 32)")
  fi
done
if [[ -n "${ISSUER:-}" && "$ISSUER" != https://* ]]; then
  problems+=("ISSUER must be an https:// URL (got $ISSUER)")
fi
for file in tls.crt tls.key; do
  [[ -f "$here/deploy/nginx/ssl/$file" ]] || problems+=("deploy/nginx/ssl/$file is missing (the TLS certificate nginx serves)")
done
if ! command -v docker >/dev/null; then
  problems+=("docker is not installed (https://docs.docker.com/engine/install/)")
elif ! docker compose version >/dev/null 2>&1; then
  problems+=("the docker compose plugin is missing (docker compose version fails)")
elif ! docker info >/dev/null 2>&1; then
  problems+=("the docker daemon does not answer (is it running? may this user use it?)")
fi
command -v curl >/dev/null || problems+=("curl is not installed")
if [[ ${#problems[@]} -gt 0 ]]; then
  echo "deploy-docker: cannot deploy:" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 2
fi

compose() { docker compose -f "$compose_file" "$@"; }
on_failure() {
  echo "deploy-docker: FAILED; state of the services:" >&2
  compose ps -a >&2 || true
  compose logs --tail 50 migrate idp >&2 || true
}
trap on_failure ERR

compose config --quiet
if [[ $build -eq 1 ]]; then
  echo "building the image"
  compose build --pull migrate
fi
# Three steps rather than one `up --wait`: compose's --wait can fail when a one-shot service
# (migrate) exits, whatever its exit code (docker/compose#10596).
echo "starting PostgreSQL and Redis"
compose up -d --wait --wait-timeout "$timeout" --remove-orphans postgres redis
echo "migrations"
compose run --rm --no-deps migrate
echo "starting the IdP and nginx"
compose up -d --wait --wait-timeout "$timeout" --no-deps idp nginx
echo "health check"
"$here/scripts/health-check.sh" "${health_url:-$ISSUER}"
trap - ERR
compose ps
echo "deployed: ${health_url:-$ISSUER}"
