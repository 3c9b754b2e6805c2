#!/usr/bin/env bash
# Watch a running IdP: poll /health and /ready; after N failures in a row, alert through a
# webhook (once per outage), and again when it recovers.
#
#   scripts/health-monitor.sh [--url URL] [--cacert FILE] [--interval S] [--failures N] [--webhook URL]
#                             [--max-checks N]
#
#   --url URL        the IdP (default $IDP_URL, else http://127.0.0.1:3001)
#   --cacert FILE    trust this CA for the IdP's https (a private CA; default $IDP_CACERT)
#   --interval S     seconds between checks (default $INTERVAL, else 30)
#   --failures N     consecutive failed checks before alerting (default $FAILURES, else 3)
#   --webhook URL    POSTed {"text": …, "status": "down"|"up", "url": …} as JSON (Slack-, Teams-,
#                    Mattermost-compatible "text"; default $ALERT_WEBHOOK; unset: alerts go to stderr only)
#   --max-checks N   stop after N checks (default: run until stopped)
#
# One line per check on stdout. Never restarts anything itself: the orchestrator does (k8s
# probes, compose's restart policy); this tells a human when that is not enough.
set -euo pipefail
usage() { sed -n '2,18s/^# \{0,1\}//p' "$0"; }
url=${IDP_URL:-http://127.0.0.1:3001} interval=${INTERVAL:-30} failures=${FAILURES:-3}
webhook=${ALERT_WEBHOOK:-} max_checks=0 cacert=${IDP_CACERT:-}
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --url) url=${2:?--url needs a value}; shift ;;
    --cacert) cacert=${2:?--cacert needs a file}; shift ;;
    --interval) interval=${2:?--interval needs a value}; shift ;;
    --failures) failures=${2:?--failures needs a value}; shift ;;
    --webhook) webhook=${2:?--webhook needs a value}; shift ;;
    --max-checks) max_checks=${2:?--max-checks needs a value}; shift ;;
    *) echo "health-monitor: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$interval" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "health-monitor: --interval must be a number of seconds" >&2; exit 2; }
[[ "$failures" =~ ^[1-9][0-9]*$ ]] || { echo "health-monitor: --failures must be a positive number" >&2; exit 2; }
[[ "$max_checks" =~ ^[0-9]+$ ]] || { echo "health-monitor: --max-checks must be a number" >&2; exit 2; }
[[ -z "$cacert" || -r "$cacert" ]] || { echo "health-monitor: cannot read the CA file $cacert" >&2; exit 2; }
url=${url%/}
probe_opts=(-s --max-time 5)
[[ -z "$cacert" ]] || probe_opts+=(--cacert "$cacert")

json_string() {  # a JSON string literal of $1
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "${s//$'\n'/ }"
}

alert() {  # status text
  echo "ALERT $1: $2" >&2
  [[ -n "$webhook" ]] || return 0
  local body
  body="{\"status\": $(json_string "$1"), \"url\": $(json_string "$url"), \"text\": $(json_string "$2")}"
  curl -sS --max-time 10 -o /dev/null -X POST -H 'Content-Type: application/json' --data "$body" "$webhook" ||
    echo "health-monitor: the webhook $webhook failed" >&2
}

probe() {  # path -> prints the status code (000: no answer)
  curl "${probe_opts[@]}" -o /dev/null -w '%{http_code}' "$url$1" || true
}

failed=0 alerted=0 checks=0 last=""
while :; do
  health=$(probe /health)
  ready=$(probe /ready)
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  if [[ "$health" == 200 && "$ready" == 200 ]]; then
    echo "$now ok    health=$health ready=$ready"
    if [[ $alerted -eq 1 ]]; then
      alert up "IdP $url recovered at $now after $failed failed checks"
    fi
    failed=0 alerted=0
  else
    failed=$((failed + 1))
    last="health=$health ready=$ready"
    echo "$now FAIL  $last ($failed in a row)"
    if [[ $failed -ge $failures && $alerted -eq 0 ]]; then
      alert down "IdP $url is failing: $last, $failed checks in a row (since about $((failed * ${interval%.*})) s) at $now"
      alerted=1
    fi
  fi
  checks=$((checks + 1))
  if [[ $max_checks -gt 0 && $checks -ge $max_checks ]]; then
    break
  fi
  sleep "$interval"
done
[[ $failed -eq 0 ]]
