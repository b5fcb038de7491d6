#!/usr/bin/env bash
# bench-event.sh: the event transport on the embedded broker (kfake), three
# figures, each the median of REPEATS runs:
#
#   ceiling  closed loop, one consumer group, 256-byte events: the most
#            events per second produced and consumed, at several numbers of
#            events in flight (--concurrency).     goal: >= 300k events/s
#   paced    open loop at RATE (10k) events/s, one group: end-to-end
#            latency.                              goal: p50 <= 1.5 ms, p99 <= 10 ms
#   memory   the peak resident memory of the commsbench process (VmHWM in
#            /proc/PID/status) in each of those runs.
#
#   scripts/bench-event.sh          the three figures
#   scripts/bench-event.sh soak     one paced run of SOAK (10m) at RATE, its
#                                   resident memory every SAMPLE seconds and
#                                   its peak.            goal: < 200 MB
#
# Producer, broker and consumers all run in the one commsbench process, so
# the figures are what the machine's cores give the three together. The
# settings take turns, REPEATS times, and the medians are printed: other
# work on the machine makes single runs mislead. The load average is
# printed with the figures; compare figures measured on the same machine,
# at the same load.
#
# Not run in CI. Needs Go and jq. Settings come from the environment:
#
#   DURATION=10s  WARMUP=2s  REPEATS=3  WORKERS="256 512 1024"  RATE=10000
#   LINGERS="0"   (--batch-timeout values for the paced runs)
#   SOAK=10m  SAMPLE=5   (soak: duration, seconds between memory samples)
#   COMMSBENCH=path/to/binary   (default: built from this tree)
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
REPEATS=${REPEATS:-3}
WORKERS=${WORKERS:-256 512 1024}
RATE=${RATE:-10000}
LINGERS=${LINGERS:-0}
SOAK=${SOAK:-10m}
SAMPLE=${SAMPLE:-5}
mode=${1:-bench}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log() { printf '%s\n' "$*" >&2; }

command -v jq >/dev/null || { log "jq is needed: apt-get install jq"; exit 1; }
case $mode in bench | soak) ;; *) log "usage: $0 [soak]"; exit 2 ;; esac

bin=${COMMSBENCH:-}
if [ -z "$bin" ]; then
	log "building commsbench"
	(cd "$root" && go build -o "$work/commsbench" ./cmd/commsbench)
	bin="$work/commsbench"
fi

# median of the numbers on stdin; "nan" if there are none (a run that
# failed, or measured nothing).
median() {
	grep -E '^-?[0-9.]+(e[-+]?[0-9]+)?$' | sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 }
	}'
}

# figure FILES... JQ: the jq expression's value in each file, one a line.
figure() {
	local expr=${*: -1}
	for f in "${@:1:$#-1}"; do
		[ -s "$f" ] && jq -r "$expr" "$f" 2>/dev/null
	done
	return 0
}

# kB FIELD PID: a memory field of /proc/PID/status in kB, empty once gone.
kB() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$2/status" 2>/dev/null || true; }

# measure NAME ARGS...: runs commsbench with ARGS, writing NAME.json, and
# NAME.rss: the peak resident memory in kB (VmHWM, read until it exits);
# with EVERY set, NAME.rss.log gets "seconds VmRSS VmHWM" every EVERY s.
measure() {
	local name=$1
	shift
	"$bin" "$@" --quiet --out "$work/$name.json" &
	local pid=$! peak=0 t0=$SECONDS last=-1 v rss
	while kill -0 "$pid" 2>/dev/null; do
		v=$(kB VmHWM "$pid")
		[ -n "$v" ] && peak=$v
		if [ -n "${EVERY:-}" ] && [ $((SECONDS - t0)) -ge $((last + EVERY)) ]; then
			last=$((SECONDS - t0))
			rss=$(kB VmRSS "$pid")
			[ -n "$rss" ] && printf '%d %d %d\n' "$last" "$rss" "$v" | tee -a "$work/$name.rss.log" >&2
		fi
		sleep 0.2
	done
	wait "$pid" || log "run failed: $name"
	echo "$peak" >"$work/$name.rss"
}

machine() {
	printf 'Machine: %s, %s cores, load average %s (at the end)\n' \
		"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

if [ "$mode" = soak ]; then
	log "soak: $SOAK at $RATE events/s, 1 group, 256 B; resident memory every ${SAMPLE}s (seconds, VmRSS kB, VmHWM kB)"
	EVERY=$SAMPLE measure soak run event --rate "$RATE" --duration "$SOAK" --payload-size 256
	f="$work/soak.json"
	printf '\nsoak %s at %s/s: peak resident %.0f MB; achieved %.0f/s; e2e p50 %.3fms p99 %.3fms; lost %s, duplicates %s\n' \
		"$SOAK" "$RATE" "$(($(cat "$work/soak.rss") / 1024))" \
		"$(figure "$f" '.throughput.ops_per_s')" "$(figure "$f" '.latency.end_to_end.p50 / 1e6')" \
		"$(figure "$f" '.latency.end_to_end.p99 / 1e6')" "$(figure "$f" '.counts.lost')" "$(figure "$f" '.counts.duplicates')"
	# The first sample of each minute.
	awk 'int($1 / 60) != m || NR == 1 {m = int($1 / 60); printf "  %4ds  RSS %4d MB  peak %4d MB\n", $1, $2 / 1024, $3 / 1024}' "$work/soak.rss.log"
	machine
	exit 0
fi

log "ceiling: closed loop, 1 group, 6 partitions, 256 B, $DURATION after $WARMUP warm-up; paced: $RATE/s; $REPEATS runs each"
for i in $(seq "$REPEATS"); do
	for w in $WORKERS; do
		measure "ceiling-$w-$i" run event --rate 0 --concurrency "$w" --duration "$DURATION" --warmup "$WARMUP" --payload-size 256
	done
	for l in $LINGERS; do
		measure "paced-$l-$i" run event --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --payload-size 256 --batch-timeout "$l"
	done
done

# peak NAME-PREFIX: the median peak resident memory of those runs, MB.
peak() { cat "$work/$1"-*.rss 2>/dev/null | median | awk '{ if ($1 == "nan") print "nan"; else print $1 / 1024 }'; }

printf '\n%-24s %11s %11s %9s %10s %10s %9s\n' "ceiling (medians)" "produced/s" "consumed/s" "CPU/event" "e2e p50" "e2e p99" "peak RSS"
for w in $WORKERS; do
	files=("$work"/ceiling-"$w"-*.json)
	printf '%-24s %11.0f %11.0f %7.2fµs %8.2fms %8.2fms %6.0f MB\n' "$w workers" \
		"$(figure "${files[@]}" '.throughput.published_per_s' | median)" \
		"$(figure "${files[@]}" '.throughput.consumed_per_s' | median)" \
		"$(figure "${files[@]}" '.resources.cpu_per_op_us // 0' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p50 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p99 / 1e6' | median)" \
		"$(peak "ceiling-$w")"
done

printf '\n%-24s %11s %10s %10s %11s %11s %9s\n' "paced $RATE/s (medians)" "achieved/s" "e2e p50" "e2e p99" "publish p50" "publish p99" "peak RSS"
for l in $LINGERS; do
	files=("$work"/paced-"$l"-*.json)
	printf '%-24s %11.0f %8.3fms %8.3fms %9.3fms %9.3fms %6.0f MB\n' "--batch-timeout $l" \
		"$(figure "${files[@]}" '.throughput.ops_per_s' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p50 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.end_to_end.p99 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.publish.p50 / 1e6' | median)" \
		"$(figure "${files[@]}" '.latency.publish.p99 / 1e6' | median)" \
		"$(peak "paced-$l")"
done

lost=$(figure "$work"/*.json '.counts.lost + .counts.duplicates' | awk '{s += $1} END {print s + 0}')
if [ "$lost" != 0 ]; then
	log "warning: $lost events lost or duplicated over all runs; see the result files"
fi
echo
machine
