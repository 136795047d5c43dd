# Bulwark's everyday entry points. The build itself is plain `go build` /
# `go test`; this file only strings the steps together.
#
#   make demo    install what is missing, build runsc, run a program in the sandbox
#   make test    install what is missing, static checks, every test
#   make bench   the getpid benchmark against native and Debian's runsc
#   make build   bin/runsc
#   make check   gofmt, go vet, staticcheck
#   make clean   remove build output

# Go is expected at /usr/local/go; a go earlier on PATH wins.
export PATH := $(PATH):/usr/local/go/bin
GO          ?= go
BIN         := bin
RUNSC       := $(BIN)/runsc
# The package variable that `runsc --version` prints.
VERSION_VAR ?= bulwark.dev/bulwark/runsc/config.Version
VERSION     := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X '$(VERSION_VAR)=$(VERSION)'
# staticcheck 2026.2.2 (module v0.8.2): a release that supports Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_TIMEOUT ?= 40m

.PHONY: all deps bench-deps build check test demo bench clean

all: build

deps:
	bash tools/install-deps.sh

bench-deps:
	bash tools/install-deps.sh --bench

# Always rebuilt; the Go build cache makes an unchanged build cheap.
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(RUNSC) ./runsc

check:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt -l: these files need gofmt:"; echo "$$unformatted"; exit 1; \
	fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# The syscall tests (test/syscalls) and the end-to-end tests (test/e2e) are
# ordinary go tests; they use the runsc built here through $RUNSC.
test: deps check build
	RUNSC=$(CURDIR)/$(RUNSC) $(GO) test ./... -count=1 -timeout $(TEST_TIMEOUT)

demo: deps build
	$(RUNSC) do /bin/busybox uname -a
	$(RUNSC) do /bin/busybox echo hello from the sandbox

bench: bench-deps build
	$(GO) run ./test/benchmarks/cmd/bench -runsc $(CURDIR)/$(RUNSC)

clean:
	rm -rf $(BIN)
