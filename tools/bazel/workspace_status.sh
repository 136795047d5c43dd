#!/usr/bin/env bash
# Bazel's workspace status command (.bazelrc: --workspace_status_command). Stamped builds
# (--stamp, e.g. `make release`) bake these into runsc through go_binary's x_defs:
#   STABLE_BULWARK_VERSION  `git describe --tags --always --dirty`, as the Makefile's VERSION
#   STABLE_BULWARK_COMMIT   the full commit hash
# Outside a git checkout both are "unknown". It prints nothing else: Bazel parses stdout.
set -u
version=$(git describe --tags --always --dirty 2>/dev/null || echo unknown)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
echo "STABLE_BULWARK_VERSION ${version}"
echo "STABLE_BULWARK_COMMIT ${commit}"
