#!/usr/bin/env bash
# Security checks of a deployment tree and, optionally, of a running IdP.
#
#   scripts/security-check.sh [--url URL] [--root DIR] [--cacert FILE] [--skip-audit] [--fix]
#
#   --url URL      a running IdP: TLS (https, certificate valid for 30 more days, no TLS < 1.2),
#                  security headers of its pages, /metrics not public
#   --root DIR     the tree to check (default: this repository)
#   --cacert FILE  CA bundle to verify URL's certificate with (a private CA, a test certificate)
#   --skip-audit   skip the dependency audit (pip-audit, which asks the PyPI/OSV advisory database)
#   --fix          chmod 600 the secret files that others can read
#
# Tree: secret files (.env*, *.key, *.pem, keys/*) readable only by their owner; no world-writable
# file; no private key, cloud key or hard-coded secret value in the files git tracks; keys/ untracked.
# One line per check (ok / WARN / FAIL); exit 1 when any check FAILs.
set -euo pipefail
usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }
url="" root="$(cd "$(dirname "$0")/.." && pwd)" cacert="" audit=1 fix=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --url) url=${2:?--url needs a value}; shift ;;
    --root) root=${2:?--root needs a value}; shift ;;
    --cacert) cacert=${2:?--cacert needs a value}; shift ;;
    --skip-audit) audit=0 ;;
    --fix) fix=1 ;;
    *) echo "security-check: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ -d "$root" ]] || { echo "security-check: $root is not a directory" >&2; exit 2; }
failures=0
ok() { echo "ok    $*"; }
warn() { echo "WARN  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
prune=(-path "$root/.git" -o -path "$root/.venv" -o -path "$root/node_modules" -o -path "$root/bench/results")

# -- files ---------------------------------------------------------------------------
echo "== file permissions ($root)"
exposed=0
while IFS= read -r -d '' file; do
  if [[ $fix -eq 1 ]]; then
    chmod 600 "$file" && warn "fixed: $file was readable by others (now 600)"
  else
    fail "$file is readable by group/others (chmod 600, or run with --fix)"; exposed=1
  fi
done < <(find "$root" \( "${prune[@]}" \) -prune -o -type f \
           \( -name '.env' -o -name '.env.*' -o -name '*.key' -o -name '*.pem' -o -path "$root/keys/*" \) \
           ! -name README.md ! -name .gitignore ! -name '*.example' -perm /077 -print0)
[[ $exposed -eq 0 ]] && ok "secret files are readable by their owner only"
writable=$(find "$root" \( "${prune[@]}" \) -prune -o -type f -perm -002 -print | head -n 20)
if [[ -n "$writable" ]]; then
  fail "world-writable files: $(tr '\n' ' ' <<< "$writable")"
else
  ok "no world-writable file"
fi

echo "== secrets in the tree"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list_files() { git -C "$root" ls-files -z; }
  if [[ -n "$(git -C "$root" ls-files keys | grep -v -e '^keys/README.md$' -e '^keys/.gitignore$' || true)" ]]; then
    fail "files under keys/ are tracked by git"
  else
    ok "keys/ is not tracked"
  fi
else
  list_files() { (cd "$root" && find . \( -path ./.git -o -path ./.venv -o -path ./node_modules \) -prune -o -type f -print0); }
  warn "$root is not a git work tree: scanning every file"
fi
patterns=(
  '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----'
  'AKIA[0-9A-Z]{16}'
  'xox[abposr]-[0-9A-Za-z-]{10,}'
  'gh[pousr]_[0-9A-Za-z]{36}'
  '(SESSION_SECRET|KEY_ENCRYPTION_KEY|METRICS_TOKEN|SMTP_PASS|POSTGRES_PASSWORD|REDIS_PASSWORD|JWT_SECRET)["'"'"']?[[:space:]]*[:=][[:space:]]*["'"'"']?[A-Za-z0-9+/_-]{16,}'
  # user:password@ and the password-only :password@ (Redis' usual form)
  '(postgres(ql)?|rediss?)(\+[a-z]+)?://[^:/@[:space:]]*:[^@$[:space:]{}<>]{8,}@'
)
# Shows where a secret is, never the secret: a URL's password becomes ****, a value keeps its
# first four characters.
mask() {
  sed -E -e 's#(://[^:/@[:space:]]*:)[^@[:space:]]+@#\1****@#g' \
    -e 's#((SESSION_SECRET|KEY_ENCRYPTION_KEY|METRICS_TOKEN|SMTP_PASS|POSTGRES_PASSWORD|REDIS_PASSWORD|JWT_SECRET)["'"'"']?[[:space:]]*[:=][[:space:]]*["'"'"']?[A-Za-z0-9+/_-]{4})[A-Za-z0-9+/_-]+#\1****#g' \
    -e 's#(AKIA[0-9A-Z]{4})[0-9A-Z]+#\1****#g' -e 's#(xox[abposr]-)[0-9A-Za-z-]+#\1****#g' \
    -e 's#(gh[pousr]_)[0-9A-Za-z]+#\1****#g'
}
regex=$(IFS='|'; echo "${patterns[*]}")
hits=$(cd "$root"; list_files | xargs -0 -r grep -I -n -E -H -e "$regex" 2>/dev/null |
       grep -v -E 'CHANGE_ME|EXAMPLE|example\.(com|internal)|\$\{|\$\(|security-check\.sh:' | head -n 20; true)
if [[ -n "$hits" ]]; then
  fail "possible secrets in tracked files:"
  mask <<< "$hits" | while IFS= read -r line; do echo "        ${line:0:160}"; done
else
  ok "no private key, cloud key or hard-coded secret in the tracked files"
fi

echo "== dependencies"
if [[ $audit -eq 0 ]]; then
  warn "dependency audit skipped (--skip-audit)"
elif command -v pip-audit >/dev/null; then
  if report=$(pip-audit --progress-spinner off 2>&1); then
    ok "pip-audit: no known vulnerability"
  else
    fail "pip-audit found vulnerable dependencies:"
    tail -n 20 <<< "$report" | while IFS= read -r line; do echo "        $line"; done
  fi
else
  warn "pip-audit is not installed (pip install pip-audit): dependency audit skipped"
fi

# -- a running IdP ---------------------------------------------------------------------
if [[ -n "$url" ]]; then
  url=${url%/}
  echo "== $url"
  curl_opts=(-sS --max-time 10)
  [[ -n "$cacert" ]] && curl_opts+=(--cacert "$cacert")
  host=$(sed -E 's#^[a-z]+://([^/:]+).*#\1#' <<< "$url")
  case "$url" in
    https://*)
      if curl "${curl_opts[@]}" -o /dev/null "$url/health"; then
        ok "TLS: the certificate verifies"
      else
        fail "TLS: the certificate does not verify (or the server does not answer)"
      fi
      port=$(sed -E 's#^https://[^/:]+:?([0-9]*).*#\1#' <<< "$url")
      # Offer only the old protocol, with every cipher allowed: a modern OpenSSL client refuses
      # TLS < 1.2 at its default security level, which would pass any server.
      old=""
      for proto in tls1:1.0 tls1_1:1.1; do
        if openssl s_client -connect "$host:${port:-443}" -servername "$host" "-${proto%:*}" \
             -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>/dev/null | grep -q -E '^ *Protocol *: *TLSv1(\.1)?$'; then
          old+=" TLS ${proto#*:}"
        fi
      done
      if [[ -n "$old" ]]; then
        fail "TLS: the server accepts${old}"
      else
        ok "TLS: nothing older than TLS 1.2"
      fi
      if cert=$(openssl s_client -connect "$host:${port:-443}" -servername "$host" </dev/null 2>/dev/null |
                openssl x509 2>/dev/null); then
        if openssl x509 -checkend $((30 * 86400)) -noout <<< "$cert" >/dev/null; then
          ok "TLS: the certificate is valid for 30 more days"
        else
          warn "TLS: the certificate expires within 30 days ($(openssl x509 -enddate -noout <<< "$cert"))"
        fi
      fi
      ;;
    http://*)
      if [[ "$host" == localhost || "$host" == 127.* || "$host" == "[::1]" ]]; then
        warn "plain HTTP (acceptable only on loopback, behind the TLS proxy)"
      else
        fail "served over plain HTTP: put a TLS-terminating proxy in front"
      fi
      ;;
    *) fail "not an http(s) URL: $url" ;;
  esac

  headers=$(curl "${curl_opts[@]}" -D - -o /dev/null "$url/login" 2>/dev/null | tr -d '\r' || true)
  if [[ -z "$headers" ]]; then
    fail "$url/login does not answer"
  else
    header() { grep -i "^$1:" <<< "$headers" | head -n 1 | cut -d' ' -f2- || true; }
    verdict() {  # condition-exit-status ok-message fail-message [warn]
      if [[ $1 -eq 0 ]]; then ok "$2"; elif [[ -n "${4:-}" ]]; then warn "$3"; else fail "$3"; fi
    }
    r=0; [[ "$(header X-Content-Type-Options)" == nosniff ]] || r=1; verdict $r "X-Content-Type-Options: nosniff" \
      "X-Content-Type-Options: nosniff is missing"
    csp=$(header Content-Security-Policy)
    r=0; [[ -n "$csp" ]] || r=1; verdict $r "Content-Security-Policy is set" "no Content-Security-Policy on the pages"
    if [[ "$(header X-Frame-Options)" =~ ^(DENY|SAMEORIGIN)$ || "$csp" == *"frame-ancestors"* ]]; then
      ok "framing is refused (clickjacking)"
    else
      fail "pages can be framed: no X-Frame-Options nor CSP frame-ancestors"
    fi
    r=0; [[ -n "$(header Referrer-Policy)" ]] || r=1; verdict $r "Referrer-Policy is set" "no Referrer-Policy" warn
    if [[ "$url" == https://* ]]; then
      r=0; [[ "$(header Strict-Transport-Security)" == *max-age=* ]] || r=1; verdict $r "Strict-Transport-Security is set" \
        "no Strict-Transport-Security over HTTPS"
    fi
    server=$(header Server)
    if [[ "$server" =~ [0-9]+\.[0-9]+ ]]; then
      warn "the Server header tells versions: $server"
    fi
  fi
  metrics=$(curl "${curl_opts[@]}" -o /dev/null -w '%{http_code}' "$url/metrics" 2>/dev/null || true)
  if [[ "$metrics" == 200 ]]; then
    fail "/metrics is public"
  elif [[ "$metrics" == 000 ]]; then
    fail "$url/metrics does not answer"
  else
    ok "/metrics is not public (HTTP $metrics)"
  fi
fi

echo
if [[ $failures -gt 0 ]]; then
  echo "security check: $failures FAILED"
  exit 1
fi
echo "security check: passed"
