# Input files shared by the real-program suites (busybox.sh, dynamic.sh):
#   make_inputs DIR BLOB_BYTES
# writes DIR/fruit (lines with repeats), DIR/text (four sentences),
# DIR/blob (BLOB_BYTES deterministic bytes, none of them NUL) and
# DIR/tree/a, DIR/tree/sub/b (a small directory tree).
make_inputs() {
	local dir=$1 bytes=$2
	mkdir -p "$dir/tree/sub"
	printf 'banana\napple\ncherry\napple\ndate\nbanana\nelderberry\nfig\n' >"$dir/fruit"
	cat >"$dir/text" <<'TXT'
The quick brown fox jumps over the lazy dog.
Pack my box with five dozen liquor jugs.
How vexingly quick daft zebras jump!
the end
TXT
	awk -v n="$bytes" 'BEGIN { for (i = 0; i < n; i++) printf "%c", (i * 7 + 3) % 251 + 1 }' \
		</dev/null >"$dir/blob"
	echo "leaf one" >"$dir/tree/a"
	echo "leaf two" >"$dir/tree/sub/b"
}
