# Part `apps` of tests/net/run.sh (sourced by it, bash): real servers
# from Debian's packages, unmodified, in the guest on the TAP, driven from
# the host's side of the namespace. Their binaries are the ones
# tools/deps.sh unpacked into build/servers (never installed: no service
# on the host); the clients are the host's.
#
#   (f) memcached -u root -p 11211 -U 0 -t 1: tests/net/mc_check.py sets,
#       gets and verifies APPS_MC_KEYS (3000) keys, and a few replies the
#       protocol fixes
#   (g) redis-server --save '' --appendonly no --protected-mode no: a
#       redis-cli script (tests/net/redis.cmds) whose replies must be
#       tests/net/redis.expected, then redis-benchmark -t
#       set,get,incr,lpush -n 20000 -q: four rates, no error
#   (h) nginx (daemon off, master_process off, our config) serving files
#       of 0 B, 1 B, 4 KiB, 100 KiB and 1 MiB: curl compares each byte
#       for byte with its status and length, a missing file is a 404;
#       then wrk -t1 -c8 -d5s on the 4 KiB file: no socket error, no
#       non-2xx answer
#   (i) `osprey run -p 6379:6379 -- .../redis-server ...` (QEMU's user
#       networking, the host's 127.0.0.1:6379) answers `redis-cli -p
#       6379 ping` with PONG
#   (j) redis-server --dir /tmp answers BGSAVE (a forked child writes
#       the dump): LASTSAVE changes within APPS_PORT_S, the last bgsave
#       is ok, and `redis-cli --rdb` (another fork) fetches a dump
#   (k) nginx with master_process on and two workers
#       (tests/net/nginx-master.conf) serves a file to curl, twice (the
#       master sets O_ASYNC and F_SETOWN on its channel to each worker
#       and takes SIGIO: fs/fasync.c)
#
# APPS picks among memcached redis nginx redis_cli redis_bgsave
# nginx_master (default: all).
#
# Osprey boots each server from an image of its own (`osprey build`);
# the Linux guest boots one image with all three (linux_image). Until
# Osprey has TCP the servers end at once and every check fails within
# seconds: each wait below ends when the guest has ended; a guest that
# lives waits BOOT_S at most to answer ping, then APPS_PORT_S (30 s) at
# most to accept a connection.
APPS_MC_KEYS=${APPS_MC_KEYS:-3000}
APPS_PORT_S=${APPS_PORT_S:-30}
SRV=$PWD/build/servers
APPS_WWW=$LOGS/www
NGINX_CONF=tests/net/nginx.conf
APPS_SIZES="0 1 4096 102400 1048576"

# The files nginx serves (random bytes, made anew each run; its
# configuration is tests/net/nginx.conf).
apps_files() {
	local n
	rm -rf "$APPS_WWW" && mkdir -p "$APPS_WWW"
	for n in $APPS_SIZES; do
		head -c "$n" /dev/urandom >"$APPS_WWW/f$n.bin"
	done
}

# The Linux guest's image: the three servers with their libraries, the
# configuration and the files.
apps_linux_image() {
	linux_image "$LOGS/apps-linux.cpio" \
		"$SRV/usr/bin/memcached:/usr/bin/memcached" \
		"$SRV/usr/bin/redis-server:/usr/bin/redis-server" \
		"$SRV/usr/sbin/nginx:/usr/sbin/nginx" \
		"$NGINX_CONF:/etc/nginx/osprey.conf" \
		"tests/net/nginx-master.conf:/etc/nginx/osprey-master.conf" \
		"$APPS_WWW:/srv/www"
}

# app_start TAG PROGRAM ARGS...: the guest booted on the TAP running
# PROGRAM (a path under build/servers; the Linux guest has it at the
# same path under /) and answering ping (0), or 1 after a FAIL line.
# Osprey's image is made by `osprey build` (the program, its libraries,
# nginx's configuration and files). Both guests get 256 MiB and the
# device's tx=timer: under TCG, QEMU 7.2's default transmit path (tx=bh)
# stops for good during a flood such as redis-benchmark's, whichever the
# guest (seen with the Linux guest here; bench/net.sh says more).
app_start() {
	local tag=$1 prog=$2 log=$LOGS/apps-$1.log img=$LOGS/apps-linux.cpio
	shift 2
	GUEST_LOG=$log
	if [ "$GUEST" = linux ]; then
		prog=${prog#"$SRV"}
	else
		img=$LOGS/apps-$tag.cpio
		build/osprey build -o "$img" --add "$NGINX_CONF:/etc/nginx/osprey.conf" \
			--add tests/net/nginx-master.conf:/etc/nginx/osprey-master.conf \
			--add "$APPS_WWW:/srv/www" -- "$prog" >"$LOGS/apps-$tag.build" 2>&1 || {
			fail "$tag-image" "osprey build: $(tail -1 "$LOGS/apps-$tag.build")"
			return 1
		}
	fi
	QEMU_RUN_EXTRA="--mem 256 --net-arg tx=timer" guest_start "$log" microvm 1 \
		"tap:$TAP" "$img" 300 --verbose --ip=$GUEST_IP/24,$HOST_IP -- "$prog" "$@"
	local t0=$SECONDS
	while ((SECONDS - t0 < BOOT_S)); do
		$NX ping -c 1 -W 1 -q $GUEST_IP >/dev/null 2>&1 && return 0
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.2
	done
	fail "$tag-boot" "$GUEST_IP answers no ping after $((SECONDS - t0)) s$(kill -0 "$GUEST_PID" \
		2>/dev/null || echo ', the guest ended'); its log $log ends:"
	tail -5 "$log" | sed 's/^/    /'
	guest_end 1
	return 1
}

# port_wait TAG PORT: the guest accepts TCP connections on PORT (0), or
# a FAIL line once the guest ended or APPS_PORT_S passed (1).
port_wait() {
	local t0=$SECONDS
	while ((SECONDS - t0 < APPS_PORT_S)); do
		$NX timeout 1 bash -c "exec 3<>/dev/tcp/$GUEST_IP/$2" 2>/dev/null && return 0
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.5
	done
	fail "$1-listening" "no TCP connection to $GUEST_IP:$2 in $((SECONDS - t0)) s$(kill -0 "$GUEST_PID" \
		2>/dev/null || echo ', the guest ended'); its log $LOGS/apps-$1.log ends:"
	tail -4 "$LOGS/apps-$1.log" | sed 's/^/    /'
	return 1
}

app_stop() {
	kill "$GUEST_PID" 2>/dev/null
	guest_end 10
}

# ---- (f) memcached ----
memcached_test() {
	app_start memcached "$SRV/usr/bin/memcached" -u root -p 11211 -U 0 -t 1 ||
		return
	if port_wait memcached 11211; then
		$NX timeout 300 $PY tests/net/mc_check.py $GUEST_IP 11211 \
			"$APPS_MC_KEYS" 240 >"$LOGS/apps-memcached.check" 2>&1
		check memcached-verify "$(tail -2 "$LOGS/apps-memcached.check")" \
			grep -q "$APPS_MC_KEYS of $APPS_MC_KEYS keys verified" \
			"$LOGS/apps-memcached.check"
	fi
	app_stop
}

# ---- (g) redis ----
REDIS_ARGS=(--save '' --appendonly no --protected-mode no)
# redis_bench_ok FILE: redis-benchmark -q's four results (the last of its
# \r-separated progress lines), each a positive rate, and no error.
redis_bench_ok() {
	local t rate
	tr '\r' '\n' <"$1" | grep -qiE 'error|refused|reset' && return 1
	for t in SET GET INCR LPUSH; do
		rate=$(tr '\r' '\n' <"$1" | grep -E "^$t: [0-9.]+ requests per second" |
			tail -1 | awk '{print $2}')
		awk -v r="${rate:-0}" 'BEGIN { exit !(r > 0) }' || return 1
	done
}
redis_test() {
	app_start redis "$SRV/usr/bin/redis-server" "${REDIS_ARGS[@]}" || return
	if port_wait redis 6379; then
		$NX timeout 60 redis-cli -h $GUEST_IP -p 6379 <tests/net/redis.cmds \
			>"$LOGS/apps-redis.replies" 2>&1
		check redis-cli-replies "$(diff tests/net/redis.expected \
			"$LOGS/apps-redis.replies" | head -6 | tr '\n' ' ')" \
			cmp -s tests/net/redis.expected "$LOGS/apps-redis.replies"
		$NX timeout 240 redis-benchmark -h $GUEST_IP -p 6379 \
			-t set,get,incr,lpush -n 20000 -q >"$LOGS/apps-redis.bench" 2>&1
		check redis-benchmark "$(tr '\r' '\n' <"$LOGS/apps-redis.bench" |
			grep -vE 'rps=' | tail -4 | tr '\n' ' ')" redis_bench_ok "$LOGS/apps-redis.bench"
		grep -aoE '^(SET|GET|INCR|LPUSH): [0-9.]+ requests per second' \
			<(tr '\r' '\n' <"$LOGS/apps-redis.bench") | sed 's/^/    /'
	fi
	app_stop
}

# ---- (h) nginx ----
# curl_file NAME: the file byte for byte, status 200.
curl_file() {
	local out=$LOGS/apps-nginx.got code
	rm -f "$out"
	code=$($NX timeout 60 curl -sS --max-time 50 -o "$out" -w '%{http_code}' \
		"http://$GUEST_IP:8080/$1" 2>>"$LOGS/apps-nginx.curl")
	[ "$code" = 200 ] && cmp -s "$out" "$APPS_WWW/$1" && return 0
	echo "    $1: status ${code:-none}, $(stat -c %s "$out" 2>/dev/null || echo no) bytes" \
		"for $(stat -c %s "$APPS_WWW/$1")"
	return 1
}
wrk_ok() { # FILE: a rate, no socket error, no non-2xx answer
	grep -q '^Requests/sec:' "$1" && ! grep -qE 'Socket errors|Non-2xx' "$1"
}
nginx_test() {
	local n code
	app_start nginx "$SRV/usr/sbin/nginx" -p /tmp/ -e stderr \
		-c /etc/nginx/osprey.conf || return
	if port_wait nginx 8080; then
		: >"$LOGS/apps-nginx.curl"
		for n in $APPS_SIZES; do
			check "nginx-curl-$n" "f$n.bin differs (curl: $(tail -1 \
				"$LOGS/apps-nginx.curl"))" curl_file "f$n.bin"
		done
		code=$($NX timeout 60 curl -s --max-time 50 -o /dev/null -w '%{http_code}' \
			"http://$GUEST_IP:8080/missing")
		check nginx-curl-404 "status ${code:-none} for a missing file" [ "$code" = 404 ]
		$NX timeout 60 wrk -t1 -c8 -d5s --timeout 10s \
			"http://$GUEST_IP:8080/f4096.bin" >"$LOGS/apps-nginx.wrk" 2>&1
		check nginx-wrk "$(grep -E 'Requests/sec|errors|Non-2xx' "$LOGS/apps-nginx.wrk" |
			tr '\n' ' ')" wrk_ok "$LOGS/apps-nginx.wrk"
		grep -E '^Requests/sec' "$LOGS/apps-nginx.wrk" | sed 's/^/    wrk 4 KiB: /'
	fi
	app_stop
}

# ---- (i) redis through osprey run -p, on the host's 127.0.0.1 ----
redis_cli_test() {
	local log=$LOGS/apps-redis-cli.log ans=""
	if ss -Hltn 'sport = :6379' 2>/dev/null | grep -q .; then
		fail redis-forwarded "127.0.0.1:6379/tcp is taken on this host"
		return
	fi
	GUEST_LOG=$log
	if [ "$GUEST" = linux ]; then
		guest_start "$log" microvm 1 user:hostfwd=tcp:127.0.0.1:6379-10.0.2.15:6379 \
			"$LOGS/apps-linux.cpio" 300 --ip=10.0.2.15/24,10.0.2.2 --dns=10.0.2.3 -- \
			/usr/bin/redis-server "${REDIS_ARGS[@]}"
	else
		build/osprey run --timeout 300 -p 6379:6379 -- "$SRV/usr/bin/redis-server" \
			"${REDIS_ARGS[@]}" </dev/null >"$log" 2>&1 &
		GUEST_PID=$!
		GUEST_PIDS+=("$GUEST_PID")
	fi
	local t0=$SECONDS
	while ((SECONDS - t0 < BOOT_S)); do
		ans=$(timeout 2 redis-cli -p 6379 ping 2>/dev/null)
		[ "$ans" = PONG ] && break
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.5
	done
	check redis-forwarded "redis-cli -p 6379 ping: '$ans' (log: $log)" [ "$ans" = PONG ]
	app_stop
}

# ---- (j) redis BGSAVE: a forked child writes the dump ----
redis_cmd() { $NX timeout 10 redis-cli -h $GUEST_IP -p 6379 "$@" 2>&1; }
redis_bgsave_test() {
	local before after ans t0 rdb=$LOGS/apps-redis-dump.rdb
	app_start redis-bgsave "$SRV/usr/bin/redis-server" "${REDIS_ARGS[@]}" \
		--dir /tmp || return
	if port_wait redis-bgsave 6379; then
		before=$(redis_cmd LASTSAVE)
		redis_cmd SET osprey fork >/dev/null
		sleep 1 # LASTSAVE counts seconds
		ans=$(redis_cmd BGSAVE)
		check redis-bgsave-started "BGSAVE: $ans" grep -q 'saving started' <<<"$ans"
		t0=$SECONDS
		while ((SECONDS - t0 < APPS_PORT_S)); do
			after=$(redis_cmd LASTSAVE)
			[ -n "$after" ] && [ "$after" != "$before" ] && break
			sleep 0.5
		done
		check redis-bgsave-lastsave "LASTSAVE stayed '$before' (now '$after')" \
			[ -n "$after" ] && [ "$after" != "$before" ]
		ans=$(redis_cmd INFO persistence | tr -d '\r' | grep bgsave_status)
		check redis-bgsave-ok "$ans" grep -qx 'rdb_last_bgsave_status:ok' <<<"$ans"
		rm -f "$rdb"
		$NX timeout 60 redis-cli -h $GUEST_IP -p 6379 --rdb "$rdb" \
			>"$LOGS/apps-redis-rdb.log" 2>&1
		check redis-bgsave-rdb "no dump from --rdb: $(tail -1 "$LOGS/apps-redis-rdb.log")" \
			grep -q '^REDIS' <(head -c 5 "$rdb" 2>/dev/null)
	fi
	app_stop
}

# ---- (k) nginx with a master and two workers ----
nginx_master_test() {
	app_start nginx-master "$SRV/usr/sbin/nginx" -p /tmp/ -e stderr \
		-c /etc/nginx/osprey-master.conf || return
	if port_wait nginx-master 8080; then
		: >"$LOGS/apps-nginx.curl"
		check nginx-master-curl "f102400.bin differs" curl_file f102400.bin
		check nginx-master-curl-again "f4096.bin differs" curl_file f4096.bin
	fi
	app_stop
}

apps_tests() {
	local p missing=""
	for p in "$SRV/usr/bin/memcached" "$SRV/usr/bin/redis-server" "$SRV/usr/sbin/nginx"; do
		[ -x "$p" ] || missing+=" $p"
	done
	for p in redis-cli redis-benchmark curl wrk; do
		command -v $p >/dev/null || missing+=" $p"
	done
	if [ -n "$missing" ]; then
		fail apps-setup "missing:$missing (tools/deps.sh installs them)"
		return
	fi
	apps_files
	if [ "$GUEST" = linux ] && ! apps_linux_image >"$LOGS/apps-image.log" 2>&1; then
		fail apps-setup "cannot build the image: $(tail -2 "$LOGS/apps-image.log")"
		return
	fi
	local t
	for t in ${APPS:-memcached redis nginx redis_cli redis_bgsave nginx_master}; do
		"${t}_test"
	done
}
