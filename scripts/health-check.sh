#!/usr/bin/env bash
# Health check of a running IdP: liveness, readiness (which dependency is down) and discovery.
#   scripts/health-check.sh [BASE_URL]      (default $IDP_URL, else http://127.0.0.1:3001)
# Exit 0 when everything answers, 1 otherwise; one line per check. Cron- and probe-friendly.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,4s/^# \{0,1\}//p' "$0"
  exit 0
fi
base=${1:-${IDP_URL:-http://127.0.0.1:3001}}
base=${base%/}
status=0

check() {  # name path expected-status
  local code body
  body=$(curl -sS --max-time 5 -o - -w '\n%{http_code}' "$base$2" 2>&1) || true
  code=${body##*$'\n'}
  if [[ "$code" == "$3" ]]; then
    echo "ok    $1"
  else
    echo "FAIL  $1 (HTTP $code) ${body%$'\n'*}" | head -c 300; echo
    status=1
  fi
}

check "liveness  $base/health" /health 200
check "readiness $base/ready" /ready 200
check "discovery $base/.well-known/openid-configuration" /.well-known/openid-configuration 200
exit $status
