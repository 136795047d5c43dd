# Bulwark's everyday entry points. The build itself is plain `go build` /
# `go test`; this file only strings the steps together.
#
#   make demo    install what is missing, build runsc, run a program in the sandbox
#   make test    install what is missing, static checks, every test
#   make bench   the benchmarks (getpid, stat, open, read) against native and Debian's runsc
#   make build   bin/runsc
#   make check   gofmt, go vet, staticcheck
#   make clean   remove build output
#
# Bazel (see README.md, "Building with Bazel"):
#   make bazel-setup    install Bazel and fetch rules_go, Gazelle, the Go SDK, Go deps
#   make bazel-build    bazel build //runsc
#   make bazel-test     bazel test //...
#   make gazelle        regenerate deps.bzl from go.mod and every BUILD.bazel file
#   make gazelle-check  fail if `make gazelle` would change anything
#   make release        dist/runsc-<version>-linux-amd64.tar.gz and its .sha512 (Bazel, stamped)

# Go is expected at /usr/local/go; a go earlier on PATH wins.
export PATH := $(PATH):/usr/local/go/bin
GO          ?= go
BIN         := bin
RUNSC       := $(BIN)/runsc
# The package whose Version and Commit `runsc --version` prints; Bazel's stamped builds set
# the same variables from tools/bazel/workspace_status.sh.
VERSION_PKG ?= bulwark.dev/bulwark/runsc/config
VERSION     := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS     := -X '$(VERSION_PKG).Version=$(VERSION)' -X '$(VERSION_PKG).Commit=$(COMMIT)'
BAZEL       ?= bazel
DIST        := dist
# staticcheck 2026.2.2 (module v0.8.2): a release that supports Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_TIMEOUT ?= 40m

.PHONY: all deps bench-deps build check test demo bench clean \
	bazel-setup bazel-build bazel-test gazelle gazelle-check release

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
	rm -rf $(BIN) $(DIST)

bazel-setup:
	bash tools/bazel/setup.sh

bazel-build:
	$(BAZEL) build //runsc

# Every Go and syscall test; prints "bazel: N passed, N failed" at the end.
bazel-test:
	BAZEL=$(BAZEL) bash tools/bazel/test.sh //...

# deps.bzl from go.mod first (new dependencies), then the BUILD files that use them.
gazelle:
	$(BAZEL) run //:gazelle-update-repos
	$(BAZEL) run //:gazelle

gazelle-check:
	BAZEL=$(BAZEL) bash tools/bazel/gazelle-check.sh

release:
	$(BAZEL) run --config=release //:release -- $(CURDIR)/$(DIST)
