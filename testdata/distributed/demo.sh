#!/bin/sh
# make demo-distributed: a province-scale check on one machine. A throwaway PostgreSQL cluster
# (Debian's postgresql package; initdb and postgres refuse root, so they run as the postgres
# user) in a temporary folder, the platform simulator (each credential with its own budget, as
# the platforms throttle each session), three `nmaudit worker` processes with distinct
# credentials, and `nmaudit check --distributed` of 3,000 accounts coordinating them. One worker
# is stopped with SIGTERM part way (it drains); the others finish. Everything is removed at the end.
set -eu
BIN=${BIN:-bin/nmaudit}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
PGBIN=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")")
work=$(mktemp -d)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
pw=demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
echo "$pw" >"$work/pg/pw"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg/pw"
port=$(( 20000 + $$ % 20000 ))
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	touch "$work/stop"
	wait 2>/dev/null || true
	as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== PostgreSQL: a throwaway cluster in $work/pg (port $port)"
as_pg "$PGBIN/initdb" -D "$work/pg/data" -U nmaudit --pwfile="$work/pg/pw" --auth=scram-sha-256 -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
	-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work/pg -c max_connections=200" start >/dev/null
PGPASSWORD=$pw "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U nmaudit nmaudit
export NMAUDIT_STORE_URL="postgres://nmaudit:$pw@127.0.0.1:$port/nmaudit?sslmode=disable"

echo "== the platform simulator: 3,000 accounts, 25 requests/s per credential and platform"
${GO:-go} test -c -o "$work/sim" ./cmd/nmaudit
NMAUDIT_DISTRIBUTED_DEMO="$work" "$work/sim" -test.run '^TestDistributedDemoServer$' -test.timeout 30m >/dev/null &
pids="$pids $!"
while [ ! -s "$work/env" ]; do sleep 0.2; done
. "$work/env"

echo "== three workers, each with its own credentials (a machine each, in production)"
for i in 0 1 2; do
	( . "$work/worker$i.env"; exec "$BIN" worker --concurrency 4 ) 2>"$work/worker$i.log" &
	eval "w$i=$!"
	pids="$pids $!"
done

echo "== nmaudit check --distributed (the coordinator: it fetches nothing itself)"
start=$(date +%s)
"$BIN" check --registry "$work/registry.xlsx" --at 2022-08-22 --distributed --format json -o "$work/run.json" 2>"$work/check.log" &
coord=$!
sleep 8
echo "   (worker 2 gets SIGTERM after 8 s: it finishes its jobs in flight and hands the rest back)"
kill -TERM "$w2"
wait "$coord"
echo "   finished in $(( $(date +%s) - start )) s"
grep -v '^$' "$work/check.log" | sed 's/^/   /' | head -12
for i in 0 1 2; do printf '   worker %s: ' "$i"; grep -h '已启动\|已停止' "$work/worker$i.log" | tail -1; done
"$BIN" runs
grep -A9 '"summary"' "$work/run.json"
