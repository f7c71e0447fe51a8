#!/usr/bin/env bash
# The benchmark suite, side by side: builds bench/ (the C program and the
# Rust one, static) and runs them in up to four columns, then writes the
# markdown table with the ratios to docs/BENCHMARKS.md (or --out FILE).
#
#   scripts/bench.sh [--out FILE] [--only COLUMNS]
#
# Columns (raw results in build/bench/results/<column>.txt):
#   native          the host, no Persona
#   linux           Persona's Linux backend (build/persona run)
#   sel4            Persona on seL4 in QEMU (TCG), with the bare seL4 floor
#                   of each path measured in the same boot (floor.c)
#   sel4-icount     the same with -icount shift=0
#   vm-default      Debian's Linux kernel in the same QEMU configuration
#                   (same CPU model and memory), its default mitigations
#   vm-off          the same with mitigations=off
#   vm-default-icount, vm-off-icount   both again with -icount shift=0
# --only takes a comma-separated list of these names (the others keep the
# results of an earlier run, if any).  A column that cannot run (no seL4
# kernel build, no linux-image-amd64) is written as missing with the
# reason, and the table says so.  One QEMU at a time; about two minutes.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/deps.sh

OUTFILE=docs/BENCHMARKS.md
ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUTFILE=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	-h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument $1 (see scripts/bench.sh --help)" >&2; exit 2 ;;
	esac
done

B=build/bench
RES=$B/results
mkdir -p "$RES"
SEL4=${PERSONA_SEL4:-$HOME/sel4-build}
export PERSONA_SEL4=$SEL4
QEMU=${PERSONA_QEMU:-qemu-system-x86_64}
MEMORY=1024 # MiB, as persona run --backend sel4 gives the machine
# The seL4 runs' CPU model, taken from the one place that says it.
QEMU_CPU=$(sed -n 's/^static const char qemu_cpu\[\] = "\(.*\)";$/\1/p' cli/sel4.c)
TIMEOUT=600

wanted() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
missing() { echo "missing $2" >"$RES/$1.txt"; echo "bench.sh: $1: missing ($2)" >&2; }

# ---- Build ------------------------------------------------------------------------------
echo "== building"
if ! make -s -j2 build/persona >/dev/null; then
	echo "bench.sh: make failed: fix the build first" >&2
	exit 1
fi
if ! make -s "$B/bench"; then
	echo "bench.sh: bench/bench.c did not build (gcc -static needs glibc's static libraries: libc6-dev)" >&2
	exit 1
fi
RUST=$B/bench-rust-start
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$PATH:$HOME/.cargo/bin"
if ! command -v cargo >/dev/null 2>&1; then
	echo "bench.sh: no cargo: rust_start_exit will be unsupported (install Rust: README.md)" >&2
	RUST=
elif ! make -s "$B/bench-rust-start"; then
	echo "bench.sh: bench/rust-start did not build: rust_start_exit will be unsupported" >&2
	RUST=
fi
# The guest filesystem for the Persona runs: the Rust program at /bench/.
rm -rf "$B/root" && mkdir -p "$B/root/bench"
[ -n "$RUST" ] && cp "$RUST" "$B/root/bench/"
cp "$B/bench" "$B/root/bench/"
RARG=(-r /bench/bench-rust-start -e /bench/bench)

# ---- 1. native, 2. the Linux backend ----------------------------------------------------
if wanted native; then
	echo "== native"
	if [ -n "$RUST" ]; then
		"$B/bench" -r "$RUST" >"$RES/native.txt"
	else
		"$B/bench" >"$RES/native.txt"
	fi
fi
if wanted linux; then
	echo "== Persona, Linux backend"
	build/persona run --root "$B/root" "$B/bench" "${RARG[@]}" >"$RES/linux.txt" 2>"$RES/linux.err" ||
		echo "bench.sh: the Linux backend run failed: see $RES/linux.err" >&2
fi

# ---- 3. Persona on seL4 -----------------------------------------------------------------
# -icount shift=0 through a QEMU wrapper (persona finds QEMU through
# PERSONA_QEMU): the guest's counters then advance one per instruction.
printf '#!/bin/sh\nexec %s -icount shift=0 "$@"\n' "$(command -v "$QEMU" || echo "$QEMU")" >"$B/qemu-icount"
chmod +x "$B/qemu-icount"
sel4_col() {
	local col=$1 qemu=$2
	wanted "$col" || return 0
	echo "== Persona on seL4 ($col)"
	if [ ! -f "$SEL4/kernel32.elf" ]; then
		missing "$col" "no seL4 kernel build at $SEL4 (see DEVELOPERS.md, seL4)"
		return
	fi
	if ! make -s -j2 sel4 >/dev/null; then
		missing "$col" "make sel4 failed"
		return
	fi
	# The floor's lines come on stderr (COM2), the program's on stdout.
	PERSONA_QEMU=$qemu PERSONA_BENCH_FLOOR=1 timeout -k 5 $((TIMEOUT + 10)) build/persona run \
		--backend sel4 --memory "${MEMORY}M" --timeout "$TIMEOUT" --root "$B/root" "$B/bench" "${RARG[@]}" \
		>"$RES/$col.txt" 2>"$RES/$col.err" </dev/null ||
		echo "bench.sh: $col: persona exited $? (see $RES/$col.err)" >&2
	grep '^bench ' "$RES/$col.err" >>"$RES/$col.txt"
}
sel4_col sel4 "$(command -v "$QEMU" || echo "$QEMU")"
sel4_col sel4-icount "$PWD/$B/qemu-icount"

# ---- 4. Linux in the same QEMU ----------------------------------------------------------
# Debian's kernel, an initramfs of busybox-static and the same binaries,
# output on the serial line.
KERNEL=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
if [ -z "$KERNEL" ] && { wanted vm-default || wanted vm-off; }; then
	echo "== installing the Linux kernel for the VM columns ($PERSONA_BENCH_DEPS)"
	persona_install_bench_deps || true
	KERNEL=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
fi
make_initramfs() {
	local r=$B/vm/root
	rm -rf "$B/vm" && mkdir -p "$r/bin" "$r/bench" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
	cp /bin/busybox "$r/bin/" && cp "$B/bench" "$r/bench/" || return 1
	[ -n "$RUST" ] && cp "$RUST" "$r/bench/"
	# No /dev/console in the archive (making one needs mknod): the
	# kernel starts init without a console, which then opens devtmpfs's.
	cat >"$r/init" <<-'EOF'
		#!/bin/busybox sh
		/bin/busybox mount -t devtmpfs dev /dev
		exec </dev/console >/dev/console 2>&1
		/bin/busybox mount -t proc proc /proc
		/bin/busybox mount -t sysfs sys /sys
		/bin/busybox mount -t tmpfs tmp /tmp
		echo "BENCH-VM-KERNEL $(/bin/busybox cat /proc/version)"
		echo "BENCH-VM-CMDLINE $(/bin/busybox cat /proc/cmdline)"
		echo "BENCH-VM-MELTDOWN $(/bin/busybox cat /sys/devices/system/cpu/vulnerabilities/meltdown)"
		/bench/bench -r /bench/bench-rust-start
		echo BENCH-VM-END
		/bin/busybox poweroff -f
	EOF
	chmod +x "$r/init"
	(cd "$r" && find . | LC_ALL=C sort | cpio --quiet -o -H newc >../initramfs.cpio)
}
vm_col() {
	local col=$1 append=$2 icount=$3
	wanted "$col" || return 0
	echo "== Linux in QEMU ($col)"
	if [ -z "$KERNEL" ] || [ ! -r "$KERNEL" ]; then
		missing "$col" "no readable /boot/vmlinuz-*-amd64 (apt-get install linux-image-amd64)"
		return
	fi
	if [ ! -x /bin/busybox ] || ! command -v cpio >/dev/null; then
		missing "$col" "busybox-static or cpio not installed (apt-get install busybox-static cpio)"
		return
	fi
	if [ ! -f "$B/vm/initramfs.cpio" ] && ! make_initramfs; then
		missing "$col" "could not build the initramfs in $B/vm"
		return
	fi
	local extra=()
	[ "$icount" = 1 ] && extra=(-icount shift=0)
	timeout -k 5 "$TIMEOUT" "$QEMU" -cpu "$QEMU_CPU" -m "$MEMORY" "${extra[@]}" -nodefaults \
		-display none -serial "file:$RES/$col.raw" -kernel "$KERNEL" -initrd "$B/vm/initramfs.cpio" \
		-append "console=ttyS0 quiet $append" -no-reboot </dev/null 2>"$RES/$col.err"
	tr -d '\r' <"$RES/$col.raw" | grep -E '^(bench|BENCH-VM)' >"$RES/$col.txt"
	grep -q '^BENCH-VM-END' "$RES/$col.txt" ||
		echo "bench.sh: $col: the VM did not finish (see $RES/$col.raw)" >&2
}
rm -f "$B/vm/initramfs.cpio"
vm_col vm-default "" 0
vm_col vm-off "mitigations=off" 0
vm_col vm-default-icount "" 1
vm_col vm-off-icount "mitigations=off" 1

# ---- The machine, and the table ---------------------------------------------------------
{
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs"
	echo "host $(uname -sr)"
	echo "qemu $("$QEMU" --version 2>/dev/null | head -n 1)"
	echo "qemu_cpu $QEMU_CPU"
	echo "memory $MEMORY"
	echo "vm_kernel ${KERNEL:-none}"
	if [ -f "$SEL4/CMakeCache.txt" ]; then
		for k in KernelSkimWindow KernelDebugBuild KernelSyscall KernelSupportPCID KernelFastpath KernelIsMCS; do
			echo "sel4 $k=$(sed -n "s/^$k:[A-Z]*=//p" "$SEL4/CMakeCache.txt")"
		done
	fi
	echo "commit $(git describe --always --dirty 2>/dev/null)"
} >"$RES/machine.txt"
/usr/bin/python3 scripts/bench_report.py "$RES" >"$OUTFILE.tmp" && mv "$OUTFILE.tmp" "$OUTFILE" &&
	echo "== wrote $OUTFILE"
