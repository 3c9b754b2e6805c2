#!/usr/bin/env bash
# Load test with wrk. Two modes:
#
#   bench/wrk.sh [bench/run.py options]     the repository's benchmark (bench/run.py: a throwaway
#                                           database, the IdP pinned to a core, every scenario, targets)
#   bench/wrk.sh --url URL [--duration S] [--connections N] [--threads N]
#                [--client-id ID --client-secret SECRET]
#                                           a running IdP: /health, discovery, JWKS, and /token
#                                           (client_credentials, bench/post.lua) when a client is given
#
# Needs wrk (apt-get install -y wrk). Point --url only at a server you own: this is load.
set -euo pipefail
usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }
here=$(cd "$(dirname "$0")" && pwd)
url="" duration=10 connections=32 threads=2 client_id="" client_secret="" passthrough=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --url) url=${2:?--url needs a value}; shift ;;
    --duration) duration=${2:?--duration needs a value}; shift ;;
    --connections) connections=${2:?--connections needs a value}; shift ;;
    --threads) threads=${2:?--threads needs a value}; shift ;;
    --client-id) client_id=${2:?--client-id needs a value}; shift ;;
    --client-secret) client_secret=${2:?--client-secret needs a value}; shift ;;
    *) passthrough+=("$1") ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "bench/wrk.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }

if [[ -z "$url" ]]; then
  python=$here/../.venv/bin/python
  [[ -x "$python" ]] || python=python3
  exec "$python" "$here/run.py" "${passthrough[@]}"
fi
[[ ${#passthrough[@]} -eq 0 ]] || { echo "bench/wrk.sh: unknown argument ${passthrough[0]}" >&2; exit 2; }
for n in "$duration" "$connections" "$threads"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench/wrk.sh: --duration, --connections and --threads are positive numbers" >&2; exit 2; }
done
[[ -z "$client_id" || -n "$client_secret" ]] || { echo "bench/wrk.sh: --client-id needs --client-secret" >&2; exit 2; }
url=${url%/}

load() {  # name path [wrk args…]
  local name=$1 path=$2
  shift 2
  echo "== $name: $connections connections, ${duration}s"
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency --timeout 5s "$@" "$url$path" |
    grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors' || true
}
load health /health
load discovery /.well-known/openid-configuration
load jwks /jwks.json
if [[ -n "$client_id" ]]; then
  basic=$(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)
  echo "== token (client_credentials): $connections connections, ${duration}s"
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency --timeout 5s -s "$here/post.lua" "$url/token" \
    -- 'grant_type=client_credentials' "Basic $basic" |
    grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors' || true
fi
