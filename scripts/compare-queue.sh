#!/usr/bin/env bash
# compare-queue.sh: commsbench's queue transport on a local RabbitMQ, under
# the settings of the reference figures that RabbitMQ's own Go load tool
# (omq) measured on this kind of machine:
#
#   one producer, one consumer, 1000-byte messages, publisher confirms,
#   closed loop with 100 messages in flight   -> omq: 24.6k msg/s, e2e p99 ~19 ms
#   the same with 1 message in flight         -> omq:  5.2k msg/s
#
# Goal: at least the same throughput with a lower end-to-end p99.
#
# Each setting runs REPEATS times, taking turns, and the medians are
# printed: the broker and commsbench share the machine's cores with
# whatever else runs, so single runs mislead. omq itself is not run here;
# its figures are the reference quoted above.
#
# Not run in CI. Needs Go, jq and a RabbitMQ on COMMSBENCH_AMQP_URL (default
# the local guest account); start one with 'rabbitmq-server -detached'.
# Settings come from the environment:
#
#   DURATION=10s  WARMUP=2s  REPEATS=5  PREFETCH=500
#   COMMSBENCH=path/to/binary   (default: built from this tree)
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
REPEATS=${REPEATS:-5}
PREFETCH=${PREFETCH:-500}

# Reference figures (omq, same settings, same kind of machine).
REF_MSGS_100=24600
REF_P99_MS_100=19
REF_MSGS_1=5200

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log() { printf '%s\n' "$*" >&2; }

command -v jq >/dev/null || { log "jq is needed: apt-get install jq"; exit 1; }

bin=${COMMSBENCH:-}
if [ -z "$bin" ]; then
	log "building commsbench"
	(cd "$root" && go build -o "$work/commsbench" ./cmd/commsbench)
	bin="$work/commsbench"
fi

# median of the numbers on stdin; "n/a" if there are none.
median() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 }
	}'
}

# run INFLIGHT I: one measurement, its result in $work/q-INFLIGHT-I.json.
run() {
	local out="$work/q-$1-$2.json"
	# The run ends by itself after WARMUP + DURATION and a drain of at most
	# 10s; timeout only bounds a stuck broker.
	if ! timeout 120 "$bin" run queue --producers 1 --consumers 1 --payload-size 1000 \
		--rate 0 --inflight "$1" --prefetch "$PREFETCH" \
		--duration "$DURATION" --warmup "$WARMUP" --quiet --out "$out"; then
		log "run with $1 in flight failed"
		rm -f "$out"
	fi
}

for i in $(seq 1 "$REPEATS"); do
	for inflight in 100 1; do
		log "run $i of $REPEATS, $inflight in flight"
		run "$inflight" "$i"
	done
done

# field INFLIGHT JQ-EXPRESSION: one value per run.
field() {
	local f
	for f in "$work"/q-"$1"-*.json; do
		[ -e "$f" ] && jq -r "$2" "$f"
	done
}

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
printf '\ncommsbench run queue, 1 producer, 1 consumer, 1000 B, confirms, closed loop, %s x %s (medians; load average at the end: %s)\n' "$REPEATS" "$DURATION" "$load"
printf '%-10s %12s %12s %10s %10s %10s %10s %8s\n' "in flight" "published/s" "consumed/s" "e2e p50" "e2e p99" "pub p50" "pub p99" "lost"
for inflight in 100 1; do
	pub=$(field "$inflight" '.throughput.published_per_s' | median)
	con=$(field "$inflight" '.throughput.consumed_per_s' | median)
	e50=$(field "$inflight" '.latency.end_to_end.p50 / 1e6' | median)
	e99=$(field "$inflight" '.latency.end_to_end.p99 / 1e6' | median)
	p50=$(field "$inflight" '.latency.publish.p50 / 1e6' | median)
	p99=$(field "$inflight" '.latency.publish.p99 / 1e6' | median)
	lost=$(field "$inflight" '.counts.lost + .counts.outstanding + .counts.duplicates' | awk '{s += $1} END {print s + 0}')
	printf '%-10s %12.0f %12.0f %8.2fms %8.2fms %8.2fms %8.2fms %8s\n' "$inflight" "$pub" "$con" "$e50" "$e99" "$p50" "$p99" "$lost"
	printf '           each run: %s msg/s\n' "$(field "$inflight" '.throughput.published_per_s | floor' | tr '\n' ' ')"
	if [ "$inflight" = 100 ]; then
		awk -v c="$con" -v r="$REF_MSGS_100" -v p="$e99" -v rp="$REF_P99_MS_100" 'BEGIN {
			printf "           vs omq (%d msg/s, e2e p99 %d ms): %.2fx the throughput, e2e p99 %.2fx\n", r, rp, c / r, p / rp }'
	else
		awk -v c="$con" -v r="$REF_MSGS_1" 'BEGIN {
			printf "           vs omq (%d msg/s): %.2fx the throughput\n", r, c / r }'
	fi
done
