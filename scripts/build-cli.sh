#!/usr/bin/env bash
# Builds the composex CLI as it is distributed and prints the binary's path:
#   bash scripts/build-cli.sh        ->  target/<host triple>/release/composex
#
# Release profile, for this machine's own target triple, and on Linux with glibc statically
# linked (crt-static: a static PIE, no shared library needed at run time). A CLI run is a few
# milliseconds, and the dynamic loader (mapping libc and libgcc_s, relocating, binding symbols)
# would be a noticeable share of them. The RUSTFLAGS go with an explicit --target so that they
# reach the binary only, not build scripts and proc-macros, which cannot be linked statically.
# `cargo build --release` (and `cargo run --release`, as the README uses) still gives the
# ordinary dynamically linked binary, with the same output.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
host=$(rustc -vV | sed -n 's/^host: //p')
flags=""
case $host in
  *-linux-gnu) flags="-C target-feature=+crt-static" ;;
esac
RUSTFLAGS="${RUSTFLAGS:-} $flags" cargo build --release --quiet --bin composex --target "$host" >&2
echo "${CARGO_TARGET_DIR:-$root/target}/$host/release/composex"
