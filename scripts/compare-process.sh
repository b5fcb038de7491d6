#!/usr/bin/env bash
# compare-process.sh: the same run with its embedded target in a process of
# its own (the default) and inside the load generator (--in-process), taking
# turns in one script run, so that both see the same machine:
#
#   open loop    run rest|grpc --rate RATE --duration DURATION
#                achieved rate, unsent operations, response p50 and p99
#   closed loop  run rest|grpc --rate 0 (10 workers, the default)
#                the rate reached
#
# The medians of ROUNDS rounds are printed, with the load average before and
# after: on a shared machine that is the noise to read them against.
#
# Not run in CI. Needs Go and jq.
#
# Usage: scripts/compare-process.sh [path/to/commsbench]
# (default: $COMMSBENCH, else built from this tree). Settings come from the
# environment:
#
#   ROUNDS=3  RATE=20000  DURATION=5s  TRANSPORTS="rest grpc"
set -euo pipefail

ROUNDS=${ROUNDS:-3}
RATE=${RATE:-20000}
DURATION=${DURATION:-5s}
TRANSPORTS=${TRANSPORTS:-rest grpc}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log() { printf '%s\n' "$*" >&2; }

command -v jq >/dev/null || { log "jq is needed: apt-get install jq"; exit 1; }

bin=${1:-${COMMSBENCH:-}}
if [ -z "$bin" ]; then
	log "building commsbench"
	(cd "$root" && go build -o "$work/commsbench" ./cmd/commsbench)
	bin=$work/commsbench
fi

# one NAME ARGS…: runs commsbench and appends the figures of its result to
# $work/NAME.tsv: achieved/s, unsent, p50 ms, p99 ms, process.
one() {
	local name=$1
	shift
	rm -f "$work/r.json"
	if ! timeout 120 "$bin" run "$@" -o "$work/r.json" -q 2>"$work/err"; then
		log "  $name: failed: $(tail -n 3 "$work/err")"
		return 0
	fi
	jq -r '[.throughput.ops_per_s, (.counts.unsent // 0),
		(.latency.response.p50 / 1e6), (.latency.response.p99 / 1e6), (.target.process // "-")] | @tsv' \
		"$work/r.json" >>"$work/$name.tsv"
	log "  $(printf '%-22s' "$name") $(tail -n 1 "$work/$name.tsv" |
		awk -F'\t' '{ printf "%9.0f/s unsent %7d p50 %8.2f ms p99 %8.2f ms (%s)", $1, $2, $3, $4, $5 }')"
}

# med NAME COLUMN: the median of a column of NAME's figures.
med() {
	[ -s "$work/$1.tsv" ] || { echo "n/a"; return; }
	cut -f "$2" "$work/$1.tsv" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average: $load_before"
for i in $(seq 1 "$ROUNDS"); do
	log "round $i of $ROUNDS"
	for t in $TRANSPORTS; do
		one "$t-open-child" "$t" --rate "$RATE" --duration "$DURATION"
		one "$t-open-in-process" "$t" --rate "$RATE" --duration "$DURATION" --in-process
		one "$t-closed-child" "$t" --rate 0 --duration "$DURATION"
		one "$t-closed-in-process" "$t" --rate 0 --duration "$DURATION" --in-process
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

printf '\nmedians of %s rounds; open loop at %s/s for %s, closed loop 10 workers; load average %s before, %s after\n\n' \
	"$ROUNDS" "$RATE" "$DURATION" "$load_before" "$load_after"
printf '%-6s %-8s %-11s %12s %9s %10s %10s\n' "" "loop" "target" "achieved/s" "unsent" "p50 ms" "p99 ms"
for t in $TRANSPORTS; do
	for loop in open closed; do
		for where in child in-process; do
			n="$t-$loop-$where"
			printf '%-6s %-8s %-11s %12.0f %9.0f %10.2f %10.2f\n' "$t" "$loop" "$where" \
				"$(med "$n" 1)" "$(med "$n" 2)" "$(med "$n" 3)" "$(med "$n" 4)" 2>/dev/null ||
				printf '%-6s %-8s %-11s %12s\n' "$t" "$loop" "$where" "n/a"
		done
	done
done
