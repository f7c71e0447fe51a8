# shellcheck shell=bash
# Shared by scripts/setup.sh and scripts/test.sh (sourced, not run):
# install what the build and the tests need on a Debian machine, and only
# what is missing.  We expect to be root; sudo is used if we are not and it
# exists.  Nothing here asks a question: apt runs non-interactively.

# The Debian packages the build and the tests use.
PERSONA_DEPS="build-essential musl-tools busybox-static bash-static clang-format cpio strace"
# util-linux's script(1): the interactive shell test's terminal.
PERSONA_DEPS="$PERSONA_DEPS bsdutils"
# The riscv64 cross build of the core and its unit tests under user-mode QEMU.
PERSONA_DEPS="$PERSONA_DEPS gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user-static"
# The seL4 backend: QEMU to boot it, GRUB and xorriso for `persona image`.
# (The seL4 kernel itself is built by hand outside the repo: DEVELOPERS.md.)
PERSONA_DEPS="$PERSONA_DEPS qemu-system-x86 grub-pc-bin grub-common xorriso mtools"

# Optional, for scripts/bench.sh only: the Linux kernel it boots in QEMU
# next to seL4 (with busybox-static and cpio from above for its initramfs).
PERSONA_BENCH_DEPS="linux-image-amd64"

persona_as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		echo "deps: not root and no sudo: cannot run $*" >&2
		return 1
	fi
}

# A package counts as present when dpkg says it is installed.
persona_pkg_missing() {
	! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

persona_install_deps() {
	local missing=() pkg
	for pkg in $PERSONA_DEPS; do
		persona_pkg_missing "$pkg" && missing+=("$pkg")
	done
	# Rust: a rustup toolchain in ~/.cargo/bin counts; otherwise Debian's.
	if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
		export PATH="$HOME/.cargo/bin:$PATH"
	fi
	if ! command -v cargo >/dev/null 2>&1; then
		missing+=(cargo rustc)
	fi
	if [ ${#missing[@]} -eq 0 ]; then
		echo "deps: everything needed is installed"
		return 0
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	persona_as_root apt-get update -q </dev/null || return 1
	persona_as_root apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null || return 1
}

# The optional benchmark dependencies (scripts/bench.sh), when missing.
persona_install_bench_deps() {
	local missing=() pkg
	for pkg in $PERSONA_BENCH_DEPS; do
		persona_pkg_missing "$pkg" && missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "deps: installing ${missing[*]} (for scripts/bench.sh)"
	export DEBIAN_FRONTEND=noninteractive
	persona_as_root apt-get update -q </dev/null || return 1
	persona_as_root apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null || return 1
}
