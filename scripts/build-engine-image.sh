#!/usr/bin/env bash
# Build the engine container image locally (no registry needed, nothing is pulled):
#
#   scripts/build-engine-image.sh          # prints the tag, e.g. atrium/engine:3f2a9c1b7d0e
#
# The tag is a hash of everything that goes into the image: the engine's sources, the versions
# of the libraries bundled into it (ws, zod), the Node binary's version and this recipe. The
# build is skipped when that tag exists; atrium/engine:latest always points at it afterwards.
#
# The image is FROM scratch: the host's node binary + the shared libraries `ldd` lists + an
# /etc/passwd with the unprivileged user 10001 + the bundled engine (engine/build.ts).
#
# Environment: ATRIUM_ENGINE_IMAGE_REPO (default atrium/engine), ATRIUM_FORCE_REBUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[engine-image] $*" >&2; }
die() { echo "[engine-image] ERROR: $*" >&2; exit 1; }

repo="${ATRIUM_ENGINE_IMAGE_REPO:-atrium/engine}"
command -v docker >/dev/null || die "docker is not installed (run scripts/docker-up.sh)"
docker info >/dev/null 2>&1 || die "dockerd is not running (run scripts/docker-up.sh)"
node_bin="$(command -v node)" || die "node is not installed"
node_bin="$(readlink -f "$node_bin")"
node_version="$("$node_bin" --version)"

# ---------------------------------------------------------------- content hash
pkg_version() { "$node_bin" -p "require('./node_modules/$1/package.json').version" 2>/dev/null || echo "missing"; }
hash="$(
  {
    echo "node $node_version $(uname -m)"
    echo "ws $(pkg_version ws) zod $(pkg_version zod) esbuild $(pkg_version esbuild)"
    for f in $(find engine -maxdepth 1 -type f \( -name '*.ts' -o -name Dockerfile \) | LC_ALL=C sort) scripts/build-engine-image.sh; do
      echo "== $f"
      cat "$f"
    done
  } | sha256sum | cut -c1-12
)"
tag="$repo:$hash"

if [ "${ATRIUM_FORCE_REBUILD:-}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag exists; not rebuilding"
  docker tag "$tag" "$repo:latest"
  echo "$tag"
  exit 0
fi

# ---------------------------------------------------------------- stage the root file system
started=$SECONDS
stage="$(mktemp -d "${TMPDIR:-/tmp}/atrium-engine-image.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
root="$stage/rootfs"
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/opt/atrium-engine" "$root/tmp"
chmod 1777 "$root/tmp"

log "bundling the engine"
npx --no-install tsx engine/build.ts "$root/opt/atrium-engine/engine.mjs" >/dev/null 2> >(grep -v "npm warn" >&2)
chmod 0444 "$root/opt/atrium-engine/engine.mjs"

cp -L "$node_bin" "$root/usr/local/bin/node"
chmod 0755 "$root/usr/local/bin/node"

# Every library the binary links against, at the path the dynamic loader looks for it (plus the
# loader itself, which ldd prints as an absolute path without "=>").
libs="$(ldd "$node_bin" | awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }')"
[ -n "$libs" ] || die "ldd found no libraries for $node_bin (statically linked?)"
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
atrium-engine:x:10001:10001:Atrium engine:/nonexistent:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
atrium-engine:x:10001:
nogroup:x:65534:
EOF
echo "hosts: files dns" >"$root/etc/nsswitch.conf"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"

cp engine/Dockerfile "$stage/Dockerfile"

# ---------------------------------------------------------------- build
log "building $tag ($(du -sh "$root" | cut -f1) root file system)"
# The legacy builder: no BuildKit/buildx plugin is needed, and FROM scratch pulls nothing.
if ! out="$(DOCKER_BUILDKIT=0 docker build -q \
  --label "atrium.component=engine" \
  --label "atrium.engine.hash=$hash" \
  --label "atrium.engine.node=$node_version" \
  -t "$tag" "$stage" 2>&1)"; then
  echo "$out" >&2
  die "docker build failed"
fi
docker tag "$tag" "$repo:latest"
# Drop older engine images; `docker rmi` without -f refuses images that containers still use.
for old in $(docker images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -vxF -e "$tag" -e "$repo:latest" || true); do
  docker rmi "$old" >/dev/null 2>&1 || true
done
log "built $tag in $((SECONDS - started))s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
echo "$tag"
