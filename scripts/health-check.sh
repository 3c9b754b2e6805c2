#!/usr/bin/env bash
# Health check of a running IdP: liveness, readiness (which dependency is down) and discovery.
#   scripts/health-check.sh [--cacert FILE] [BASE_URL]      (default $IDP_URL, else http://127.0.0.1:3001)
#   --cacert FILE   trust this CA for https (a private CA; default $IDP_CACERT, else the system's)
# Exit 0 when everything answers, 1 otherwise; one line per check. Cron- and probe-friendly.
set -euo pipefail
usage() { sed -n '2,5s/^# \{0,1\}//p' "$0"; }
cacert=${IDP_CACERT:-} base=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --cacert) cacert=${2:?--cacert needs a file}; shift ;;
    -*) echo "health-check: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$base" ]] || { echo "health-check: one URL only" >&2; exit 2; }; base=$1 ;;
  esac
  shift
done
[[ -z "$cacert" || -r "$cacert" ]] || { echo "health-check: cannot read the CA file $cacert" >&2; exit 2; }
base=${base:-${IDP_URL:-http://127.0.0.1:3001}}
base=${base%/}
curl_opts=(-sS --max-time 5)
[[ -z "$cacert" ]] || curl_opts+=(--cacert "$cacert")
status=0

check() {  # name path expected-status
  local code body
  body=$(curl "${curl_opts[@]}" -o - -w '\n%{http_code}' "$base$2" 2>&1) || true
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
