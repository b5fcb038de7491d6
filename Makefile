# commsbench — see README.md.
GO       ?= go
BIN      := bin/commsbench
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS  := -X github.com/commsbench/commsbench/cmd/cli.version=$(VERSION) -X github.com/commsbench/commsbench/cmd/cli.commit=$(COMMIT)
PROTOC_GEN_GO_VERSION      ?= v1.36.12
PROTOC_GEN_GO_GRPC_VERSION ?= v1.6.0

.PHONY: all build test test-short run bench lint generate fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/commsbench

## test: every test, with the race detector.
test:
	$(GO) test -race -p 1 -count=1 -timeout 9m ./...

test-short:
	$(GO) test -short -count=1 ./...

## run: the main job: every built-in scenario side by side (commsbench suite)
## on the embedded targets (REST, gRPC, Kafka, NATS) and the local RabbitMQ when
## one answers (its scenarios are skipped otherwise); about three minutes.
run: build
	./$(BIN) suite

## bench: Go benchmarks of the engine and recorder.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/ ./results/

## generate: regenerate the Go code of the .proto files: the gRPC echo
## contract (targets/grpc/echopb), the typed messages (targets/messages) and
## the example service's API (examples/orders/ordersv1).
## protoc comes from Debian's protobuf-compiler package; the Go plugins are
## installed at the pinned versions above into bin/tools.
generate:
	@command -v protoc >/dev/null || { echo "protoc not found: install it with 'apt-get install protobuf-compiler'"; exit 1; }
	GOBIN=$(CURDIR)/bin/tools $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(CURDIR)/bin/tools $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH="$(CURDIR)/bin/tools:$$PATH" protoc --proto_path=. \
		--go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative \
		targets/grpc/echopb/echo.proto targets/messages/messages.proto \
		examples/orders/ordersv1/orders.proto

STATICCHECK_VERSION ?= v0.8.2

## lint: go vet, staticcheck (pinned, fetched through the Go module proxy), gofmt,
## and go.mod/go.sum as `go mod tidy` would leave them (direct requirements
## not marked indirect, no missing or stale go.sum lines).
lint:
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run 'go mod tidy' and commit the result"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## fuzz: a short run of every fuzz target.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./results/
	$(GO) test -run '^$$' -fuzz '^FuzzParseThreshold$$' -fuzztime 30s ./results/
	$(GO) test -run '^$$' -fuzz '^FuzzParseMaxRegression$$' -fuzztime 30s ./results/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./scenarios/
	$(GO) test -run '^$$' -fuzz '^FuzzParseHeader$$' -fuzztime 30s ./targets/queue/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeStamp$$' -fuzztime 30s ./targets/event/
	$(GO) test -run '^$$' -fuzz '^FuzzParseShard$$' -fuzztime 30s ./bench/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMarked$$' -fuzztime 30s ./results/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./bench/fault/
	$(GO) test -run '^$$' -fuzz '^FuzzParseHeader$$' -fuzztime 30s ./targets/nats/
	$(GO) test -run '^$$' -fuzz '^FuzzParseProc$$' -fuzztime 30s ./bench/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeOrder$$' -fuzztime 30s ./targets/messages/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./targets/correlate/
	$(GO) test -run '^$$' -fuzz '^FuzzServedAddress$$' -fuzztime 30s ./targets/transport/

clean:
	rm -rf bin
