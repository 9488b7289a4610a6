#!/usr/bin/env bash
# Packs a built preflight binary as a release archive with its checksum:
#   scripts/package.sh TARGET BINARY OUT_DIR
# writes OUT_DIR/preflight-TARGET.tar.gz (or .zip for Windows targets) holding `preflight`
# (`preflight.exe`), README.md and the licence, and OUT_DIR/preflight-TARGET.tar.gz.sha256 in
# `sha256sum` format. The release workflow runs it for every target; the tests run it for the
# host, so what users download is what was tested.
set -euo pipefail
target=${1:?target triple}
binary=${2:?path to the built binary}
out=${3:?output directory}
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
name="preflight-$target"
mkdir "$stage/$name"
case "$target" in
  *windows*) exe=preflight.exe ;;
  *) exe=preflight ;;
esac
cp "$binary" "$stage/$name/$exe"
cp "$root/README.md" "$stage/$name/"
case "$target" in
  *windows*)
    archive="$name.zip"
    (cd "$stage" && zip -qr "$archive" "$name")
    ;;
  *)
    archive="$name.tar.gz"
    tar -C "$stage" -czf "$stage/$archive" "$name"
    ;;
esac
mv "$stage/$archive" "$out/"
(cd "$out" && sha256sum "$archive" > "$archive.sha256")
echo "$out/$archive"
