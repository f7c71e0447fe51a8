#!/usr/bin/env bash
# The seL4 backend: the root task booted in QEMU (TCG) by
# `persona run --backend sel4`.
#
#   tests/sel4/run.sh [PERSONA] [FILTER]
#
# Needs a kernel build in $PERSONA_SEL4 (default $HOME/sel4-build; see
# DEVELOPERS.md, "seL4"); without one it prints "skipped: ..." and counts
# one skipped test.  Otherwise it builds the root task (make sel4) and runs:
#   cpio       the payload's newc archive, unpacked by Debian's cpio,
#              equals the --root tree (modes, symlinks) plus the program
#   sel4/<guest>  each program of tests/sel4/guests.txt, natively and under
#              seL4 with the arguments, environment and stdin of
#              tests/run-guests.sh: stdout and exit status must agree
#              (tests/lib/compare.sh; known gaps in tests/expectations.txt)
#   boot/free  the root task's PERSONA-FREE figures: as much memory free
#              after the program as before it (skipped if it prints none)
#   boot/leak  300 clients killed while blocked (tests/robust/leak.c): the
#              server's figures and the free memory as before
#   boot/forge a client sending forged messages on its fault endpoint with
#              sysenter: the server keeps serving, the program ends normally
#   boot/error a file that is no program: exit 126 and a "persona:" reason
#   boot/timeout  a program that never ends: exit 124 after --timeout
#   image/iso  persona image -o X.iso, booted from the CD in QEMU
#   image/dir  persona image -o DIR/, booted by DIR/run.sh
# The last line is "N passed, N failed[, N xfail][, N skipped]".
set -u
cd "$(dirname "$0")/../.." || exit 1
PERSONA=${1:-build/persona}
FILTER=${2:-}
case $PERSONA in /*) ;; *) PERSONA=$PWD/$PERSONA ;; esac
SEL4=${PERSONA_SEL4:-$HOME/sel4-build}
export PERSONA_SEL4=$SEL4
GUESTS=${GUEST_OUT:-build/guests}
TIMEOUT=${PERSONA_TEST_TIMEOUT:-120}
QEMU_CPU=Haswell-noTSX,+pdpe1gb,-pcid,-invpcid,-x2apic,-tsc-deadline

if [ ! -f "$SEL4/kernel32.elf" ]; then
	echo "skipped: no seL4 kernel build at $SEL4"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

. tests/lib/compare.sh
cmp_init "seL4 under $PERSONA"
work=$(mktemp -d /tmp/persona-sel4-tests.XXXXXX)
trap 'rm -rf "$work"' EXIT

wanted() { case $1 in *"$FILTER"*) return 0 ;; *) return 1 ;; esac; }
pass() { echo "ok   $1"; cmp_passed=$((cmp_passed + 1)); }
fail() { echo "FAIL $1: $2"; cmp_failed=$((cmp_failed + 1)); }

if ! make -s sel4 >"$work/make.log" 2>&1; then
	tail -n 20 "$work/make.log"
	fail "make sel4" "the root task did not build"
	cmp_summary
	exit 1
fi
if [ ! -x "$PERSONA" ]; then
	fail build "$PERSONA not built (make)"
	cmp_summary
	exit 1
fi

# --- cpio: the archive in the payload, unpacked by cpio(1) ---
if wanted cpio; then
	r=$work/cpio/root
	mkdir -p "$r/a/b" "$r/empty" "$work/cpio/out"
	echo one >"$r/a/f"
	printf 'x' >"$r/a/b/g"
	chmod 751 "$r/a/b/g"
	chmod 700 "$r/a/b"
	chmod 1777 "$r/empty"
	ln -s ../f "$r/a/b/link"
	# A static program: a dynamic one brings its loader and libraries.
	cprog=$(realpath "$GUESTS/musl/hello")
	"$PERSONA" image --payload -o "$work/cpio/p.bin" --root "$r" "$cprog" A B 2>"$work/cpio/err"
	off=$(grep -obUa 070701 "$work/cpio/p.bin" | head -n 1 | cut -d: -f1)
	if [ -z "$off" ]; then
		fail cpio "no newc archive in the payload ($(cat "$work/cpio/err"))"
	elif ! (cd "$work/cpio/out" && tail -c +$((off + 1)) ../p.bin | cpio -idm --quiet 2>../cpio.err); then
		fail cpio "cpio -idm refused the archive: $(head -n 3 "$work/cpio/cpio.err")"
	else
		prog=$(realpath "$cprog")
		(cd "$r" && find . -printf '%p %m %y %l\n' | sort) >"$work/cpio/want"
		top=${prog#/}
		top=${top%%/*} # the program's own tree, left out of the comparison
		(cd "$work/cpio/out" && find . -path "./$top" -prune -o -printf '%p %m %y %l\n' | sort) >"$work/cpio/got"
		if ! diff -u "$work/cpio/want" "$work/cpio/got" >"$work/cpio/diff"; then
			fail cpio "the unpacked tree differs from --root"
			sed 's/^/     /' "$work/cpio/diff" | head -n 20
		elif ! cmp -s "$prog" "$work/cpio/out$prog"; then
			fail cpio "the program is not at $prog in the archive"
		elif ! cmp -s "$r/a/f" "$work/cpio/out/a/f"; then
			fail cpio "a file's content differs"
		else
			pass cpio
		fi
	fi
fi

# --- the guests, natively and on seL4 ---
ENV=(env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C PERSONA_TEST=guest)
# persona finds the kernel through PERSONA_SEL4 and keeps it from the guest.
PENV=("${ENV[@]}" PERSONA_SEL4="$SEL4")
ARGS=(alpha "beta gamma" "")
while read -r g _; do
	case $g in '' | '#'*) continue ;; esac
	name=sel4/$g
	wanted "$name" || continue
	bin=$GUESTS/$g
	if [ ! -x "$bin" ]; then
		fail "$name" "$bin not built (tests/build-guests.sh)"
		continue
	fi
	d=$work/$g
	mkdir -p "$d"
	(cd /tmp && timeout -k 5 "$TIMEOUT" "${ENV[@]}" "$OLDPWD/$bin" "${ARGS[@]}" \
		</dev/null >"$d/native.out" 2>"$d/native.err") 2>/dev/null
	echo $? >"$d/native.status"
	(cd /tmp && timeout -k 5 $((TIMEOUT + 10)) "${PENV[@]}" "$PERSONA" run --backend sel4 \
		--timeout "$TIMEOUT" "$OLDPWD/$bin" "${ARGS[@]}" \
		</dev/null >"$d/persona.out" 2>"$d/persona.err") 2>/dev/null
	echo $? >"$d/persona.status"
	cmp_verdict "$name" "$d"
done <tests/sel4/guests.txt

# Small programs of our own for the boot checks.
mkdir -p "$work/prog"
printf 'int main(void) { for (;;) ; }\n' >"$work/prog/forever.c"
gcc -static -O1 -o "$work/prog/forever" "$work/prog/forever.c" 2>/dev/null
gcc -static -O1 -o "$work/prog/forge" tests/sel4/forge.c 2>/dev/null
head -c 4096 /dev/urandom >"$work/prog/garbage"
chmod +x "$work/prog/garbage"
hello=$GUESTS/musl/hello

# --- boot/free: memory given back after the program ---
if wanted boot/free; then
	"$PERSONA" run --backend sel4 --verbose --timeout "$TIMEOUT" "$hello" </dev/null \
		>/dev/null 2>"$work/free.err"
	mapfile -t free < <(sed -n 's/^PERSONA-FREE \([0-9]*\)$/\1/p' "$work/free.err")
	if [ ${#free[@]} -lt 2 ]; then
		cmp_skip boot/free "the root task prints no PERSONA-FREE line before and after the program"
	elif [ "${free[0]}" = "${free[${#free[@]} - 1]}" ]; then
		pass "boot/free (${free[0]} bytes free before and after)"
	else
		fail boot/free "${free[0]} bytes free before the program, ${free[${#free[@]} - 1]} after"
	fi
fi

# --- boot/leak: many clients killed while blocked, nothing left behind ---
# tests/robust/leak.c (see tests/robust.sh): 300 kill cycles; the server's
# frames, threads and processes as before (its heap is not counted on
# seL4), and as much memory free after the program as before it.
if wanted boot/leak; then
	if ! gcc -static -O1 -pthread -o "$work/prog/leak" tests/robust/leak.c 2>/dev/null; then
		cmp_skip boot/leak "gcc -static failed"
	else
		"$PERSONA" run --backend sel4 --verbose --timeout "$TIMEOUT" "$work/prog/leak" 300 \
			</dev/null >"$work/leak.out" 2>"$work/leak.err"
		st=$?
		mapfile -t free < <(sed -n 's/^PERSONA-FREE \([0-9]*\)$/\1/p' "$work/leak.err")
		if [ $st != 0 ]; then
			fail boot/leak "status $st: $(grep -a -m 3 'FAIL\|persona:' "$work/leak.out" "$work/leak.err")"
		elif [ ${#free[@]} -lt 2 ] || [ "${free[0]}" != "${free[${#free[@]} - 1]}" ]; then
			fail boot/leak "free memory ${free[*]:-not printed} (want the same before and after)"
		else
			pass "boot/leak ($(head -n 1 "$work/leak.out" | sed 's/, heap [^,]*//'); ${free[0]} bytes free before and after)"
		fi
	fi
fi

# --- boot/forge: a client that sends forged messages with sysenter ---
if wanted boot/forge; then
	if [ ! -x "$work/prog/forge" ]; then
		cmp_skip boot/forge "gcc -static failed"
	else
		"$PERSONA" run --backend sel4 --timeout "$TIMEOUT" "$work/prog/forge" </dev/null \
			>"$work/forge.out" 2>"$work/forge.err"
		st=$?
		if [ $st = 0 ] && grep -q '^forged 144 messages; the server is still serving$' "$work/forge.out"; then
			pass "boot/forge (144 forged messages, server alive)"
		else
			fail boot/forge "status $st (want 0): $(tail -n 2 "$work/forge.out")"
		fi
	fi
fi

# --- boot/error: not a program ---
if wanted boot/error; then
	"$PERSONA" run --backend sel4 --timeout "$TIMEOUT" "$work/prog/garbage" </dev/null \
		>"$work/error.out" 2>"$work/error.err"
	st=$?
	if [ $st = 126 ] && grep -q '^persona: ' "$work/error.err"; then
		pass "boot/error ($(head -n 1 "$work/error.err"))"
	else
		fail boot/error "status $st (want 126), stderr: $(head -n 3 "$work/error.err")"
	fi
fi

# --- boot/timeout: a program that never ends ---
if wanted boot/timeout; then
	if [ ! -x "$work/prog/forever" ]; then
		cmp_skip boot/timeout "gcc -static failed"
	else
		start=$SECONDS
		"$PERSONA" run --backend sel4 --timeout 5 "$work/prog/forever" </dev/null \
			>/dev/null 2>"$work/timeout.err"
		st=$? took=$((SECONDS - start))
		if [ $st = 124 ] && [ $took -lt 30 ] &&
			grep -q 'did not finish within 5 s (raise --timeout)' "$work/timeout.err"; then
			pass boot/timeout
		else
			fail boot/timeout "status $st after ${took}s (want 124 after 5 s): $(head -n 2 "$work/timeout.err")"
		fi
	fi
fi

# boot_image NAME OUTFILE QEMU-ARGS...: boot an image, expect hello's output
# and PERSONA-EXIT 0 on the console.
boot_image() {
	local name=$1 out=$2
	shift 2
	timeout -k 5 "$TIMEOUT" "$@" </dev/null >"$out" 2>&1
	tr -d '\r' <"$out" >"$out.lf"
	if grep -q '^hello, world$' "$out.lf" && grep -q 'PERSONA-EXIT 0$' "$out.lf"; then
		pass "$name"
	else
		fail "$name" "no hello output and PERSONA-EXIT 0 on the console"
		tail -n 8 "$out.lf" | sed 's/^/     /'
	fi
}

# --- image/iso and image/dir ---
if wanted image/iso; then
	if ! command -v grub-mkrescue >/dev/null || ! command -v xorriso >/dev/null; then
		cmp_skip image/iso "grub-mkrescue or xorriso missing (apt-get install grub-pc-bin grub-common xorriso mtools)"
	elif ! "$PERSONA" image -o "$work/hello.iso" "$hello" >"$work/iso.log" 2>&1; then
		fail image/iso "persona image failed: $(tail -n 3 "$work/iso.log")"
	else
		boot_image image/iso "$work/iso.out" qemu-system-x86_64 -cpu "$QEMU_CPU" -m 1024 \
			-nographic -serial mon:stdio -cdrom "$work/hello.iso" -no-reboot
	fi
fi
if wanted image/dir; then
	if ! "$PERSONA" image -o "$work/img/" "$hello" >"$work/dir.log" 2>&1; then
		fail image/dir "persona image failed: $(tail -n 3 "$work/dir.log")"
	else
		boot_image image/dir "$work/dir.out" "$work/img/run.sh"
	fi
fi

cmp_summary
