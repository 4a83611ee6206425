#!/usr/bin/env bash
# Builds the service images from the runnable jars (containers/<service>.Dockerfile), tagged
# docmesh/<service>:<project version> and docmesh/<service>:dev.
#
#   scripts/images.sh [SERVICE...]     (default: orchestrator processor worker monitor)
#
#   DOCMESH_IMAGE_BUILDER  podman | docker | minikube   (default: podman when present, else docker,
#                          else minikube; minikube builds straight into the cluster's runtime)
#   DOCMESH_BASE_IMAGE     JRE 17 base image (default eclipse-temurin:17-jre; without registry
#                          access make one with containers/base-image.sh)
#   DOCMESH_IMAGE_VERSION  version tag (default the Maven project version)
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "images: $*" >&2; exit 1; }

services=("$@")
[ ${#services[@]} -gt 0 ] || services=(orchestrator processor worker monitor)
for s in "${services[@]}"; do
  [ -f "containers/$s.Dockerfile" ] || die "no image for '$s' (containers/$s.Dockerfile)"
done

builder=${DOCMESH_IMAGE_BUILDER:-}
if [ -z "$builder" ]; then
  for b in podman docker minikube; do
    if command -v "$b" >/dev/null; then builder=$b; break; fi
  done
fi
[ -n "$builder" ] || die "no image builder: install podman or docker, or minikube (then: DOCMESH_IMAGE_BUILDER=minikube)"
command -v "$builder" >/dev/null || die "$builder is not installed"

base=${DOCMESH_BASE_IMAGE:-eclipse-temurin:17-jre}
# The project version is the first <version> of the root pom (it has no parent).
version=${DOCMESH_IMAGE_VERSION:-$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)}

# Jars missing or older than their sources: build them (same rule as ./docmesh).
for s in "${services[@]}"; do
  jar="$s-svc/target/$s-svc.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$s-svc/src/main" mesh-kit/src/main proto/src -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "images: building the runnable jars (mvn package, tests skipped)"
    mvn -B -q -DskipTests package
    break
  fi
done

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
for s in "${services[@]}"; do
  # The context is the jar alone: nothing else reaches the image (or the builder).
  rm -rf "${ctx:?}"/*
  cp "containers/$s.Dockerfile" "$ctx/Dockerfile"
  ln "$s-svc/target/$s-svc.jar" "$ctx/" 2>/dev/null || cp "$s-svc/target/$s-svc.jar" "$ctx/"
  image="docmesh/$s"
  start=$(date +%s%N)
  case "$builder" in
    podman|docker)
      "$builder" build -q --build-arg "DOCMESH_BASE_IMAGE=$base" --build-arg "DOCMESH_VERSION=$version" \
        -t "$image:$version" -t "$image:dev" "$ctx" >/dev/null ;;
    minikube)
      minikube image build -t "$image:$version" --build-opt="build-arg=DOCMESH_BASE_IMAGE=$base" \
        --build-opt="build-arg=DOCMESH_VERSION=$version" "$ctx" >/dev/null
      minikube image tag "$image:$version" "$image:dev" ;;
    *) die "unknown DOCMESH_IMAGE_BUILDER '$builder' (podman, docker or minikube)" ;;
  esac
  echo "images: $image:$version and :dev ($builder, $(( ($(date +%s%N) - start) / 1000000 )) ms)"
done
