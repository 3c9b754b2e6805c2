#!/usr/bin/env bash
# Build the IdP image with podman from the repository's Dockerfile, unchanged, on a machine that
# reaches no image registry (CI, or an operator's air-gapped builder):
#   1. the Dockerfile's base image (its FROM, e.g. python:3.11-slim) is made locally from Debian
#      packages with mmdebstrap - the Debian release whose python3 is the FROM's Python - and tagged
#      with the FROM's exact name, unless an image of that name is already here (the cache);
#   2. `podman build --pull=never --format docker` (the OCI format drops HEALTHCHECK), with this
#      machine's CA bundle trusted by pip inside the build only: /etc/ssl/certs/ca-certificates.crt
#      and a pip.conf naming it are mounted for the RUN steps, nothing of them stays in a layer.
# Podman is configured for this kind of machine by the containers.conf this script writes (runc,
# as crun refuses hybrid cgroups; ulimits no higher than the sandbox's hard limits, as it lacks
# CAP_SYS_RESOURCE); export the CONTAINERS_CONF it prints before running podman yourself.
#
# Usage: deploy/ci/build-image.sh [IMAGE]      (default localhost/idp:ci)
# Environment: DEBIAN_MIRROR (default: deb.debian.org with updates and security),
#              IDP_CI_DIR (default /var/tmp/idp-ci: the containers.conf),
#              CONTAINERS_CONF (kept when already set).
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
esac
cd "$(dirname "$0")/../.."

image=${1:-localhost/idp:ci}
ci_dir=${IDP_CI_DIR:-/var/tmp/idp-ci}
mkdir -p "$ci_dir"
# Limits the sandbox lets a container set (measured: the hard open-files limit, and at most 4096
# processes - higher nproc values are refused although below the hard limit).
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096

if [ -z "${CONTAINERS_CONF:-}" ]; then
  CONTAINERS_CONF=$ci_dir/containers.conf
  cat > "$CONTAINERS_CONF.new" <<CONF
# Written by deploy/ci/build-image.sh for this machine.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  mv "$CONTAINERS_CONF.new" "$CONTAINERS_CONF"
fi
export CONTAINERS_CONF
ulimits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

# The first FROM names the base (later stages reuse it or an earlier stage).
base=$(awk 'toupper($1) == "FROM" { print $2; exit }' Dockerfile)
case "$base" in
  */*) qualified=$base ;;
  *) qualified=docker.io/library/$base ;;
esac
# The Debian release: named by the tag (python:3.11-slim-bookworm), else the one whose python3 is
# the tag's Python.
tag=${base##*:}
case "$tag" in
  *bullseye*) suite=bullseye ;;
  *bookworm*) suite=bookworm ;;
  *trixie*) suite=trixie ;;
  3.9*) suite=bullseye ;;
  3.11*) suite=bookworm ;;
  3.13*) suite=trixie ;;
  *) echo "build-image.sh: no Debian release ships the Python of FROM $base" >&2; exit 2 ;;
esac

started=$(date +%s)
if podman image exists "$qualified"; then
  echo "== base image $qualified: cached"
else
  echo "== base image $qualified: mmdebstrap $suite"
  rootfs=$(mktemp "$ci_dir/base.XXXXXX.tar")
  trap 'rm -f "$rootfs"' EXIT
  # What the official slim images leave out: documentation and locales (copyright files stay).
  mmdebstrap --variant=minbase --quiet \
    --include=python3,python3-venv,python-is-python3,ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$suite" "$rootfs" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} </dev/null
  podman import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' "$rootfs" "$qualified" >/dev/null
  rm -f "$rootfs"
  echo "== base image $qualified made in $(($(date +%s) - started)) s"
fi

# pip inside the build trusts this machine's CAs (a TLS-inspecting proxy's, say) through a pip.conf
# mounted at /etc/pip.conf for the RUN steps only; a real deployment's build does not need it.
ca_bundle=/etc/ssl/certs/ca-certificates.crt
volumes=()
if [ -r "$ca_bundle" ]; then
  printf '[global]\ncert = /run/idp-ci/ca-certificates.crt\n' > "$ci_dir/pip.conf"
  cp "$ca_bundle" "$ci_dir/ca-certificates.crt"
  volumes=(--volume "$ci_dir/pip.conf:/etc/pip.conf:ro" --volume "$ci_dir/ca-certificates.crt:/run/idp-ci/ca-certificates.crt:ro")
fi

build_started=$(date +%s)
podman build --pull=never --format docker --network host "${ulimits[@]}" "${volumes[@]}" \
  --layers --tag "$image" --file Dockerfile .
echo "== $image built in $(($(date +%s) - build_started)) s ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
echo "CONTAINERS_CONF=$CONTAINERS_CONF"
