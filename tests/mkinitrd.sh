#!/usr/bin/env bash
# tests/mkinitrd.sh OUT.cpio HOST-FILE[:GUEST-PATH]...
# Packs host files into a cpio newc initramfs; a dynamic executable brings
# its ELF interpreter and the libraries it needs (resolved by ldd here, on
# the build host; the `osprey build` CLI will resolve them itself). Used by
# the tests until that CLI exists.
set -euo pipefail
out=$1
shift
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
add() { # HOST GUEST
	mkdir -p "$root$(dirname "$2")"
	cp -L "$1" "$root$2"
}
for spec in "$@"; do
	host=${spec%%:*}
	guest=${spec#*:}
	[ "$guest" = "$spec" ] && guest=$host
	if [ -d "$host" ]; then
		mkdir -p "$root$(dirname "$guest")"
		cp -a "$host" "$root$guest"
		continue
	fi
	add "$host" "$guest"
	libs=$(ldd "$host" 2>/dev/null | grep -o '/[^ ]*' || true)
	# glibc dlopens libgcc_s.so.1 for pthread_exit and cancellation.
	if grep -q '/libc\.so\.6$' <<<"$libs"; then
		# awk reads to the end: exiting early would kill ldconfig with
		# SIGPIPE, which pipefail and set -e turn into a failed script.
		libs="$libs $(/sbin/ldconfig -p |
			awk '/libgcc_s\.so\.1 \(libc6,x86-64\)/ && !found { print $NF; found = 1 }')"
	fi
	for lib in $libs; do
		[ -e "$root$lib" ] || add "$lib" "$lib"
	done
done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
