#!/usr/bin/env bash
# compare-nats.sh: commsbench's NATS transport beside 'nats bench' (natscli)
# on the same server, with the same message size and one publishing
# connection each:
#
#   publish only   nats bench pub              vs  run nats --mode publish --subscribers 0
#   pub + sub      nats bench pub + bench sub  vs  run nats --mode publish --subscribers 1
#   request-reply  nats bench service          vs  run nats --mode request --consumers 1
#                  (serve + request, 1 client)      (closed loop, 1 in flight)
#
# Goal: commsbench's rate at least 1.0x nats bench's in each mode, while it
# records a latency and an accounting entry for every message. The tools
# take turns, ROUNDS times, and the medians are printed: the server and
# both clients share the machine's cores with whatever else runs.
#
# Not run in CI. Needs Go, jq and a NATS server on NATS_URL (default the
# local one at nats://127.0.0.1:4222; start one with 'nats-server -js', or
# 'commsbench serve nats --addr 127.0.0.1:4222'). natscli is installed at
# the pinned version into bin/tools when missing.
#
# Usage: scripts/compare-nats.sh [path/to/commsbench]
# (default: $COMMSBENCH, else built from this tree). Settings come from the
# environment:
#
#   ROUNDS=3  DURATION=3 (seconds per commsbench run)  SIZE=128 (bytes)
#   PUB_MSGS=2000000  REQ_MSGS=20000 (messages per nats bench run)
#   CONCURRENCY=1 (commsbench workers sharing the one publishing connection)
set -euo pipefail

NATSCLI_VERSION=v0.5.0
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
SIZE=${SIZE:-128}
PUB_MSGS=${PUB_MSGS:-2000000}
REQ_MSGS=${REQ_MSGS:-20000}
CONCURRENCY=${CONCURRENCY:-1}
URL=${NATS_URL:-nats://127.0.0.1:4222}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

command -v jq >/dev/null || { log "jq is needed: apt-get install jq"; exit 1; }

bin=${1:-${COMMSBENCH:-}}
if [ -z "$bin" ]; then
	log "building commsbench"
	(cd "$root" && go build -o "$work/commsbench" ./cmd/commsbench)
	bin="$work/commsbench"
fi
nats="$root/bin/tools/nats"
if [ ! -x "$nats" ] || [ "$("$nats" --version 2>&1)" != "$NATSCLI_VERSION" ]; then
	log "installing natscli $NATSCLI_VERSION into bin/tools"
	GOBIN="$root/bin/tools" go install "github.com/nats-io/natscli/nats@$NATSCLI_VERSION"
fi
"$nats" -s "$URL" --timeout 3s server check connection >/dev/null 2>&1 ||
	{ log "no NATS server answers at $URL: start one (nats-server -js) or set NATS_URL"; exit 1; }

# median of the numbers on stdin; "n/a" if there are none.
median() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 }
	}'
}

# rate FILE: the msgs/sec of a nats bench stats line ("... stats: 1,234,567 msgs/sec ~ ...").
rate() { sed -n 's/.*stats: \([0-9,.]*\) msgs\/sec.*/\1/p' "$1" | head -1 | tr -d ,; }

BOUND=$((DURATION + 60))
subject() { printf 'commsbench.compare.%s.%s' "$1" "$$"; }

nb_pub() {
	timeout "$BOUND" "$nats" -s "$URL" bench pub "$(subject pub)" --msgs "$PUB_MSGS" --size "$SIZE" --no-progress >"$work/nb-pub-$1.txt" 2>&1 || log "nats bench pub failed"
	rate "$work/nb-pub-$1.txt" >>"$work/nb-pub.rates"
}

nb_pubsub() {
	local s
	s=$(subject pubsub)
	timeout "$BOUND" "$nats" -s "$URL" bench sub "$s" --msgs "$PUB_MSGS" --size "$SIZE" --no-progress >"$work/nb-sub-$1.txt" 2>&1 &
	local sub=$!
	pids+=("$sub")
	sleep 1
	timeout "$BOUND" "$nats" -s "$URL" bench pub "$s" --msgs "$PUB_MSGS" --size "$SIZE" --no-progress >"$work/nb-pubsub-$1.txt" 2>&1 || log "nats bench pub (with sub) failed"
	# A subscriber that lost messages never reaches its count: bounded wait.
	(sleep 10; kill "$sub" 2>/dev/null) &
	wait "$sub" 2>/dev/null || log "nats bench sub did not get every message (core NATS drops for slow consumers)"
	rate "$work/nb-pubsub-$1.txt" >>"$work/nb-pubsub-pub.rates"
	rate "$work/nb-sub-$1.txt" >>"$work/nb-pubsub-sub.rates"
}

nb_request() {
	local s
	s=$(subject req)
	timeout "$BOUND" "$nats" -s "$URL" bench service serve "$s" --msgs "$REQ_MSGS" --size "$SIZE" --no-progress >"$work/nb-serve-$1.txt" 2>&1 &
	local srv=$!
	pids+=("$srv")
	sleep 1
	timeout "$BOUND" "$nats" -s "$URL" bench service request "$s" --msgs "$REQ_MSGS" --size "$SIZE" --no-progress >"$work/nb-req-$1.txt" 2>&1 || log "nats bench service request failed"
	kill "$srv" 2>/dev/null || true
	rate "$work/nb-req-$1.txt" >>"$work/nb-req.rates"
}

# cb NAME ROUND ARGS...: one commsbench run into $work/cb-NAME-ROUND.json.
cb() {
	local name=$1 round=$2
	shift 2
	if ! timeout "$BOUND" "$bin" run nats --nats-url "$URL" --payload-size "$SIZE" --rate 0 \
		--duration "${DURATION}s" --warmup 1s --quiet --out "$work/cb-$name-$round.json" "$@"; then
		log "commsbench $name failed"
		rm -f "$work/cb-$name-$round.json"
	fi
}

for i in $(seq 1 "$ROUNDS"); do
	log "round $i of $ROUNDS"
	nb_pub "$i"
	cb pub "$i" --mode publish --subscribers 0 --concurrency "$CONCURRENCY"
	nb_pubsub "$i"
	cb pubsub "$i" --mode publish --subscribers 1 --concurrency "$CONCURRENCY"
	nb_request "$i"
	cb req "$i" --mode request --consumers 1 --concurrency 1
done

# values NAME JQ-EXPRESSION: one value per commsbench run.
values() {
	local f
	for f in "$work/cb-$1"-*.json; do
		[ -e "$f" ] && jq -r "$2" "$f"
	done
	return 0
}

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
printf '\n%s B messages, 1 publishing connection, %s rounds (medians; load average at the end: %s)\n' "$SIZE" "$ROUNDS" "$load"
printf '%-16s %14s %14s %8s %12s %12s\n' "" "nats bench/s" "commsbench/s" "ratio" "cb p50" "cb p99"
row() { # LABEL NATS-BENCH-RATES-FILE CB-NAME CB-RATE-EXPR CB-LATENCY
	local nb cbr p50 p99
	nb=$(median <"$work/$2")
	cbr=$(values "$3" "$4" | median)
	p50=$(values "$3" ".latency.$5.p50 / 1e3" | median)
	p99=$(values "$3" ".latency.$5.p99 / 1e3" | median)
	awk -v l="$1" -v n="$nb" -v c="$cbr" -v p="$p50" -v q="$p99" -v k="$5" 'BEGIN {
		if (n == "n/a" || c == "n/a") { printf "%-16s %14s %14s   (a run failed: see above)\n", l, n, c; exit }
		printf "%-16s %14.0f %14.0f %7.2fx %10.1fus %10.1fus  (%s)\n", l, n, c, c / n, p, q, k }'
}
row "publish only" nb-pub.rates pub '.throughput.published_per_s' publish
row "pub+sub: pub" nb-pubsub-pub.rates pubsub '.throughput.published_per_s' publish
row "pub+sub: sub" nb-pubsub-sub.rates pubsub '.throughput.consumed_per_s' end_to_end
row "request-reply" nb-req.rates req '.throughput.ops_per_s' response
printf '\ncommsbench pub+sub accounting (per run): %s\n' "$(values pubsub '"received \(.counts.received) lost \(.counts.lost)"' | tr '\n' ';')"
