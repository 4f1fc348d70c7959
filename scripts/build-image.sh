#!/usr/bin/env bash
# Builds the Postern image from ./Dockerfile with the first container engine that works: docker
# (with a running daemon), podman, or buildah. Without one it says so and exits 3; the Dockerfile
# is still checked without an engine by DockerfileTest (mvn -pl gateway test -Dtest=DockerfileTest).
#
#   scripts/build-image.sh [tag]        default tag: postern/postern:<version from pom.xml>
set -euo pipefail

HOME_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$HOME_DIR/pom.xml" | head -1)
TAG=${1:-postern/postern:${VERSION%-SNAPSHOT}}

engine=""
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  engine="docker build"
elif command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
  engine="podman build"
elif command -v buildah >/dev/null 2>&1; then
  engine="buildah bud"
fi
if [ -z "$engine" ]; then
  echo "build-image: no usable container engine here (docker with a running daemon, podman or buildah);" >&2
  command -v docker >/dev/null 2>&1 && echo "build-image: docker is installed but its daemon does not answer (docker info)" >&2
  echo "build-image: the image was NOT built; build it where an engine runs, e.g. CI" >&2
  exit 3
fi

echo "build-image: $engine -t $TAG $HOME_DIR" >&2
# BuildKit's cache mounts (RUN --mount=type=cache) need it with docker.
DOCKER_BUILDKIT=1 $engine -t "$TAG" "$HOME_DIR"
echo "$TAG"
