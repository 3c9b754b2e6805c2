#!/usr/bin/env bash
# Deploy (or upgrade) the IdP to Kubernetes from deploy/k8s: namespace, Secret, migrations (the
# Job, waited for), then every manifest, the rollout waited for, and a health check.
#
#   scripts/deploy-k8s.sh [--image IMAGE] [--secret-file FILE] [--context CTX] [--health-url URL]
#                         [--timeout S] [--no-rollback]
#
#   --image IMAGE       image to run (default: the manifests' registry.example.com/idp:…)
#   --secret-file FILE  a filled-in copy of deploy/k8s/secret.template.yaml to apply; without it the
#                       idp-secrets Secret must already exist (e.g. from your secret manager)
#   --context CTX       kubectl context (default: the current one)
#   --health-url URL    check this URL once rolled out (default: through kubectl port-forward)
#   --timeout S         wait at most S seconds for the migration and for the rollout (default 300)
#   --no-rollback       leave a failed rollout or health check as it is (default: kubectl rollout undo)
#
# Migrations run before the new pods start; if they fail, nothing else changes. Migrations are
# forward-compatible, so a rollback of the Deployment keeps the migrated schema.
set -euo pipefail
usage() { sed -n '2,18s/^# \{0,1\}//p' "$0"; }
here=$(cd "$(dirname "$0")/.." && pwd)
k8s=$here/deploy/k8s
namespace=idp
image="" secret_file="" context="" health_url="" timeout=300 rollback=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --image) image=${2:?--image needs a value}; shift ;;
    --secret-file) secret_file=${2:?--secret-file needs a value}; shift ;;
    --context) context=${2:?--context needs a value}; shift ;;
    --health-url) health_url=${2:?--health-url needs a value}; shift ;;
    --timeout) timeout=${2:?--timeout needs a value}; shift ;;
    --no-rollback) rollback=0 ;;
    *) echo "deploy-k8s: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

problems=()
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || problems+=("--timeout must be a number of seconds")
if [[ -n "$image" && ! "$image" =~ ^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$ ]]; then
  problems+=("--image '$image' is not an image reference")
fi
if [[ -n "$secret_file" ]]; then
  if [[ ! -f "$secret_file" ]]; then
    problems+=("--secret-file $secret_file: no such file")
  elif grep -q CHANGE_ME "$secret_file"; then
    problems+=("$secret_file still holds CHANGE_ME placeholders")
  fi
fi
if ! command -v kubectl >/dev/null; then
  problems+=("kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)")
fi
command -v curl >/dev/null || problems+=("curl is not installed")
if [[ ${#problems[@]} -gt 0 ]]; then
  echo "deploy-k8s: cannot deploy:" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 2
fi

kc=(kubectl)
[[ -n "$context" ]] && kc+=(--context "$context")
kube() { "${kc[@]}" "$@"; }
if ! kube version --request-timeout=10s >/dev/null 2>&1; then
  echo "deploy-k8s: cannot deploy: the cluster does not answer (kubectl version fails; check the context)" >&2
  exit 2
fi
if [[ -z "$secret_file" ]] && ! kube -n "$namespace" get secret idp-secrets >/dev/null 2>&1; then
  echo "deploy-k8s: cannot deploy: no idp-secrets Secret in namespace $namespace; pass --secret-file" >&2
  exit 2
fi

work=$(mktemp -d)
pf_pid=""
cleanup() { [[ -z "$pf_pid" ]] || kill "$pf_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
current_image=$(sed -n 's/^ *image: *//p' "$k8s/deployment.yaml" | head -n 1)
with_image() { if [[ -n "$image" ]]; then sed "s#image: $current_image\$#image: $image#"; else cat; fi; }

echo "namespace and configuration"
kube apply -f "$k8s/namespace.yaml"
[[ -z "$secret_file" ]] || kube apply -f "$secret_file"
kube apply -f "$k8s/configmap.yaml"

echo "migrations (${image:-$current_image})"
kube -n "$namespace" delete job idp-migrate --ignore-not-found --wait=true
with_image < "$k8s/migration-job.yaml" | kube apply -f -
if ! kube -n "$namespace" wait --for=condition=complete job/idp-migrate --timeout="${timeout}s"; then
  echo "deploy-k8s: the migration did not complete; nothing else was changed. Its log:" >&2
  kube -n "$namespace" logs job/idp-migrate --tail=50 >&2 || true
  exit 1
fi

echo "manifests"
kube kustomize "$k8s" | with_image > "$work/all.yaml"
kube apply -f "$work/all.yaml"
echo "rollout"
if ! kube -n "$namespace" rollout status deployment/idp --timeout="${timeout}s"; then
  echo "deploy-k8s: the rollout did not finish:" >&2
  kube -n "$namespace" get pods -l app=idp -o wide >&2 || true
  if [[ $rollback -eq 1 ]]; then
    echo "deploy-k8s: rolling back to the previous ReplicaSet" >&2
    kube -n "$namespace" rollout undo deployment/idp
    kube -n "$namespace" rollout status deployment/idp --timeout="${timeout}s" || true
  fi
  exit 1
fi

echo "health check"
if [[ -z "$health_url" ]]; then
  port=$(( (RANDOM % 20000) + 30000 ))
  kube -n "$namespace" port-forward svc/idp "$port:http" >/dev/null 2>&1 &
  pf_pid=$!
  for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
    sleep 0.2
  done
  health_url=http://127.0.0.1:$port
fi
if ! "$here/scripts/health-check.sh" "$health_url"; then
  echo "deploy-k8s: the health check failed" >&2
  if [[ $rollback -eq 1 ]]; then
    echo "deploy-k8s: rolling back to the previous ReplicaSet" >&2
    kube -n "$namespace" rollout undo deployment/idp
    kube -n "$namespace" rollout status deployment/idp --timeout="${timeout}s" || true
  fi
  exit 1
fi
kube -n "$namespace" get pods -l app=idp
echo "deployed: ${image:-$current_image}"
