#!/usr/bin/env bash
# Load test with Apache Bench (ab), as the guide's `ab -n 1000 -c 10 …/health`, on a running IdP:
#
#   bench/ab.sh [--url URL] [-n REQUESTS] [-c CONCURRENCY] [--client-id ID --client-secret SECRET]
#
#   --url URL   the IdP (default $IDP_URL, else http://127.0.0.1:3001); only a server you own
#   -n, -c      requests per endpoint and concurrency (default 1000 and 10)
#   --client-id/--client-secret   also POST /token (client_credentials, HTTP Basic)
#
# Runs /health, discovery, JWKS (and /token); prints req/s, mean and p50/p99 latency and failed
# requests of each. Needs ab: apt-get install -y apache2-utils. For the full benchmark with
# targets, see bench/wrk.sh (bench/run.py).
set -euo pipefail
usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }
url=${IDP_URL:-http://127.0.0.1:3001} requests=1000 concurrency=10 client_id="" client_secret=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --url) url=${2:?--url needs a value}; shift ;;
    -n) requests=${2:?-n needs a value}; shift ;;
    -c) concurrency=${2:?-c needs a value}; shift ;;
    --client-id) client_id=${2:?--client-id needs a value}; shift ;;
    --client-secret) client_secret=${2:?--client-secret needs a value}; shift ;;
    *) echo "bench/ab.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
for n in "$requests" "$concurrency"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench/ab.sh: -n and -c are positive numbers" >&2; exit 2; }
done
command -v ab >/dev/null || { echo "bench/ab.sh: ab is not installed (apt-get install -y apache2-utils)" >&2; exit 2; }
url=${url%/}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
bench() {  # name path [ab args…]
  local name=$1 path=$2 out
  shift 2
  echo "== $name: $requests requests, concurrency $concurrency"
  if ! out=$(ab -q -n "$requests" -c "$concurrency" -s 10 "$@" "$url$path" 2>&1); then
    echo "$out" >&2
    status=1
    return
  fi
  grep -E '^(Requests per second|Time per request:.*\(mean\)|Failed requests|Non-2xx responses)|^ +(50|99)%' <<< "$out" || true
}
bench health /health
bench discovery /.well-known/openid-configuration
bench jwks /jwks.json
if [[ -n "$client_id" ]]; then
  printf 'grant_type=client_credentials' > "$work/body"
  bench token /token -p "$work/body" -T application/x-www-form-urlencoded -A "$client_id:$client_secret"
fi
exit $status
