#!/usr/bin/env bash
# Update a running IdP to a new image: backup, pull, migrate, rolling restart, health check,
# and roll back to the previous image when any step after the backup fails.
#
#   scripts/update.sh --image IMAGE [--target docker|k8s] [--health-url URL] [--skip-backup]
#
#   --image IMAGE     the new image, e.g. registry.example.com/idp:0.2.0 (default $IDP_IMAGE)
#   --target T        docker: the deploy/compose.yaml deployment (default); k8s: deploy/k8s
#                     (migration Job, rollout, undo: scripts/deploy-k8s.sh --image IMAGE)
#   --health-url URL  where to check (default $ISSUER)
#   --skip-backup     no backup first (not recommended)
#
# First checks that the deployment answers (the compose stack's PostgreSQL, or the cluster), then
# the backup: scripts/backup.sh (--compose for compose's own PostgreSQL and Redis, whose ports are
# not published), into $BACKUP_DIR (default ./backups); restore it with scripts/restore.sh.
# docker: the previous image is kept as idp:rollback; a second IdP container starts on the new
# image, takes traffic once healthy (nginx reloaded), then the old one is removed. A failure
# before that leaves the old container serving, untouched. DOCKER (default docker) and COMPOSE
# (default "docker compose") name the tools (podman, podman-compose work). An image that cannot
# be pulled but exists locally (built here) is used as it is.
# Migrations are forward-compatible: a rollback keeps the migrated schema.
set -euo pipefail
usage() { sed -n '2,23s/^# \{0,1\}//p' "$0"; }
here=$(cd "$(dirname "$0")/.." && pwd)
image=${IDP_IMAGE:-} target=docker health_url=${ISSUER:-} backup=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --image) image=${2:?--image needs a value}; shift ;;
    --target) target=${2:?--target needs a value}; shift ;;
    --health-url) health_url=${2:?--health-url needs a value}; shift ;;
    --skip-backup) backup=0 ;;
    *) echo "update: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

problems=()
[[ -n "$image" ]] || problems+=("which image? pass --image (or set IDP_IMAGE)")
[[ "$target" == docker || "$target" == k8s ]] || problems+=("--target must be docker or k8s (got $target)")
[[ -n "$health_url" || "$target" == k8s ]] || problems+=("where to check health? pass --health-url (or set ISSUER)")
if [[ "$target" == k8s ]]; then
  command -v kubectl >/dev/null || problems+=("kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)")
  [[ $backup -eq 0 || -n "${DATABASE_URL:-}" ]] || problems+=("DATABASE_URL is not set (needed for the backup; or --skip-backup)")
else
  read -r -a docker_cmd <<< "${DOCKER:-docker}"
  read -r -a compose_cmd <<< "${COMPOSE:-docker compose}"
  if ! command -v "${docker_cmd[0]}" >/dev/null; then
    problems+=("${docker_cmd[0]} is not installed (https://docs.docker.com/engine/install/)")
  elif ! "${compose_cmd[@]}" version >/dev/null 2>&1; then
    problems+=("${compose_cmd[*]} is missing (${compose_cmd[*]} version fails)")
  fi
fi
if [[ ${#problems[@]} -gt 0 ]]; then
  echo "update: cannot update:" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 2
fi

backup_dir=${BACKUP_DIR:-backups}
compose_file=${COMPOSE_FILE:-$here/deploy/compose.yaml}
docker() { command "${docker_cmd[@]}" "$@"; }
compose() { command "${compose_cmd[@]}" -f "$compose_file" "$@"; }
# The idp service's containers, by the labels both docker compose and podman-compose set (podman-
# compose's `ps` takes no service name).
idp_containers() {
  docker ps -q --no-trunc --filter "label=com.docker.compose.project=${COMPOSE_PROJECT_NAME:-idp}" \
    --filter label=com.docker.compose.service=idp
}

echo "== the deployment answers"
if [[ "$target" == k8s ]]; then
  kubectl cluster-info >/dev/null 2>&1 || { echo "update: the cluster does not answer (kubectl cluster-info)" >&2; exit 1; }
else
  compose exec -T postgres pg_isready -q -U idp -d idp >/dev/null 2>&1 ||
    { echo "update: the compose stack's postgres does not answer (is it up? $compose_file)" >&2; exit 1; }
fi

if [[ $backup -eq 1 ]]; then
  echo "== backup"
  if [[ -n "${DATABASE_URL:-}" ]]; then
    "$here/scripts/backup.sh" "$backup_dir"
  else
    COMPOSE="${compose_cmd[*]}" COMPOSE_FILE=$compose_file "$here/scripts/backup.sh" --compose "$backup_dir"
  fi
fi

if [[ "$target" == k8s ]]; then
  echo "== migrate, roll out, health check (scripts/deploy-k8s.sh)"
  args=(--image "$image")
  [[ -z "$health_url" ]] || args+=(--health-url "$health_url")
  exec "$here/scripts/deploy-k8s.sh" "${args[@]}"
fi

echo "== pull $image"
previous=$(docker image inspect --format '{{.Id}}' idp:latest 2>/dev/null || true)
[[ -z "$previous" ]] || docker tag "$previous" idp:rollback
if ! docker pull "$image"; then
  docker image inspect "$image" >/dev/null 2>&1 || { echo "update: no image $image, here or in its registry" >&2; exit 1; }
  echo "update: $image could not be pulled; using the local image"
fi
docker tag "$image" idp:latest

# nginx resolves `idp` at each reload. Some container DNS servers (podman's) take a moment to
# follow a container that came or went: the reload is tried again for up to 15 s.
reload_nginx() {
  local attempt
  for attempt in $(seq 1 15); do
    compose exec -T nginx nginx -s reload && return 0
    [[ $attempt -eq 15 ]] || sleep 1
  done
  return 1
}

old=$(idp_containers)
new=""
rollback() {
  echo "update: FAILED ($1); rolling back to the previous image" >&2
  if [[ -n "$previous" ]]; then
    docker tag idp:rollback idp:latest
  fi
  if [[ -n "$old" ]]; then
    # The old container never stopped and still serves: only the new one (if any) goes.
    [[ -z "$new" ]] || docker rm -f "$new" >/dev/null || true
  else
    compose up -d --no-deps --force-recreate idp || true
  fi
  reload_nginx || true
  exit 1
}

echo "== migrate"
compose run --rm --no-deps migrate || rollback "migration"

echo "== rolling restart"
if [[ -n "$old" ]]; then
  compose up -d --no-deps --no-recreate --scale idp=2 idp || rollback "starting the new container"
  new=$(idp_containers | grep -v -x -F "$old" | head -n 1 || true)
  [[ -n "$new" ]] || rollback "no new container"
  healthy=""
  for _ in $(seq 1 60); do
    healthy=$(docker inspect --format '{{.State.Health.Status}}' "$new" 2>/dev/null || true)
    [[ "$healthy" == healthy || "$healthy" == unhealthy ]] && break
    sleep 2
  done
  [[ "$healthy" == healthy ]] || rollback "the new container is ${healthy:-not running}"
  reload_nginx || rollback "reloading nginx"  # nginx resolves idp again: both containers
  docker stop --time 30 "$old" >/dev/null && docker rm "$old" >/dev/null
  old=""
  reload_nginx || { echo "update: nginx could not be reloaded onto the new container" >&2; exit 1; }  # only the new one
else
  compose up -d --no-deps idp || rollback "starting the IdP"
fi

echo "== health check"
sleep 2
"$here/scripts/health-check.sh" "$health_url" || rollback "health check"
echo "updated to $image (previous image kept as idp:rollback)"
