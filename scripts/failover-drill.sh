#!/usr/bin/env bash
# Failover drill on the HA compose deployment (deploy/compose.ha.yaml): fail a primary, watch the IdP.
#   scripts/failover-drill.sh redis|postgres [BASE_URL] [SECONDS]   (default $IDP_URL, else https://127.0.0.1; 30 s)
# redis: kills the Redis primary (Sentinel promotes the replica); postgres: promotes the replica, then stops the primary.
# Probes /ready every 0.2 s meanwhile; prints failed probes and the recovery time; exit 1 if not recovered within 5 s.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" || $# -lt 1 ]]; then
  sed -n '2,5s/^# \{0,1\}//p' "$0"
  [[ $# -lt 1 ]] && exit 2
  exit 0
fi
target=$1
base=${2:-${IDP_URL:-https://127.0.0.1}}
base=${base%/}
seconds=${3:-30}
# Every argument is checked before anything is probed or failed.
problems=()
[[ "$target" == redis || "$target" == postgres ]] || problems+=("target is redis or postgres, not $target")
[[ "$base" =~ ^https?://[^/]+ ]] || problems+=("BASE_URL must be an http(s) URL, not $base")
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || problems+=("SECONDS must be a positive number, not $seconds")
if [[ ${#problems[@]} -gt 0 ]]; then
  printf 'failover-drill: %s\n' "${problems[@]}" >&2
  exit 2
fi
compose_file="$(cd "$(dirname "$0")/.." && pwd)/deploy/compose.ha.yaml"
for tool in docker curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "failover-drill: needs $tool" >&2; exit 2; }
done
compose() { docker compose -f "$compose_file" "$@"; }

fail() {
  case "$target" in
    redis) compose kill redis-primary ;;
    postgres)
      compose exec -T postgres-replica pg_ctl promote -D /bitnami/postgresql/data
      compose stop postgres-primary ;;
  esac
}

now_ms() { date +%s%3N; }
failed=0 last_failure=0
started=$(now_ms)
fail &
failing=$!
deadline=$((started + seconds * 1000))
while (( $(now_ms) < deadline )); do
  if ! curl -ksf --max-time 2 -o /dev/null "$base/ready"; then
    failed=$((failed + 1)); last_failure=$(now_ms)
  fi
  sleep 0.2
done
wait "$failing" || { echo "failover-drill: failing the $target primary did not work" >&2; exit 2; }
recovery=0
(( last_failure > 0 )) && recovery=$((last_failure - started))
echo "target=$target failed_probes=$failed recovery_ms=$recovery"
echo "then: restore the old primary as a replica (docs/high-availability.md, \"After a drill\")"
(( recovery <= 5000 ))
