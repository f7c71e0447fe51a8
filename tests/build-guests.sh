#!/usr/bin/env bash
# Build the guest test programs into build/guests/:
#   build/guests/glibc/NAME   tests/guest/c/NAME.c with gcc -static
#   build/guests/musl/NAME    the same with musl-gcc -static
#   build/guests/rust/NAME    each binary of tests/guest/rust (static glibc)
#   build/guests/glibc-dyn/NAME, build/guests/rust-dyn/NAME
#                             the same linked dynamically (Persona's CLI
#                             brings in the loader and the libraries)
# A toolchain that is missing is reported and its flavour skipped, so the
# caller can tell "not built" from "failed".  Exit status non-zero if a
# compiler that is present fails.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${GUEST_OUT:-build/guests}
CFLAGS="-static -O1 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -pthread"
status=0

build_c() {
	local flavour=$1 cc=$2 flags=${3:-$CFLAGS}
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "build-guests: $cc not found, $flavour guests not built" >&2
		return 0
	fi
	mkdir -p "$OUT/$flavour"
	local src name
	for src in tests/guest/c/*.c; do
		name=$(basename "$src" .c)
		# rebuild only when the source or the shared header is newer
		if [ "$OUT/$flavour/$name" -nt "$src" ] &&
			[ "$OUT/$flavour/$name" -nt tests/guest/c/check.h ]; then
			continue
		fi
		if ! $cc $flags -o "$OUT/$flavour/$name" "$src"; then
			echo "build-guests: $flavour/$name failed to build" >&2
			status=1
		fi
	done
}

build_rust() {
	local flavour=$1 rustflags=$2
	if ! command -v cargo >/dev/null 2>&1; then
		echo "build-guests: cargo not found, $flavour guests not built" >&2
		return 0
	fi
	local target_dir=$PWD/$OUT/$flavour-target
	mkdir -p "$OUT/$flavour"
	if ! (cd tests/guest/rust &&
		RUSTFLAGS=$rustflags CARGO_TARGET_DIR=$target_dir \
			cargo build --release --offline --quiet --target x86_64-unknown-linux-gnu); then
		echo "build-guests: $flavour guests failed to build" >&2
		status=1
		return
	fi
	local bin
	for bin in tests/guest/rust/src/bin/*.rs; do
		name=$(basename "$bin" .rs)
		cp "$target_dir/x86_64-unknown-linux-gnu/release/$name" "$OUT/$flavour/$name"
	done
}

build_c glibc gcc
build_c musl musl-gcc
build_c glibc-dyn gcc "${CFLAGS/-static /}"
build_rust rust '-C target-feature=+crt-static'
build_rust rust-dyn ''
exit $status
