#!/usr/bin/env bash
# bench-event.sh: the event transport on the embedded broker (kfake), two
# figures:
#
#   ceiling  closed loop, one consumer group, 256-byte events: the most
#            events per second produced and consumed, at several numbers of
#            events in flight (--concurrency).     goal: >= 300k events/s
#   paced    open loop at 10k events/s, one group: end-to-end latency.
#                                                   goal: p50 <= 1.5 ms
#
# For reference, a probe on this kind of machine reached 254-272k events/s
# with kafka-go's Writer and 0.6-0.9M with franz-go's own client against
# the same broker, and a 10k/s end-to-end p50/p99 of 1.3-1.45 ms /
# 3.2-4.6 ms with the Writer's batch timeout at 1 ms.
#
# Producer, broker and consumers all run in the one commsbench process, so
# the figures are what the machine's cores give the three together. Each
# setting runs REPEATS times, taking turns, and the medians are printed:
# other work on the machine makes single runs mislead.
#
# Not run in CI. Needs Go and jq. Settings come from the environment:
#
#   DURATION=10s  WARMUP=2s  REPEATS=5  WORKERS="256 512 1024"  RATE=10000
#   LINGERS="0 1ms"   (--batch-timeout values for the paced runs)
#   COMMSBENCH=path/to/binary   (default: built from this tree)
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
REPEATS=${REPEATS:-5}
WORKERS=${WORKERS:-256 512 1024}
RATE=${RATE:-10000}
LINGERS=${LINGERS:-0 1ms}

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

# figure FILES... JQ: the jq expression's value in each file, one a line.
figure() {
	local expr=${*: -1}
	for f in "${@:1:$#-1}"; do
		[ -s "$f" ] && jq -r "$expr" "$f"
	done
}

log "ceiling: closed loop, 1 group, 6 partitions, 256 B, $DURATION after $WARMUP warm-up, $REPEATS runs each"
for i in $(seq "$REPEATS"); do
	for w in $WORKERS; do
		"$bin" run event --rate 0 --concurrency "$w" --duration "$DURATION" --warmup "$WARMUP" \
			--payload-size 256 --quiet --out "$work/ceiling-$w-$i.json" ||
			log "run failed: ceiling, $w workers, run $i"
	done
	for l in $LINGERS; do
		"$bin" run event --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
			--payload-size 256 --batch-timeout "$l" --quiet --out "$work/paced-$l-$i.json" ||
			log "run failed: paced, linger $l, run $i"
	done
done

printf '\n%-28s %12s %12s %10s %12s %12s\n' "ceiling (medians)" "produced/s" "consumed/s" "CPU/event" "e2e p50" "e2e p99"
for w in $WORKERS; do
	files=("$work"/ceiling-"$w"-*.json)
	printf '%-28s %12.0f %12.0f %8.2fµs %10.2fms %10.2fms\n' "$w workers" \
		"$(figure "${files[@]}" '.throughput.published_per_s' | median)" \
		"$(figure "${files[@]}" '.throughput.consumed_per_s' | median)" \
		"$(figure "${files[@]}" '.resources.cpu_per_op_us // 0' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p50 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p99 / 1e6' | median)"
done

printf '\n%-28s %12s %12s %12s %12s %12s\n' "paced $RATE/s (medians)" "achieved/s" "e2e p50" "e2e p99" "publish p50" "publish p99"
for l in $LINGERS; do
	files=("$work"/paced-"$l"-*.json)
	printf '%-28s %12.0f %10.3fms %10.3fms %10.3fms %10.3fms\n' "--batch-timeout $l" \
		"$(figure "${files[@]}" '.throughput.ops_per_s' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p50 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p99 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.publish.p50 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.publish.p99 / 1e6' | median)"
done

lost=$(figure "$work"/*.json '.counts.lost + .counts.duplicates' | awk '{s += $1} END {print s + 0}')
if [ "$lost" != 0 ]; then
	log "warning: $lost events lost or duplicated over all runs; see the result files"
fi
printf '\nMachine: %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
