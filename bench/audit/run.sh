#!/usr/bin/env bash
# Benchmark of paywarden audit against gitleaks on a generated corpus of
# real source trees (>= 200 MiB) with fake Stripe keys planted at known
# places. Prints a Markdown table: speed, and how many planted keys each
# tool finds, misses, and how many placeholders it wrongly reports.
#
#   bench/audit/run.sh            # from the repository root
#   CORPUS_MB=300 RUNS=5 bench/audit/run.sh
#
# Nothing is installed into the project: gitleaks goes to a scratch GOBIN
# under /tmp, the corpus to /tmp.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=${BENCH_WORK:-/tmp/paywarden-bench}
CORPUS=$WORK/corpus
CORPUS_MB=${CORPUS_MB:-220}
RUNS=${RUNS:-3}
GITLEAKS_VERSION=v8.30.1
mkdir -p "$WORK/bin"

echo "== building paywarden" >&2
go build -o "$WORK/bin/paywarden" ./cmd/paywarden

if [ ! -x "$WORK/bin/gitleaks" ]; then
	echo "== installing gitleaks $GITLEAKS_VERSION into $WORK/bin" >&2
	GOBIN=$WORK/bin go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"
fi

if [ ! -d "$CORPUS" ]; then
	echo "== generating a ${CORPUS_MB} MiB corpus in $CORPUS" >&2
	GOROOT_SRC=$(go env GOROOT)/src
	MODCACHE=$(go env GOMODCACHE)
	srcs=("gostd=$GOROOT_SRC:70" "gomod=$MODCACHE:70")
	for py in /usr/lib/python3*/ /root/.pyenv/versions/3.11*/lib/python3.11/ /usr/local/lib/python3*/; do
		[ -d "$py" ] && { srcs+=("python=$py:70"); break; }
	done
	for py2 in /root/.pyenv/versions/2.7*/lib/python2.7/ /usr/lib/python2.7/; do
		[ -d "$py2" ] && { srcs+=("python2=$py2:10"); break; }
	done
	for js in /usr/lib/node_modules /usr/share/nodejs /usr/local/lib/node_modules; do
		[ -d "$js" ] && { srcs+=("node=$js:40"); break; }
	done
	srcs+=("more=$MODCACHE")
	go run ./bench/audit/gencorpus -o "$CORPUS" -mb "$CORPUS_MB" "${srcs[@]}" >&2
fi
TRUTH=$WORK/corpus.truth.json

FILES=$(find "$CORPUS" -type f | wc -l)
BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
MIB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')

# --include-vendored: the corpus holds Go module cache folders (module@version),
# which paywarden skips by default; both tools must read the same files.
PW_SECRETS=("$WORK/bin/paywarden" audit --no-config --include-vendored --rules secrets --format json --fail-on critical "$CORPUS")
PW_ALL=("$WORK/bin/paywarden" audit --no-config --include-vendored --format json --fail-on critical "$CORPUS")
GL=("$WORK/bin/gitleaks" dir "$CORPUS" --no-banner --log-level error --report-format json --report-path "$WORK/gitleaks.json" --exit-code 0)

# Warm the page cache so that every tool reads from memory.
cat $(find "$CORPUS" -type f | head -100000) > /dev/null 2>&1 || true

# time_runs NAME CMD...: the median wall time of $RUNS runs, in seconds.
time_runs() {
	local name=$1
	shift
	local times=()
	for _ in $(seq "$RUNS"); do
		local t0 t1
		t0=$(date +%s.%N)
		"$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || [ $? -le 1 ]
		t1=$(date +%s.%N)
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

echo "== timing ($RUNS runs each, median)" >&2
T_PWS=$(time_runs paywarden-secrets "${PW_SECRETS[@]}")
cp "$WORK/paywarden-secrets.out" "$WORK/paywarden-secrets.json"
T_PWA=$(time_runs paywarden-all "${PW_ALL[@]}")
cp "$WORK/paywarden-all.out" "$WORK/paywarden-all.json"
T_GL=$(time_runs gitleaks "${GL[@]}")

SCORE_PWS=$(go run ./bench/audit/score -truth "$TRUTH" -corpus "$CORPUS" -paywarden "$WORK/paywarden-secrets.json")
SCORE_PWA=$(go run ./bench/audit/score -truth "$TRUTH" -corpus "$CORPUS" -paywarden "$WORK/paywarden-all.json")
SCORE_GL=$(go run ./bench/audit/score -truth "$TRUTH" -corpus "$CORPUS" -gitleaks "$WORK/gitleaks.json")
PLANTED=$(grep -c '"real": true' "$TRUTH")
HOLDERS=$(grep -c '"real": false' "$TRUTH")

row() { # NAME SECONDS SCORE-LINE
	awk -v name="$1" -v t="$2" -v mib="$MIB" -v files="$FILES" -v s="$3" 'BEGIN {
		split(s, f, "\t")
		printf "| %s | %.2f | %.1f | %.0f | %d | %d | %d | %d | %d | %d |\n", name, t, mib / t, files / t, f[2], f[3], f[4], f[5], f[6], f[7]
	}'
}

CORES=$(nproc)
echo
echo "Corpus: $FILES files, $MIB MiB ($PLANTED fake keys and $HOLDERS placeholders planted), $CORES cores, median of $RUNS runs, warm page cache."
echo
echo "| tool | seconds | MiB/s | files/s | Stripe findings | planted keys found | placeholders reported | planted keys missed | Stripe findings elsewhere | documentation key at low |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row "paywarden audit --rules secrets" "$T_PWS" "$SCORE_PWS"
row "paywarden audit (all rules)" "$T_PWA" "$SCORE_PWA"
row "gitleaks $GITLEAKS_VERSION dir" "$T_GL" "$SCORE_GL"

# A real tree: the Go module cache of this project, as it is (vendored
# code included, since that is all it holds). The summary says how many
# files mention Stripe and were parsed into syntax trees.
MODCACHE=$(go env GOMODCACHE)
if [ -d "$MODCACHE" ] && [ "${REAL_TREE:-1}" = 1 ]; then
	echo "== timing the Go module cache $MODCACHE ($RUNS runs, median)" >&2
	cat $(find "$MODCACHE" -type f -size -1M | head -100000) > /dev/null 2>&1 || true
	T_MC=$(time_runs modcache "$WORK/bin/paywarden" audit --no-config --include-vendored --format json --fail-on critical "$MODCACHE")
	read -r MC_FILES MC_PARSED MC_BYTES MC_FINDINGS < <(go run ./bench/audit/summary "$WORK/modcache.out")
	echo
	echo "Real tree: \`go env GOMODCACHE\` ($MODCACHE), all rules, --include-vendored, median of $RUNS runs."
	echo
	echo "| tree | seconds | files scanned | MiB | files parsed as syntax trees | findings |"
	echo "|---|---|---|---|---|---|"
	awk -v t="$T_MC" -v f="$MC_FILES" -v p="$MC_PARSED" -v b="$MC_BYTES" -v n="$MC_FINDINGS" 'BEGIN { printf "| Go module cache | %.2f | %d | %.1f | %d | %d |\n", t, f, b / 1048576, p, n }'
fi
