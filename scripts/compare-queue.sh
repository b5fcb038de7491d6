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
# omq cannot be installed everywhere, so the same-machine control is
# scripts/amqp-baseline: the plainest client of the same AMQP library (one
# publishing goroutine, confirms, one consumer acking each message). It
# takes turns with commsbench, REPEATS times per setting, and the medians
# are printed: the broker and both clients share the machine's cores with
# whatever else runs, so single runs mislead, and a commsbench figure near
# the control's is the machine's limit, not commsbench's.
#
# Not run in CI. Needs Go, jq and a RabbitMQ on COMMSBENCH_AMQP_URL (default
# the local guest account); start one with 'rabbitmq-server -detached'.
# Settings come from the environment:
#
#   DURATION=10  WARMUP=2  REPEATS=5  PREFETCH=500  (seconds)
#   COMMSBENCH=path/to/binary   (default: built from this tree)
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REPEATS=${REPEATS:-5}
PREFETCH=${PREFETCH:-500}
URL=${COMMSBENCH_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}

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
log "building the control client"
(cd "$root" && go build -o "$work/amqp-baseline" ./scripts/amqp-baseline)

# median of the numbers on stdin; "n/a" if there are none.
median() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 }
	}'
}

# Each run ends by itself; timeout only bounds a stuck broker.
BOUND=$((WARMUP + DURATION + 60))

# commsbench INFLIGHT I: one measurement into $work/cb-INFLIGHT-I.json.
commsbench() {
	if ! COMMSBENCH_AMQP_URL="$URL" timeout "$BOUND" "$bin" run queue --producers 1 --consumers 1 \
		--payload-size 1000 --rate 0 --inflight "$1" --prefetch "$PREFETCH" \
		--duration "${DURATION}s" --warmup "${WARMUP}s" --quiet --out "$work/cb-$1-$2.json"; then
		log "commsbench with $1 in flight failed"
		rm -f "$work/cb-$1-$2.json"
	fi
}

# baseline INFLIGHT I: one control measurement into $work/bl-INFLIGHT-I.json.
# It has no warm-up of its own: it publishes for WARMUP + DURATION.
baseline() {
	if ! timeout "$BOUND" "$work/amqp-baseline" -url "$URL" -inflight "$1" -prefetch "$PREFETCH" \
		-payload 1000 -duration "$((WARMUP + DURATION))s" >"$work/bl-$1-$2.json"; then
		log "the control client with $1 in flight failed"
		rm -f "$work/bl-$1-$2.json"
	fi
}

for i in $(seq 1 "$REPEATS"); do
	for inflight in 100 1; do
		log "round $i of $REPEATS, $inflight in flight"
		baseline "$inflight" "$i"
		commsbench "$inflight" "$i"
	done
done

# values PREFIX INFLIGHT JQ-EXPRESSION: one value per run.
values() {
	local f
	for f in "$work/$1-$2"-*.json; do
		[ -e "$f" ] && jq -r "$3" "$f"
	done
	return 0
}

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
printf '\n1 producer, 1 consumer, 1000 B, confirms, closed loop, %s rounds of %ss (medians; load average at the end: %s)\n' "$REPEATS" "$DURATION" "$load"
printf '%-26s %12s %12s %10s %10s %8s\n' "" "published/s" "consumed/s" "e2e p50" "e2e p99" "lost"
for inflight in 100 1; do
	cpub=$(values cb "$inflight" '.throughput.published_per_s' | median)
	ccon=$(values cb "$inflight" '.throughput.consumed_per_s' | median)
	c50=$(values cb "$inflight" '.latency.end_to_end.p50 / 1e6' | median)
	c99=$(values cb "$inflight" '.latency.end_to_end.p99 / 1e6' | median)
	lost=$(values cb "$inflight" '.counts.lost + .counts.outstanding + .counts.duplicates' | awk '{s += $1} END {print s + 0}')
	bpub=$(values bl "$inflight" '.published_per_s' | median)
	bcon=$(values bl "$inflight" '.consumed_per_s' | median)
	b50=$(values bl "$inflight" '.e2e_p50_ms' | median)
	b99=$(values bl "$inflight" '.e2e_p99_ms' | median)
	printf '%-26s %12.0f %12.0f %8.2fms %8.2fms %8s\n' "commsbench, $inflight in flight" "$cpub" "$ccon" "$c50" "$c99" "$lost"
	printf '%-26s %12.0f %12.0f %8.2fms %8.2fms\n' "control, $inflight in flight" "$bpub" "$bcon" "$b50" "$b99"
	printf '    commsbench runs: %s msg/s\n' "$(values cb "$inflight" '.throughput.consumed_per_s | floor' | tr '\n' ' ')"
	printf '    control runs:    %s msg/s\n' "$(values bl "$inflight" '.consumed_per_s | floor' | tr '\n' ' ')"
	if [ "$inflight" = 100 ]; then
		awk -v c="$ccon" -v b="$bcon" -v r="$REF_MSGS_100" -v p="$c99" -v rp="$REF_P99_MS_100" 'BEGIN {
			printf "    commsbench/control %.2fx; vs omq'"'"'s %d msg/s and e2e p99 %d ms: %.2fx the throughput, %.2fx the p99\n", c / b, r, rp, c / r, p / rp }'
	else
		awk -v c="$ccon" -v b="$bcon" -v r="$REF_MSGS_1" 'BEGIN {
			printf "    commsbench/control %.2fx; vs omq'"'"'s %d msg/s: %.2fx the throughput\n", c / b, r, c / r }'
	fi
done
