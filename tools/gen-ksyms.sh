#!/bin/sh
# Writes the kernel symbol table (function addresses and names, sorted) as
# assembly for the .ksyms section. With no ELF argument, an empty table.
set -e
elf=$1
syms=$(mktemp)
trap 'rm -f "$syms"' EXIT
if [ -n "$elf" ]; then
	nm -n --defined-only "$elf" | awk '$2 ~ /^[tT]$/ { print $1, $3 }' >"$syms"
fi
n=$(wc -l <"$syms")
echo '	.section .ksyms, "a"'
echo '	.globl ksym_count, ksym_addrs, ksym_name_offsets, ksym_strings'
echo '	.p2align 3'
echo "ksym_count: .quad $n"
echo 'ksym_addrs:'
awk '{ print "	.quad 0x" $1 }' "$syms"
echo 'ksym_name_offsets:'
awk 'BEGIN { off = 0 } { print "	.long " off; off += length($2) + 1 }' "$syms"
echo 'ksym_strings:'
awk '{ print "	.asciz \"" $2 "\"" }' "$syms"
