#!/usr/bin/env bash
# A longer soak than CI's: one gunicorn worker under steady load, RSS and open file
# descriptors sampled ten times. Usage: bench/soak.sh [seconds]   (default 600)
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,3s/^# \{0,1\}//p' "$0"
  exit 0
fi
cd "$(dirname "$0")/.."
SOAK_SECONDS="${1:-600}" .venv/bin/pytest -q -s tests/test_resilience.py -k soak
