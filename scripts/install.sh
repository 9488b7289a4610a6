#!/usr/bin/env bash
# Installs a released preflight for this machine, checksum verified:
#   scripts/install.sh VERSION DEST_DIR
# downloads preflight-TARGET.tar.gz and its .sha256 from
# ${PREFLIGHT_DOWNLOAD_BASE:-https://github.com/$PREFLIGHT_REPOSITORY/releases/download/vVERSION},
# refuses it unless the checksum matches, and puts `preflight` in DEST_DIR. The GitHub Action
# (action.yml) runs it; the tests run it against a local `file://` release.
set -euo pipefail
version=${1:?version, such as 0.1.0}
dest=${2:?destination directory}
os="$(uname -s)"
arch="$(uname -m)"
case "$os/$arch" in
  Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  Darwin/arm64) target=aarch64-apple-darwin ;;
  *) echo "preflight: no release for $os/$arch; build it with cargo install" >&2; exit 2 ;;
esac
target="${PREFLIGHT_TARGET:-$target}"
repository="${PREFLIGHT_REPOSITORY:-preflight-dev/preflight}"
base="${PREFLIGHT_DOWNLOAD_BASE:-https://github.com/$repository/releases/download/v$version}"
archive="preflight-$target.tar.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fetch() {
  case "$1" in
    file://*) cp "${1#file://}" "$2" ;;
    *) curl --fail --silent --show-error --location --retry 3 --output "$2" "$1" ;;
  esac
}
fetch "$base/$archive" "$work/$archive"
fetch "$base/$archive.sha256" "$work/$archive.sha256"
expected="$(cut -d' ' -f1 < "$work/$archive.sha256")"
actual="$(sha256sum "$work/$archive" | cut -d' ' -f1)"
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "preflight: the checksum of $archive does not match its .sha256; not installed" >&2
  exit 1
fi
tar -C "$work" -xzf "$work/$archive"
mkdir -p "$dest"
install -m 0755 "$work/preflight-$target/preflight" "$dest/preflight"
echo "$dest/preflight"
