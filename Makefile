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
	$(GO) test -race -count=1 -timeout 9m ./...

test-short:
	$(GO) test -short -count=1 ./...

## run: the main job on embedded targets.
run: build
	./$(BIN) run rest --duration 5s
	./$(BIN) run grpc --duration 5s

## bench: Go benchmarks of the engine and recorder.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/ ./results/

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## fuzz: a short run of every fuzz target.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./results/

clean:
	rm -rf bin
