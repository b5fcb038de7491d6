#!/usr/bin/env bash
# compare-encodings.sh: the 2×2 that separates the protocol from the
# encoding. The same order (--items lines) at the same load, four ways:
#
#   REST + JSON       POST /orders, application/json
#   REST + protobuf   POST /orders, application/x-protobuf
#   gRPC + protobuf   Orders/PlaceOrder, gRPC's protobuf codec
#   gRPC + JSON       Orders/PlaceOrder, application/grpc+json
#
# In every cell the target decodes the order, validates it, computes the
# payment confirmation and encodes it; the client encodes the order,
# decodes the confirmation and checks it. Each cell runs COUNT times
# (commsbench run --count) against its embedded target, so client and
# target share the process and the machine's cores alike in all four.
# Then 'commsbench compare' prints the medians, with REST + JSON as the
# baseline and the Mann–Whitney U test marking which differences are
# significant (p < 0.05; "~" when not). Each of the four contrasts then
# has a table where it is tested directly:
#
#   protocol, with JSON        gRPC + JSON      against REST + JSON  (first table)
#   protocol, with protobuf    gRPC + protobuf  against REST + protobuf
#   encoding, over REST        REST + JSON      against REST + protobuf
#   encoding, over gRPC        gRPC + protobuf  against gRPC + JSON
#
# Two loads: paced (open loop at RATE operations/s: latency and CPU per
# operation at the same work) and ceiling (closed loop, CONCURRENCY
# workers: the most operations per second). Not run in CI. Needs Go.
# Settings come from the environment:
#
#   COUNT=5  DURATION=5s  WARMUP=1s  RATE=2000  CONCURRENCY=16  ITEMS=3
#   LOADS="paced ceiling"  FORMAT=text (or markdown)
#   OUT=dir   (keep the result files there; default: a temporary directory)
#   COMMSBENCH=path/to/binary   (default: built from this tree)
set -euo pipefail

COUNT=${COUNT:-5}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
RATE=${RATE:-2000}
CONCURRENCY=${CONCURRENCY:-16}
ITEMS=${ITEMS:-3}
LOADS=${LOADS:-paced ceiling}
FORMAT=${FORMAT:-text}

if [ "$COUNT" -lt 5 ]; then
	echo "COUNT=$COUNT: compare tests a difference only with at least 4 runs a side; give 5 or more" >&2
	exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${OUT:-$tmp}
mkdir -p "$out"

bin=${COMMSBENCH:-}
if [ -z "$bin" ]; then
	bin="$tmp/commsbench"
	(cd "$root" && go build -o "$bin" ./cmd/commsbench)
fi

log() { printf '%s\n' "$*" >&2; }

# The four cells: directory name, transport, encoding.
cells=(
	"rest-json rest json"
	"rest-protobuf rest protobuf"
	"grpc-protobuf grpc protobuf"
	"grpc-json grpc json"
)

for load in $LOADS; do
	case $load in
	paced) loadflags=(--rate "$RATE") ;;
	ceiling) loadflags=(--rate 0 --concurrency "$CONCURRENCY") ;;
	*)
		log "LOADS: unknown load '$load' (paced or ceiling)"
		exit 2
		;;
	esac
	for cell in "${cells[@]}"; do
		read -r dir transport encoding <<<"$cell"
		log "$load: $dir, $COUNT runs of $DURATION"
		rm -rf "$out/$load/$dir"
		"$bin" run "$transport" --encoding "$encoding" --items "$ITEMS" "${loadflags[@]}" \
			--duration "$DURATION" --warmup "$WARMUP" --count "$COUNT" \
			--label "$load" --out "$out/$load/$dir" -q
	done
	echo
	echo "## $load: ${loadflags[*]}, orders of $ITEMS items, $COUNT runs a cell"
	echo
	(cd "$out/$load" && "$bin" compare rest-json rest-protobuf grpc-protobuf grpc-json \
		--group-by load.mode --costs --percentiles p50,p99 --format "$FORMAT")
	echo
	echo "### against REST + protobuf"
	echo
	(cd "$out/$load" && "$bin" compare rest-protobuf grpc-protobuf rest-json \
		--group-by load.mode --costs --percentiles p50,p99 --format "$FORMAT")
	echo
	echo "### against gRPC + JSON"
	echo
	(cd "$out/$load" && "$bin" compare grpc-json grpc-protobuf \
		--group-by load.mode --costs --percentiles p50,p99 --format "$FORMAT")
done
if [ -z "${OUT:-}" ]; then
	log "(result files removed; set OUT=dir to keep them)"
fi
