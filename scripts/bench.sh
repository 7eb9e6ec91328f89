#!/usr/bin/env bash
# make bench: paywarden's load harness. Everything it uses is built or
# installed here (Go builds; Debian packages for the Flask baseline and the
# PostgreSQL client), every load is bounded in count and time, and every
# process it starts is stopped on exit. Results are described in
# docs/BENCHMARKS.md.
#
#   0. bench/floor (the least a correct receiver does) and paywarden side by
#      side, SQLite, plain HTTP then TLS, c=16 and 64, with the ratio and
#      peak RSS; 0b. bench/drain: a 20,000-event non-money backlog drained,
#      and POST /v1/payments p99 under a 10,000-event money-moving backlog,
#      with the workers' fetches as background calls and without;
#   1. webhook ingestion: bin/paywarden serve (development mode, self-signed
#      TLS, fresh test-mode secrets in 0600 files) against stripe-mock, with
#      SQLite and then PostgreSQL, driven by bench/loadgen at c=1, 16, 64;
#      a CPU profile of the server during an extra SQLite c=64 run;
#   2. the baseline: a Flask + stripe-python + SQLite handler under gunicorn
#      (bench/flask/app.py), plain HTTP, same loadgen, same concurrencies;
#   3. the internal API against stripe-go direct: go run ./bench/api;
#   4. the group-commit store benchmarks: go test -bench (SQLite, PostgreSQL);
#   5. the audit benchmark: bench/audit/run.sh, when it exists;
#   then one table of everything on stdout.
#
# Knobs (environment): BENCH_DURATION (per load run, default 15s),
# BENCH_N1/BENCH_N16/BENCH_N64 (events per run at c=1/16/64), BENCH_PG_URL
# (default postgres://postgres@127.0.0.1:5432/test; "none" skips PostgreSQL),
# BENCH_PROFILE=0 (no profile run), BENCH_FLASK_WORKERS (default 4),
# BENCH_FLASK_THREADS (default 4; gthread), BENCH_FLOOR=0 (skip 0), BENCH_DRAIN=0
# (skip 0b), BENCH_INGEST=0 (skip 1), BENCH_FLASK=0 (skip 2), BENCH_API=0 (skip bench/api), BENCH_AUDIT=0 (skip the audit
# benchmark), AUDIT_RUNS (default 1), BENCH_AUDIT_WORK (default /tmp/paywarden-bench-make), BENCH_GOTEST=0 (skip go test -bench).
# Raw outputs are kept in var/bench/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

GO=${GO:-go}
DUR=${BENCH_DURATION:-15s}
N1=${BENCH_N1:-3000}
N16=${BENCH_N16:-30000}
N64=${BENCH_N64:-40000}
PG_BASE=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
FLASK_WORKERS=${BENCH_FLASK_WORKERS:-4}
FLASK_THREADS=${BENCH_FLASK_THREADS:-4}

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/var/bench/$STAMP
mkdir -p "$OUT" bin
TMP=$(mktemp -d /tmp/paywarden-bench.XXXXXX)
chmod 700 "$TMP"
RESULTS=$OUT/results.txt # one loadgen line per run, with CPU columns
NOTES=$OUT/notes.txt     # skipped steps and other remarks
: >"$RESULTS"
: >"$NOTES"

say() { printf '== %s\n' "$*" >&2; }
note() { printf '%s\n' "$*" | tee -a "$NOTES" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------- cleanup
pids=()      # processes to stop, in reverse order of start
pg_schema="" # PostgreSQL schema to drop
cleanup() {
	local rc=$?
	trap - INT TERM EXIT
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		# Up to 30s for a graceful stop (paywarden stores its queue), then kill.
		for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$pg_schema" ]; then
		psql "$PG_BASE" -v ON_ERROR_STOP=1 -qc "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup INT TERM EXIT

# stop PID: stop one process started here, and forget it.
stop() {
	local p=$1 keep=()
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	for q in "${pids[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
	pids=("${keep[@]}")
}

# ---------------------------------------------------------------- helpers
used_ports=" "
freeport() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		case $used_ports in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			used_ports+="$p "
			echo "$p"
			return
		fi
	done
}

# waitport PORT PID: wait until 127.0.0.1:PORT accepts, or PID has died.
waitport() {
	for _ in $(seq 600); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

rand() { head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-"$1"; }

# ticks PID: CPU time (user+system, clock ticks) of PID and its live children.
ticks() {
	local t=0 p
	for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ -r /proc/"$p"/stat ] || continue
		t=$((t + $(sed 's/^.*) //' /proc/"$p"/stat | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}
HZ=$(getconf CLK_TCK)

# busy: total and idle CPU ticks of the machine (/proc/stat).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }

# mval ADMIN NAME: the value of an unlabelled metric on paywarden's admin
# listener (bash /dev/tcp, so that curl is not needed); empty if unknown.
mval() {
	local host=${1%:*} port=${1##*:}
	(
		exec 3<>"/dev/tcp/$host/$port" || exit 0
		printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" >&3
		awk -v n="$2" '$1 == n { print $2 }' <&3
	) 2>/dev/null || true
}

# load LABEL URL C N SERVERPID [AUXPID...]: one bounded loadgen run; appends
# its line with the CPU used (in cores) by the server (SERVERPID and its
# children), by the auxiliary processes (stripe-mock), by loadgen and by the
# whole machine, and, for paywarden (CUR_ADMIN set), the mean commit batch.
CUR_ADMIN=""
load() {
	local label=$1 url=$2 c=$3 n=$4
	shift 4
	local before=() after=() p t0 t1 line srv=0 aux=0 lg m0 m1 bs0="" bc0="" bs1="" bc1="" batch=- hwm
	if [ -n "$CUR_ADMIN" ]; then
		bs0=$(mval "$CUR_ADMIN" paywarden_webhook_commit_batch_size_sum)
		bc0=$(mval "$CUR_ADMIN" paywarden_webhook_commit_batch_size_count)
	fi
	for p in "$@"; do before+=("$(ticks "$p")"); done
	m0=$(busy)
	t0=$(date +%s.%N)
	if line=$( { TIMEFORMAT='%U %S'; time bin/loadgen -url "$url" -secret-file "$TMP/stripe_webhook_secret" \
		-n "$n" -c "$c" -d "$DUR" -label "$label" 2>&1; } 2>"$TMP/time"); then :; else
		line="$label c=$c FAILED: $(echo "$line" | tail -1)"
	fi
	t1=$(date +%s.%N)
	m1=$(busy)
	for p in "$@"; do after+=("$(ticks "$p")"); done
	hwm=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' /proc/"$1"/status 2>/dev/null || echo "?")
	srv=$((${after[0]} - ${before[0]}))
	for ((i = 1; i < ${#before[@]}; i++)); do aux=$((aux + ${after[i]} - ${before[i]})); done
	lg=$(awk '{ print $1 + $2 }' "$TMP/time")
	if [ -n "$CUR_ADMIN" ]; then
		bs1=$(mval "$CUR_ADMIN" paywarden_webhook_commit_batch_size_sum)
		bc1=$(mval "$CUR_ADMIN" paywarden_webhook_commit_batch_size_count)
		if [ -n "$bs0" ] && [ -n "$bs1" ]; then
			batch=$(awk -v a="$bs0" -v b="$bs1" -v c="$bc0" -v d="$bc1" 'BEGIN { if (d > c) printf "%.1f", (b - a) / (d - c); else print "-" }')
		fi
	fi
	line=$(awk -v l="$line" -v s="$srv" -v aux="$aux" -v hz="$HZ" -v lg="$lg" -v a="$t0" -v b="$t1" -v m0="$m0" -v m1="$m1" \
		-v batch="$batch" -v hwm="$hwm" -v la="$(loadavg)" 'BEGIN {
		split(m0, x, " "); split(m1, y, " ")
		machine = ((y[1] - x[1]) - (y[2] - x[2])) / hz / (b - a)
		printf "%s  server_cpu=%.2f aux_cpu=%.2f loadgen_cpu=%.2f machine_cpu=%.2f batch=%s rss_peak_mib=%s loadavg=%s\n", l, s / hz / (b - a), aux / hz / (b - a), lg / (b - a), machine, batch, hwm, la
	}')
	echo "$line" | tee -a "$RESULTS" >&2
}

# workers NAME: how far paywarden's workers got with what was ingested.
workers() {
	local acc proc pend
	acc=$(mval "$CUR_ADMIN" paywarden_webhook_accepted_total)
	proc=$(mval "$CUR_ADMIN" 'paywarden_events_processed_total{result="processed"}')
	pend=$(mval "$CUR_ADMIN" 'paywarden_events{status="pending"}')
	echo "$1: ${acc:-?} events stored, ${proc:-0} processed by the workers, ${pend:-?} still pending at the end of the sweep" >>"$OUT/workers.txt"
}

# sweep LABEL URL SERVERPIDS...: warm up, then c=1, 16, 64.
sweep() {
	local label=$1 url=$2
	shift 2
	bin/loadgen -url "$url" -secret-file "$TMP/stripe_webhook_secret" -n 500 -c 8 -d 10s -label warmup >/dev/null 2>&1 || true
	load "$label" "$url" 1 "$N1" "$@"
	load "$label" "$url" 16 "$N16" "$@"
	load "$label" "$url" 64 "$N64" "$@"
}

# ---------------------------------------------------------------- setup
say "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $($GO version | cut -d' ' -f3-), kernel $(uname -r), load average $(loadavg)"
{
	echo "nproc=$(nproc)"
	echo "mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "go=$($GO version)"
	echo "kernel=$(uname -r)"
	echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "loadavg_start=$(loadavg)"
} >"$OUT/machine.txt"

say "building paywarden, loadgen and stripe-mock"
[ -x bin/paywarden ] || "$GO" build -o bin/paywarden ./cmd/paywarden
"$GO" build -o bin/loadgen ./bench/loadgen
"$GO" build -o bin/floor ./bench/floor
"$GO" build -o bin/drain ./bench/drain
"$GO" build -o bin/stripe-mock github.com/stripe/stripe-mock

say "installing the baseline's Debian packages (python3-flask python3-stripe gunicorn) and the PostgreSQL client"
apt_install() {
	local missing=()
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${missing[@]}" >"$OUT/apt.log" 2>&1 ||
		{ apt-get update -q >>"$OUT/apt.log" 2>&1 && apt-get install -y -q "${missing[@]}" >>"$OUT/apt.log" 2>&1; }
}
FLASK_OK=1
apt_install python3-flask python3-stripe gunicorn || { FLASK_OK=0; note "flask baseline skipped: apt-get install failed (see $OUT/apt.log)"; }
command -v psql >/dev/null || apt_install postgresql-client || true

# Secrets for this run only, in files only this user can read; never printed.
(
	umask 077
	printf 'sk_test_%s' "$(rand 32)" >"$TMP/stripe_secret_key"
	printf 'whsec_%s' "$(rand 32)" >"$TMP/stripe_webhook_secret"
)

MOCK_HTTP=$(freeport)
MOCK_HTTPS=$(freeport)
bin/stripe-mock -http-addr "127.0.0.1:$MOCK_HTTP" -https-addr "127.0.0.1:$MOCK_HTTPS" >"$OUT/stripe-mock.log" 2>&1 &
MOCK_PID=$!
pids+=("$MOCK_PID")
waitport "$MOCK_HTTP" "$MOCK_PID" || { echo "bench: stripe-mock did not start (see $OUT/stripe-mock.log)" >&2; exit 1; }

# serve NAME DATABASE_URL: start paywarden serve; sets SERVE_PID, SERVE_URL, ADMIN.
serve() {
	local name=$1 db=$2 port admin
	port=$(freeport)
	admin=$(freeport)
	PAYWARDEN_ENV=development \
		PAYWARDEN_TLS_TERMINATED_UPSTREAM=${PW_PLAIN:-false} \
		PAYWARDEN_DATABASE_URL=$db \
		PAYWARDEN_ADDR=127.0.0.1:$port \
		PAYWARDEN_ADMIN_ADDR=127.0.0.1:$admin \
		PAYWARDEN_STRIPE_API_BASE=http://127.0.0.1:$MOCK_HTTP \
		STRIPE_SECRET_KEY_FILE=$TMP/stripe_secret_key \
		STRIPE_WEBHOOK_SECRET_FILE=$TMP/stripe_webhook_secret \
		bin/paywarden serve >"$OUT/serve-$name.log" 2>&1 &
	SERVE_PID=$!
	pids+=("$SERVE_PID")
	if ! waitport "$port" "$SERVE_PID"; then
		echo "bench: paywarden serve ($name) did not start; its log:" >&2
		tail -5 "$OUT/serve-$name.log" >&2
		exit 1
	fi
	SERVE_URL=https://127.0.0.1:$port/webhooks/stripe
	[ "${PW_PLAIN:-false}" = true ] && SERVE_URL=http://127.0.0.1:$port/webhooks/stripe
	ADMIN=127.0.0.1:$admin
	CUR_ADMIN=$ADMIN
}

# scrape ADMIN FILE: save /metrics (bash /dev/tcp, so curl is not needed).
scrape() {
	local host=${1%:*} port=${1##*:}
	{
		exec 3<>"/dev/tcp/$host/$port" || return 0
		printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" >&3
		cat <&3
		exec 3<&-
	} >"$2" 2>/dev/null || true
}

# ---------------------------------------------------------------- 0. floor vs paywarden
# floor_vs http|tls: bench/floor, then paywarden (SQLite, workers running),
# on the same transport, c=16 and c=64, back to back, so that the ratio is
# taken under the same load of the shared machine.
floor_vs() {
	local tr=$1 fport scheme=http flags=() plain=true
	if [ "$tr" = tls ]; then scheme=https flags=(-tls) plain=false; fi
	fport=$(freeport)
	bin/floor -addr "127.0.0.1:$fport" -db "$TMP/floor-$tr.db" -secret-file "$TMP/stripe_webhook_secret" "${flags[@]}" >"$OUT/floor-$tr.log" 2>&1 &
	local fpid=$!
	pids+=("$fpid")
	waitport "$fport" "$fpid" || { note "floor ($tr) did not start (see $OUT/floor-$tr.log)"; return 0; }
	local furl=$scheme://127.0.0.1:$fport/webhooks/stripe
	bin/loadgen -url "$furl" -secret-file "$TMP/stripe_webhook_secret" -n 500 -c 8 -d 10s -label warmup >/dev/null 2>&1 || true
	load "floor/$tr" "$furl" 16 "$N16" "$fpid"
	load "floor/$tr" "$furl" 64 "$N64" "$fpid"
	stop "$fpid"
	PW_PLAIN=$plain serve "floor-$tr" "sqlite:$TMP/paywarden-floor-$tr.db"
	bin/loadgen -url "$SERVE_URL" -secret-file "$TMP/stripe_webhook_secret" -n 500 -c 8 -d 10s -label warmup >/dev/null 2>&1 || true
	load "paywarden/$tr" "$SERVE_URL" 16 "$N16" "$SERVE_PID" "$MOCK_PID"
	load "paywarden/$tr" "$SERVE_URL" 64 "$N64" "$SERVE_PID" "$MOCK_PID"
	stop "$SERVE_PID"
	CUR_ADMIN=""
}
if [ "${BENCH_FLOOR:-1}" != 0 ]; then
	say "0. bench/floor vs paywarden, SQLite, plain HTTP then TLS ($(loadavg))"
	floor_vs http
	floor_vs tls
fi

# ---------------------------------------------------------------- 0b. draining and priority
if [ "${BENCH_DRAIN:-1}" != 0 ]; then
	say "0b. draining a backlog, and the API under a backlog ($(loadavg))"
	bin/drain -mode drain >"$OUT/drain.txt" 2>&1 || note "bench/drain -mode drain failed (see $OUT/drain.txt)"
	bin/drain -mode priority >"$OUT/priority.txt" 2>&1 || note "bench/drain -mode priority failed (see $OUT/priority.txt)"
	bin/drain -mode priority -no-priority >"$OUT/priority-off.txt" 2>&1 || note "bench/drain -mode priority -no-priority failed (see $OUT/priority-off.txt)"
fi

# ---------------------------------------------------------------- 1. paywarden, SQLite
if [ "${BENCH_INGEST:-1}" != 0 ]; then
say "1a. paywarden serve, SQLite ($(loadavg))"
serve sqlite "sqlite:$TMP/paywarden-bench.db"
sweep paywarden/sqlite "$SERVE_URL" "$SERVE_PID" "$MOCK_PID"
workers paywarden/sqlite
scrape "$ADMIN" "$OUT/metrics-sqlite.txt"
if [ "${BENCH_PROFILE:-1}" != 0 ]; then
	say "    profiling the server for 10s during an extra c=64 run (not in the table)"
	bin/loadgen -url "$SERVE_URL" -secret-file "$TMP/stripe_webhook_secret" -n 200000 -c 64 -d 12s \
		-label paywarden/sqlite/profiled >"$OUT/profiled-run.txt" 2>&1 &
	LG=$!
	sleep 1
	PPROF_TMPDIR=$OUT "$GO" tool pprof -proto "http://$ADMIN/debug/pprof/profile?seconds=10" >"$OUT/cpu-sqlite.pprof" 2>"$OUT/pprof.err" || true
	wait "$LG" || true
	if [ -s "$OUT/cpu-sqlite.pprof" ]; then
		"$GO" tool pprof -top -nodecount=30 bin/paywarden "$OUT/cpu-sqlite.pprof" >"$OUT/cpu-sqlite-top.txt" 2>/dev/null || true
		"$GO" tool pprof -top -cum -nodecount=400 bin/paywarden "$OUT/cpu-sqlite.pprof" >"$OUT/cpu-sqlite-cum.txt" 2>/dev/null || true
	else
		note "profile: could not fetch http://$ADMIN/debug/pprof/profile (see $OUT/pprof.err)"
	fi
fi
stop "$SERVE_PID"
CUR_ADMIN=""

# ---------------------------------------------------------------- 1. paywarden, PostgreSQL
if [ "$PG_BASE" = none ]; then
	note "postgres: skipped (BENCH_PG_URL=none)"
elif ! command -v psql >/dev/null || ! psql "$PG_BASE" -qAtc 'select 1' >/dev/null 2>&1; then
	note "postgres: skipped ($PG_BASE is not reachable with psql)"
else
	say "1b. paywarden serve, PostgreSQL ($(loadavg))"
	pg_schema=bench_$(rand 12)
	psql "$PG_BASE" -v ON_ERROR_STOP=1 -qc "CREATE SCHEMA $pg_schema" >/dev/null
	case $PG_BASE in *\?*) PG_URL="$PG_BASE&search_path=$pg_schema" ;; *) PG_URL="$PG_BASE?sslmode=disable&search_path=$pg_schema" ;; esac
	PAYWARDEN_ENV=development PAYWARDEN_DATABASE_URL=$PG_URL bin/paywarden migrate >"$OUT/migrate-postgres.log" 2>&1 ||
		{ echo "bench: paywarden migrate failed:" >&2; tail -3 "$OUT/migrate-postgres.log" >&2; exit 1; }
	serve postgres "$PG_URL"
	sweep paywarden/postgres "$SERVE_URL" "$SERVE_PID" "$MOCK_PID"
	workers paywarden/postgres
	scrape "$ADMIN" "$OUT/metrics-postgres.txt"
	stop "$SERVE_PID"
	CUR_ADMIN=""
	psql "$PG_BASE" -v ON_ERROR_STOP=1 -qc "DROP SCHEMA $pg_schema CASCADE" >/dev/null 2>&1 && pg_schema=""
fi
fi # BENCH_INGEST

# ---------------------------------------------------------------- 2. the Flask baseline
if [ "$FLASK_OK" = 1 ] && [ "${BENCH_FLASK:-1}" != 0 ]; then
	say "2. Flask + stripe-python + SQLite under gunicorn: $FLASK_WORKERS workers x $FLASK_THREADS threads ($(loadavg))"
	FLASK_DB=$TMP/flask-bench.db
	WEBHOOK_SECRET_FILE=$TMP/stripe_webhook_secret BENCH_DB=$FLASK_DB /usr/bin/python3 bench/flask/app.py init
	FPORT=$(freeport)
	(
		cd bench/flask
		export WEBHOOK_SECRET_FILE=$TMP/stripe_webhook_secret BENCH_DB=$FLASK_DB
		exec /usr/bin/python3 /usr/bin/gunicorn --bind "127.0.0.1:$FPORT" --workers "$FLASK_WORKERS" \
			--worker-class gthread --threads "$FLASK_THREADS" --backlog 2048 --log-level warning app:app
	) >"$OUT/gunicorn.log" 2>&1 &
	FLASK_PID=$!
	pids+=("$FLASK_PID")
	if waitport "$FPORT" "$FLASK_PID"; then
		sweep flask/sqlite "http://127.0.0.1:$FPORT/webhooks/stripe" "$FLASK_PID"
		/usr/bin/python3 -c 'import stripe.version as v; print(v.VERSION)' >"$OUT/stripe-python-version.txt" 2>/dev/null || true
	else
		note "flask baseline: gunicorn did not start (see $OUT/gunicorn.log)"
	fi
	stop "$FLASK_PID"
fi
stop "$MOCK_PID"

# ---------------------------------------------------------------- 3. the API benchmark
if [ "${BENCH_API:-1}" != 0 ]; then
	say "3. internal API vs stripe-go direct ($(loadavg))"
	"$GO" run ./bench/api -n 500 >"$OUT/api.txt" 2>&1 || note "bench/api -n 500 failed (see $OUT/api.txt)"
	"$GO" run ./bench/api -stripe-latency 50ms -n 200 >"$OUT/api-50ms.txt" 2>&1 || note "bench/api -stripe-latency 50ms failed (see $OUT/api-50ms.txt)"
fi

# ---------------------------------------------------------------- 4. go test -bench
if [ "${BENCH_GOTEST:-1}" != 0 ]; then
	say "4. group-commit store benchmarks ($(loadavg))"
	"$GO" test -run=NONE -bench=. -benchtime=2s ./internal/sqlite/ >"$OUT/gotest-sqlite.txt" 2>&1 || note "go test -bench ./internal/sqlite/ failed"
	if [ "$PG_BASE" != none ] && psql "$PG_BASE" -qAtc 'select 1' >/dev/null 2>&1; then
		PAYWARDEN_TEST_POSTGRES_URL=$PG_BASE "$GO" test -run=NONE -bench=. -benchtime=2s ./internal/postgres/ >"$OUT/gotest-postgres.txt" 2>&1 ||
			note "go test -bench ./internal/postgres/ failed"
	fi
fi

# ---------------------------------------------------------------- 5. the audit benchmark
if [ "${BENCH_AUDIT:-1}" = 0 ]; then
	note "audit benchmark: skipped (BENCH_AUDIT=0)"
elif [ -x bench/audit/run.sh ]; then
	say "5. audit benchmark: bench/audit/run.sh ($(loadavg))"
	# Its own work directory (corpus, gitleaks), kept between runs, so that it
	# neither regenerates the corpus every time nor collides with someone
	# running bench/audit/run.sh by hand in its default /tmp/paywarden-bench.
	# Outside the repository: paywarden audit honours the enclosing .gitignore,
	# which ignores var/, and would scan nothing. One timed run per tool by
	# default, to keep make bench near ten minutes (docs/AUDIT.md uses more).
	BENCH_WORK=${BENCH_AUDIT_WORK:-/tmp/paywarden-bench-make} RUNS=${AUDIT_RUNS:-1} \
		bench/audit/run.sh >"$OUT/audit.txt" 2>"$OUT/audit.err" || note "bench/audit/run.sh failed (see $OUT/audit.err)"
else
	note "audit benchmark: skipped (bench/audit/run.sh is not there yet)"
fi
echo "loadavg_end=$(loadavg)" >>"$OUT/machine.txt"

# ---------------------------------------------------------------- report
{
	echo
	echo "paywarden make bench, $STAMP: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $($GO version | cut -d' ' -f3), kernel $(uname -r)"
	echo "load average at start $(sed -n 's/^loadavg_start=//p' "$OUT/machine.txt"), at end $(loadavg); raw outputs in ${OUT#"$ROOT"/}/"
	echo
	echo "Webhook ingestion (bench/loadgen: unique ~2.5 KB signed events, bounded by -n and -d $DUR; paywarden over TLS,"
	echo "Flask over plain HTTP). batch = mean events per commit. CPU in cores: srv = the server (paywarden, or all gunicorn"
	echo "processes), aux = stripe-mock (paywarden's workers re-fetch from it), lg = loadgen, mach = the whole machine"
	echo "($(nproc) = saturated). ev/core = events/s per core of srv: throughput corrected for what the shared machine gave it;"
	echo "vs Flask = events/s ratio, per core = ev/core ratio."
	echo
	awk -v n1="$N1" -v n16="$N16" -v n64="$N64" '
	/FAILED/ { printf "| %-18s | %s |\n", $1, $0; next }
	{
		label = $1; c = $2; sub("c=", "", c)
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^acked=/) { acked = substr($i, 7) }
			if ($i ~ /^failed=/) { failed = substr($i, 8) }
			if ($i == "events/s") { rate = $(i - 1) }
			if ($i ~ /^p50=/) { p50 = substr($i, 5) }
			if ($i ~ /^p99=/) { p99 = substr($i, 5) }
			if ($i ~ /^max=/) { mx = substr($i, 5) }
			if ($i ~ /^server_cpu=/) { scpu = substr($i, 12) }
			if ($i ~ /^aux_cpu=/) { acpu = substr($i, 9) }
			if ($i ~ /^loadgen_cpu=/) { lcpu = substr($i, 13) }
			if ($i ~ /^machine_cpu=/) { mcpu = substr($i, 13) }
			if ($i ~ /^batch=/) { batch = substr($i, 7) }
		}
		rates[label, c] = rate
		effs[label, c] = (scpu > 0) ? rate / scpu : 0
		eff = (scpu > 0) ? sprintf("%.0f", rate / scpu) : "-"
		rows[++nr] = sprintf("| %-18s | %3s | %6s | %6s | %8s | %8s | %8s | %8s | %5s | %5s | %5s | %5s | %5s | %7s |", label, c, acked, failed, rate, p50, p99, mx, batch, scpu, acpu, lcpu, mcpu, eff)
		lab[nr] = label; cc[nr] = c
	}
	END {
		print "| target             |   c |  acked | failed | events/s |      p50 |      p99 |      max | batch |   srv |   aux |    lg |  mach | ev/core | vs Flask | per core |"
		print "|--------------------|-----|--------|--------|----------|----------|----------|----------|-------|-------|-------|-------|-------|---------|----------|----------|"
		for (i = 1; i <= nr; i++) {
			f = rates["flask/sqlite", cc[i]]
			r = (f > 0 && lab[i] != "flask/sqlite") ? sprintf("%7.1fx", rates[lab[i], cc[i]] / f) : "        "
			g = effs["flask/sqlite", cc[i]]
			e = (g > 0 && lab[i] != "flask/sqlite") ? sprintf("%7.1fx", effs[lab[i], cc[i]] / g) : "        "
			printf "%s %s | %s |\n", rows[i], r, e
		}
	}' "$RESULTS"
	if grep -q '^floor/' "$RESULTS"; then
		echo
		echo "paywarden vs bench/floor (SQLite synchronous=FULL group commit; same loadgen, back to back; rss = peak RSS in MiB):"
		echo "| transport |  c | floor ev/s | paywarden ev/s | ratio | floor p99 | paywarden p99 | floor ev/core | paywarden ev/core | per core | paywarden rss |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		awk '
		/FAILED/ { next }
		$1 ~ /^(floor|paywarden)\/(http|tls)$/ {
			split($1, lt, "/"); c = $2; sub("c=", "", c)
			for (i = 1; i <= NF; i++) {
				if ($i == "events/s") rate = $(i - 1)
				if ($i ~ /^p99=/) p99 = substr($i, 5)
				if ($i ~ /^server_cpu=/) cpu = substr($i, 12)
				if ($i ~ /^rss_peak_mib=/) rss = substr($i, 14)
			}
			k = lt[2] SUBSEP c
			R[lt[1], k] = rate; P[lt[1], k] = p99; C[lt[1], k] = cpu; S[lt[1], k] = rss
			if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		}
		END {
			for (j = 1; j <= n; j++) {
				k = order[j]; split(k, kk, SUBSEP)
				fr = R["floor", k]; pr = R["paywarden", k]
				fe = (C["floor", k] > 0) ? fr / C["floor", k] : 0
				pe = (C["paywarden", k] > 0) ? pr / C["paywarden", k] : 0
				printf "| %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %s | %s |\n", kk[1], kk[2], fr, pr,
					(fr > 0 ? sprintf("**%.2fx**", pr / fr) : "-"), P["floor", k], P["paywarden", k], fe, pe,
					(fe > 0 ? sprintf("%.2fx", pe / fe) : "-"), S["paywarden", k]
			}
		}' "$RESULTS"
	fi
	for f in drain priority priority-off; do
		[ -s "$OUT/$f.txt" ] || continue
		echo
		sed 's/^/  /' "$OUT/$f.txt"
	done
	if [ -s "$OUT/workers.txt" ]; then
		echo
		echo "Event processing behind the receiver (workers claim, re-fetch from stripe-mock, mirror, mark processed):"
		sed 's/^/  /' "$OUT/workers.txt"
	fi
	if [ -s "$OUT/cpu-sqlite-top.txt" ]; then
		echo
		echo "CPU profile of paywarden serve (SQLite, extra c=64 run, 10s; ${OUT#"$ROOT"/}/cpu-sqlite.pprof), cumulative:"
		sed -n '/flat%/p' "$OUT/cpu-sqlite-cum.txt"
		grep -E 'paywarden/internal/(webhook|groupcommit|eventproc|sqlite)\.|net/http\.\(\*conn\)\.serve$|crypto/tls\.\(\*Conn\)\.(Read|Write)$|libc\.X(pread|pwrite|fsync)$|runtime\.(mallocgc|gcBgMarkWorker)$' \
			"$OUT/cpu-sqlite-cum.txt" | grep -v 'Run.func\|ProcessBatch$' | head -14
		echo "(profiled run: $(sed 's/  */ /g' "$OUT/profiled-run.txt"))"
	fi
	for f in api api-50ms; do
		[ -s "$OUT/$f.txt" ] || continue
		echo
		case $f in api) echo "Internal API vs stripe-go direct (go run ./bench/api -n 500):" ;; *) echo "Internal API vs stripe-go direct, 50 ms added to every Stripe call (go run ./bench/api -stripe-latency 50ms -n 200):" ;; esac
		grep -v '^[[:space:]]*$' "$OUT/$f.txt" | grep -v '^20[0-9][0-9]/' || true
	done
	for f in sqlite postgres; do
		[ -s "$OUT/gotest-$f.txt" ] || continue
		echo
		echo "go test -run=NONE -bench=. -benchtime=2s ./internal/$f/:"
		grep -E '^(Benchmark|cpu:|ok|FAIL|---)' "$OUT/gotest-$f.txt" || tail -5 "$OUT/gotest-$f.txt"
	done
	if [ -s "$OUT/audit.txt" ]; then
		echo
		echo "Audit benchmark (bench/audit/run.sh, RUNS=${AUDIT_RUNS:-1}):"
		grep -v '^[[:space:]]*$' "$OUT/audit.txt"
	fi
	if [ -s "$NOTES" ]; then
		echo
		echo "Notes:"
		sed 's/^/  - /' "$NOTES"
	fi
} | tee "$OUT/report.txt"
