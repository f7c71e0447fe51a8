#!/usr/bin/env bash
# First command on a fresh Debian machine: install what is missing, build
# Persona, and run two real programs under it as a demonstration.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/deps.sh

persona_install_deps
echo "== make"
make -j"$(nproc)"

demo=$(mktemp -d /tmp/persona-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT

echo
echo "== a static hello world, built with gcc -static, run under Persona"
cat >"$demo/hello.c" <<'C'
#include <stdio.h>
#include <sys/utsname.h>
int main(void)
{
	struct utsname u;
	uname(&u);
	printf("hello from a static binary on %s %s\n", u.sysname, u.machine);
	return 0;
}
C
gcc -static -O2 -o "$demo/hello" "$demo/hello.c"
echo "\$ build/persona run $demo/hello"
build/persona run "$demo/hello" </dev/null

echo
echo "== Debian's busybox-static under Persona: sha256sum of a file, then sh -c with builtins"
mkdir -p "$demo/root/bin" "$demo/root/data"
cp /bin/busybox "$demo/root/bin/busybox"
printf 'Persona runs unmodified static Linux binaries.\n' >"$demo/root/data/note.txt"
echo "\$ build/persona run --root $demo/root /bin/busybox sha256sum /data/note.txt"
build/persona run --root "$demo/root" /bin/busybox sha256sum /data/note.txt </dev/null
echo "(natively: $(cd "$demo/root" && sha256sum data/note.txt | cut -d' ' -f1))"
script='n=0; for w in one two three; do n=$((n + 1)); echo "$n: $w"; done; echo "sum $((6 * 7))"'
echo "\$ build/persona run /bin/busybox sh -c '$script'"
build/persona run /bin/busybox sh -c "$script" </dev/null
echo
echo "Set up.  Next: scripts/test.sh runs every test suite."
