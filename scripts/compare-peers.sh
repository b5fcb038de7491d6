#!/usr/bin/env bash
# compare-peers.sh: commsbench's closed-loop throughput against established
# load generators, on the same loopback echo targets, in one run.
#
#   REST: commsbench run rest   vs  wrk, hey and vegeta   (goal: >= 1.0x wrk)
#   gRPC: commsbench run grpc   vs  ghz                   (goal: >= 1.5x ghz)
#
# Each pair uses the same target (commsbench serve rest|grpc on 127.0.0.1),
# the same number of workers and connections, the same payload size, closed
# loop (every worker sends its next request when the previous answered), and
# the same measured duration. The tools take turns, REPEATS times, and the
# medians are compared. Everything shares the machine's cores with the
# target, so a load generator that spends less CPU per request leaves more
# to the target and gets more requests/s: that is what is being compared.
#
# Not run in CI. Needs Go; installs wrk with apt-get when it is missing
# (as root) and hey, vegeta and ghz with 'go install' into a temporary
# directory. A peer that cannot be installed is skipped, and the summary
# says so. Settings come from the environment:
#
#   DURATION=5  REPEATS=3  CONCURRENCY=32  GRPC_CONNECTIONS=1  PAYLOAD=256
#   PEER_BIN=DIR (hey, vegeta and ghz installed there earlier)
#
# commsbench checks every echo byte for byte and records every latency in an
# HdrHistogram; the peers check the status only. wrk has no warm-up, so no
# tool gets one.
set -euo pipefail

DURATION=${DURATION:-5}
REPEATS=${REPEATS:-3}
CONCURRENCY=${CONCURRENCY:-32}
GRPC_CONNECTIONS=${GRPC_CONNECTIONS:-1}
PAYLOAD=${PAYLOAD:-256}

HEY_VERSION=v0.1.5
VEGETA_VERSION=v12.13.0
GHZ_VERSION=v0.93.0

# Every tool run ends by itself after DURATION; this bounds a stuck one.
BOUND=$((DURATION + 30))

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill -INT "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# serve TRANSPORT: starts 'commsbench serve TRANSPORT' on a free loopback
# port and sets served_addr to the address from its first line. (Not in a
# command substitution: the server's pid must reach cleanup.)
served_addr=
serve() {
	local out="$work/serve-$1.out"
	"$work/commsbench" serve "$1" --addr 127.0.0.1:0 >"$out" 2>&1 &
	pids+=("$!")
	local i
	for i in $(seq 1 100); do
		served_addr=$(sed -n 's/.*listening on \(http:\/\/\)\{0,1\}\([0-9.]*:[0-9]*\).*/\2/p' "$out" | head -n1)
		if [ -n "$served_addr" ]; then
			return 0
		fi
		sleep 0.1
	done
	log "serve $1 did not print its address within 10s:"
	cat "$out" >&2
	exit 1
}

# median of the numbers on stdin; "n/a" if there are none.
median() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 }
	}'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2f\n", a / b }'
}

# --- tools -------------------------------------------------------------------

log "building commsbench"
(cd "$root" && go build -o "$work/commsbench" ./cmd/commsbench)

have_wrk=yes
if ! command -v wrk >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		log "installing wrk (Debian package)"
		timeout 300 apt-get install -y wrk >/dev/null || have_wrk=no
	else
		have_wrk=no
	fi
fi

# PEER_BIN, when set, is a directory of peers installed earlier (at the
# versions above), used instead of installing them again.
gobin="${PEER_BIN:-$work/bin}"
mkdir -p "$gobin"
goinstall() { # name module@version
	if [ -x "$gobin/$1" ]; then
		log "using $gobin/$1"
		return 0
	fi
	log "installing $1 ($2)"
	if ! (cd "$work" && GOBIN="$gobin" GOFLAGS= timeout 300 go install "$2" >"$work/install-$1.log" 2>&1); then
		log "  could not install $1; it is skipped (see the last lines below)"
		tail -n 3 "$work/install-$1.log" >&2
		return 1
	fi
}
have_hey=yes; goinstall hey "github.com/rakyll/hey@$HEY_VERSION" || have_hey=no
have_vegeta=yes; goinstall vegeta "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" || have_vegeta=no
have_ghz=yes; goinstall ghz "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" || have_ghz=no

# --- targets and payloads ----------------------------------------------------

serve rest
rest_addr=$served_addr
serve grpc
grpc_addr=$served_addr
log "targets: rest http://$rest_addr, grpc $grpc_addr"

head -c "$PAYLOAD" /dev/urandom >"$work/body.bin"
cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.body = string.rep("x", $PAYLOAD)
EOF
printf 'POST http://%s/echo\nContent-Type: application/octet-stream\n@%s\n' "$rest_addr" "$work/body.bin" >"$work/vegeta.targets"
printf '{"payload":"%s"}' "$(base64 -w0 "$work/body.bin")" >"$work/ghz.json"

cores=$(nproc)
wrk_threads=$((cores < CONCURRENCY ? cores : CONCURRENCY))

# --- one measurement each; they print requests per second ---------------------

# timed CMD…: runs CMD and leaves the CPU seconds it used (user + system,
# children included) in $work/cpu, or nothing when GNU time is missing.
timed() {
	rm -f "$work/cpu" "$work/time.out"
	if [ -x /usr/bin/time ]; then
		local rc=0
		/usr/bin/time -f '%U %S' -o "$work/time.out" "$@" || rc=$?
		awk '{ print $1 + $2 }' "$work/time.out" >"$work/cpu" 2>/dev/null || true
		return "$rc"
	fi
	"$@"
}

run_commsbench_rest() {
	rm -f "$work/cb.json"
	timed timeout "$BOUND" "$work/commsbench" run rest --target "$rest_addr" --rate 0 \
		--concurrency "$CONCURRENCY" --connections "$CONCURRENCY" --payload-size "$PAYLOAD" \
		--duration "${DURATION}s" --warmup 0 -o "$work/cb.json" -q || return 1
	cb_rate "$work/cb.json"
}

run_commsbench_grpc() {
	rm -f "$work/cb.json"
	timed timeout "$BOUND" "$work/commsbench" run grpc --target "$grpc_addr" --rate 0 \
		--concurrency "$CONCURRENCY" --connections "$GRPC_CONNECTIONS" --payload-size "$PAYLOAD" \
		--duration "${DURATION}s" --warmup 0 -o "$work/cb.json" -q || return 1
	cb_rate "$work/cb.json"
}

# cb_rate FILE prints the achieved rate of a commsbench result, if it had no
# errors.
cb_rate() {
	local errors
	errors=$(grep -o '"errors": *[0-9][0-9]*' "$1" | head -n1 | sed 's/.*: *//')
	if [ "$errors" != 0 ]; then
		log "  commsbench counted ${errors:-unknown} errors"
		return 1
	fi
	grep -o '"ops_per_s": *[0-9.e+]*' "$1" | head -n1 | sed 's/.*: *//'
}

run_wrk() {
	timed timeout "$BOUND" wrk -t "$wrk_threads" -c "$CONCURRENCY" -d "${DURATION}s" -s "$work/post.lua" \
		"http://$rest_addr/echo" | awk '/^Requests\/sec:/ {print $2}'
}

run_hey() {
	timed timeout "$BOUND" "$gobin/hey" -z "${DURATION}s" -c "$CONCURRENCY" -m POST \
		-T application/octet-stream -D "$work/body.bin" "http://$rest_addr/echo" |
		awk '/Requests\/sec:/ {print $2}'
}

run_vegeta() {
	timed timeout "$BOUND" "$gobin/vegeta" attack -rate 0 -max-workers "$CONCURRENCY" -workers "$CONCURRENCY" \
		-duration "${DURATION}s" -targets "$work/vegeta.targets" -output "$work/vegeta.bin" || return 1
	timeout 60 "$gobin/vegeta" report -type json "$work/vegeta.bin" |
		grep -o '"throughput": *[0-9.e+]*' | sed 's/.*: *//'
}

run_ghz() {
	timed timeout "$BOUND" "$gobin/ghz" --insecure --proto "$root/targets/grpc/echopb/echo.proto" \
		--call commsbench.echo.v1.Echo.Echo -D "$work/ghz.json" \
		-c "$CONCURRENCY" --connections "$GRPC_CONNECTIONS" -z "${DURATION}s" -O json "$grpc_addr" |
		grep -o '"rps": *[0-9.e+]*' | sed 's/.*: *//'
}

# --- measure ------------------------------------------------------------------

declare -A samples cpu
measure() { # name function
	local v
	if ! v=$("$2"); then
		log "  $1: failed"
		return 0
	fi
	if [ -z "$v" ]; then
		log "  $1: printed no rate"
		return 0
	fi
	samples[$1]="${samples[$1]:-} $v"
	# CPU per request: the tool's CPU time over the requests it made in
	# DURATION, which noise from other processes disturbs less than req/s.
	local us=""
	if [ -s "$work/cpu" ]; then
		us=$(awk -v c="$(cat "$work/cpu")" -v r="$v" -v d="$DURATION" 'BEGIN { printf "%.1f", c * 1e6 / (r * d) }')
		cpu[$1]="${cpu[$1]:-} $us"
	fi
	log "  $(printf '%-16s %12.0f req/s %10s' "$1" "$v" "${us:+$us µs CPU/req}")"
}

log "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "settings: $REPEATS x ${DURATION}s, $CONCURRENCY workers, REST connections $CONCURRENCY, gRPC connections $GRPC_CONNECTIONS, payload $PAYLOAD B, closed loop"
for i in $(seq 1 "$REPEATS"); do
	log "round $i of $REPEATS"
	measure commsbench-rest run_commsbench_rest
	if [ "$have_wrk" = yes ]; then measure wrk run_wrk; fi
	if [ "$have_hey" = yes ]; then measure hey run_hey; fi
	if [ "$have_vegeta" = yes ]; then measure vegeta run_vegeta; fi
	measure commsbench-grpc run_commsbench_grpc
	if [ "$have_ghz" = yes ]; then measure ghz run_ghz; fi
done
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck disable=SC2086 # the samples are split on purpose
med() { printf '%s\n' ${samples[$1]:-} | { grep . || true; } | median; }
# shellcheck disable=SC2086
medcpu() { printf '%s\n' ${cpu[$1]:-} | { grep . || true; } | median; }
num() { awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else printf "%.0f\n", v }'; }
num1() { awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else printf "%.1f\n", v }'; }

printf '\nmedians of %s runs of %ss, %s workers, %s B payload, closed loop, 127.0.0.1\n\n' "$REPEATS" "$DURATION" "$CONCURRENCY" "$PAYLOAD"
printf '%-24s %13s %9s %7s %5s %8s %17s\n' "pair" "commsbench/s" "peer/s" "ratio" "goal" "" "CPU µs/req cb:peer"
row() { # label commsbench-name peer-name goal installed
	local cb peer ratio_v note=""
	cb=$(med "$2")
	if [ "$5" != yes ]; then
		printf '%-24s %13s %9s %7s %5s  (%s not installed: skipped)\n' "$1" "$(num "$cb")" "n/a" "n/a" "$4" "$3"
		return
	fi
	peer=$(med "$3")
	ratio_v=$(ratio "$cb" "$peer")
	if [ "$4" != "-" ] && [ "$ratio_v" != "n/a" ]; then
		note=$(awk -v r="$ratio_v" -v g="${4%x}" 'BEGIN { print (r >= g) ? "met" : "not met" }')
	fi
	printf '%-24s %13s %9s %7s %5s %8s %17s\n' "$1" "$(num "$cb")" "$(num "$peer")" "$ratio_v" "$4" "$note" \
		"$(num1 "$(medcpu "$2")"):$(num1 "$(medcpu "$3")")"
}
row "REST: commsbench/wrk" commsbench-rest wrk "1.0x" "$have_wrk"
row "REST: commsbench/hey" commsbench-rest hey "-" "$have_hey"
row "REST: commsbench/vegeta" commsbench-rest vegeta "-" "$have_vegeta"
row "gRPC: commsbench/ghz" commsbench-grpc ghz "1.5x" "$have_ghz"
