#!/bin/sh
# Makes the seed images of fuzz_ext4 (tests/fuzz/corpus/ext4): small file
# systems from Debian's mke2fs -d with different features, each cut after
# its last nonzero byte (the fuzzer reads zeros past the input).
set -eu
cd "$(dirname "$0")"
PATH=$PATH:/usr/sbin:/sbin
out=corpus/ext4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t=$tmp/tree
mkdir -p $t/d/sub $out
echo hello >$t/small
head -c 3000 /dev/zero | tr '\0' 'a' >$t/d/three-k
for i in 0 1 2 3 4 5; do
	printf 'x%s' $i | dd of=$t/sparse bs=1 seek=$((i * 8192)) conv=notrunc 2>/dev/null
done
ln -s small $t/fast-link
ln -s "$(printf '%080d' 0)/long" $t/d/slow-link
for i in $(seq 1 60); do : >$t/d/sub/file-number-$i; done
python3 -c "import os; os.setxattr('$t/small', 'user.k', b'v' * 40)"
mk() { # NAME OPTIONS...
	name=$1
	shift
	rm -f $tmp/img
	mke2fs -F -q -b 1024 -N 96 -O ^has_journal "$@" -d $t $tmp/img 256k
	python3 -c "
import sys
d = open('$tmp/img', 'rb').read().rstrip(b'\0')
open('$out/$name', 'wb').write(d)"
}
mk ext4 -t ext4
mk ext4-nocsum -t ext4 -O ^metadata_csum
mk ext4-inline -t ext4 -O inline_data
mk ext4-64bit-metabg -t ext4 -O 64bit,meta_bg,^resize_inode
mk ext2 -t ext2 -I 128
mk ext4-htree -t ext4
e2fsck -fyD $tmp/img >/dev/null 2>&1 || true
python3 -c "
d = open('$tmp/img', 'rb').read().rstrip(b'\0')
open('$out/ext4-htree', 'wb').write(d)"
# Journals that need replay (debugfs writes the transactions): with
# checksums v3 and without; a revoke cancels one block of the first.
head -c 3072 /dev/urandom >$tmp/jdata
mkj() { # NAME JOURNAL-OPEN MKE2FS-OPTIONS...
	name=$1 jo=$2
	shift 2
	rm -f $tmp/img
	mke2fs -F -q -b 1024 -N 96 -t ext4 "$@" -d $t $tmp/img 2M
	printf '%s\njw -b 1500,1501,1502 %s\njc\njo\njw -r 1501\njc\n' \
		"$jo" $tmp/jdata | debugfs -w -f - $tmp/img >/dev/null
	python3 -c "
d = open('$tmp/img', 'rb').read().rstrip(b'\0')
open('$out/$name', 'wb').write(d)"
}
mkj ext4-journal-csum3 'jo -c'
mkj ext4-journal-nocsum jo -O ^metadata_csum
ls -l $out
