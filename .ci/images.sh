#!/usr/bin/env bash
# CI: the container images, built and run for real. Installs podman (Debian), makes a JRE 17 base
# with debootstrap (no registry here; the root filesystem is cached in .ci/.cache/), builds the
# four service images with scripts/images.sh, then runs them exactly as the rendered Minikube
# overlay declares (containers/ContainerCheck.java): securityContext, env, ports, volumes, probes,
# one corpus PDF end to end over two processor pods, SIGTERM within terminationGracePeriodSeconds,
# image facts.
#   .ci/images.sh [--base-only]   (--base-only: install podman and make the base, nothing else;
#                                  .ci/run starts it early, in the background)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi  # debootstrap, chroot, rootful podman
t0=$(date +%s)
step() { echo "--- images: $* ($(( $(date +%s) - t0 )) s)"; }

packages=(podman buildah debootstrap runc iptables fuse-overlayfs slirp4netns netavark aardvark-dns uidmap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]} (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v kubectl >/dev/null || { echo "images: kubectl is needed to render k8s/overlays/minikube"; exit 1; }
export CONTAINERS_CONF="$PWD/.ci/containers.conf"

step "JRE 17 base image (debootstrap, cached in .ci/.cache)"
base=localhost/jre17:bookworm
DOCMESH_BASE_CACHE="$PWD/.ci/.cache" containers/base-image.sh "$base"
if [ "${1:-}" = "--base-only" ]; then
  step "base ready"
  exit 0
fi

if [ ! -f cli/target/cli.jar ]; then
  step "runnable jars (mvn package)"
  mvn -B -q -DskipTests package
fi
step "service images"
DOCMESH_BASE_IMAGE="$base" scripts/images.sh
# Images of earlier runs that these replaced (untagged now): docmesh's own, nobody else's.
podman images --filter dangling=true \
  --format '{{.ID}} {{index .Labels "org.opencontainers.image.title"}} {{index .Labels "dev.docmesh.base-key"}}' \
  | awk '$2 ~ /^docmesh-/ || $3 ~ /^[0-9a-f]+$/ {print $1}' | xargs -r podman rmi >/dev/null 2>&1 || true

step "running them as k8s/overlays/minikube declares"
rendered=$(mktemp --suffix=.yaml)
trap 'rm -f "$rendered"' EXIT
kubectl kustomize k8s/overlays/minikube >"$rendered"
# the end-to-end PDF comes from the corpus docgen's Corpus locates ($DOCMESH_CORPUS_DIR, else ../shared/corpus)
java -cp cli/target/cli.jar containers/ContainerCheck.java --manifests "$rendered" --base "$base" \
  --replicas processor=2
step "done"
