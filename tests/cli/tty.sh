#!/usr/bin/env bash
# The terminal (issue 13, item 2): `osprey run` in a tmux pane, whose
# stdin is a terminal, gives the program a terminal with a line
# discipline. Through tmux's send-keys and capture-pane: python3's REPL
# runs a line and Ctrl-C gives KeyboardInterrupt; a program sees the
# pane's size with TIOCGWINSZ and, after the pane is resized, SIGWINCH
# and the new size; busybox vi opens, takes text and quits; Ctrl-] stops
# a VM whose program ignores SIGINT (status 130) and the terminal's
# settings are put back. Without a terminal nothing changes (isatty 0).
# Prints PASS/FAIL lines; exits 1 if any failed. Every wait is bounded.
set -uo pipefail
cd "$(dirname "$0")/../.."

OSPREY=$PWD/build/osprey
passed=0 failed=0
tmp=$(mktemp -d /tmp/osprey-tty.XXXXXX)
sock=osprey-tty-$$
n_sock=0
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
export TMPDIR=$tmp

pass() { echo "PASS cli-tty-$1"; passed=$((passed + 1)); }
fail() {
	echo "FAIL cli-tty-$1: $2"
	sed 's/^/    pane: /' "$tmp/pane" 2>/dev/null | grep -v ': $' | tail -8
	failed=$((failed + 1))
}

if ! command -v tmux >/dev/null; then
	fail setup "no tmux (tools/deps.sh installs it)"
	exit 1
fi

# start COMMAND: runs COMMAND in a new 100x30 pane, then "EXIT=status".
start() {
	tmux -L "$sock" kill-server 2>/dev/null
	n_sock=$((n_sock + 1))
	sock=osprey-tty-$$-$n_sock # a server of its own: none is dying
	tmux -L "$sock" new-session -d -x 100 -y 30 \
		"cd $PWD; $1; echo EXIT=\$?; sleep 600"
}

# wait_for PATTERN SECONDS: until the pane matches the extended regex.
wait_for() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		tmux -L "$sock" capture-pane -p >"$tmp/pane" 2>/dev/null
		grep -qE -- "$1" "$tmp/pane" && return 0
		sleep 0.5
	done
	return 1
}

check() { # NAME PATTERN SECONDS
	if wait_for "$2" "$3"; then pass "$1"; else fail "$1" "no /$2/ in $3 s"; fi
}

keys() { tmux -L "$sock" send-keys "$@"; }

# ---- python3's REPL: a line, then Ctrl-C ----
start "$OSPREY run /usr/bin/python3 -q"
if wait_for '^>>>' 120; then
	keys 'import os; print(os.isatty(0), os.isatty(1), 6*7)' Enter
	check python-line '^True True 42' 60
	keys 'while True: pass' Enter Enter
	sleep 2
	keys C-c
	check python-ctrl-c '^KeyboardInterrupt' 60
	keys 'print("after", 6*7)' Enter
	check python-after-ctrl-c '^after 42' 60
	keys C-d
	check python-eof '^EXIT=' 60
else
	fail python-start "no prompt in 120 s"
fi

# ---- the window's size and SIGWINCH ----
winsize=$tmp/winsize
if gcc -O1 -o "$winsize" tests/cli/winsize.c; then
	start "$OSPREY run $winsize"
	check winsize '^size 30x100$' 120
	check isatty '^isatty 1 1 1$' 1
	tmux -L "$sock" resize-window -x 90 -y 25
	check sigwinch '^winch 25x90$' 60
	check sigwinch-exit '^EXIT=0$' 30
	out=$(timeout 120 "$OSPREY" run "$winsize" </dev/null 2>/dev/null)
	rc=$?
	if [ "$rc" = 2 ] && [ "$out" = "isatty 0 0 0" ]; then
		pass no-terminal
	else
		fail no-terminal "status $rc, output '$out'"
	fi
else
	fail winsize-build "cannot build tests/cli/winsize.c"
fi

# ---- busybox vi ----
if busybox --list 2>/dev/null | grep -qx vi; then
	echo "first line" >"$tmp/vi.txt"
	start "$OSPREY run --add $tmp/vi.txt:/tmp/vi.txt $(command -v busybox) vi /tmp/vi.txt"
	if wait_for '^first line' 120; then
		keys o 'typed in vi' Escape
		check vi-insert '^typed in vi' 30
		keys ':q!' Enter
		check vi-quit '^EXIT=0$' 30
	else
		fail vi-start "vi did not show the file in 120 s"
	fi
else
	fail vi "busybox has no vi"
fi

# ---- Ctrl-]: out of a VM whose program ignores Ctrl-C ----
start "stty -g >$tmp/before; $OSPREY run /usr/bin/python3 -c 'import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print(\"ready\", flush=True); time.sleep(300)'; echo EXIT=\$?; stty -g >$tmp/after"
if wait_for '^ready' 120; then
	keys C-c
	sleep 1
	keys C-]
	check escape '^EXIT=130$' 30
	if cmp -s "$tmp/before" "$tmp/after"; then
		pass terminal-restored
	else
		fail terminal-restored "stty -g differs after osprey run"
	fi
else
	fail escape-start "the program did not start in 120 s"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
