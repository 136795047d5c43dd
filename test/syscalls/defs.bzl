"""syscall_test: one C syscall test program as Bazel test targets.

Each test/syscalls/linux/<name>_test.c is compiled once, statically, with the host gcc
(rules_cc / native cc_binary) together with the shared harness, exactly as the Go runner
(syscalls_test.go) does: gcc -static -O1 -pthread -Wall -Werror. It then becomes

  <name>_native           the binary run directly: the oracle        tags: native
  <name>_runsc_<platform> `runsc --platform=<platform> do -- <binary>` tags: runsc, <platform>

for each platform in SYSCALL_TEST_PLATFORMS. Each passes iff the program exits 0.
`bazel test //test/syscalls/...` runs all of them; `--test_tag_filters=native` only the native
ones (`--config=native` adds --build_tests_only, so runsc is not even built),
`--test_tag_filters=runsc` only the sandboxed ones.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

# The sandbox variants every test runs under, besides native. Adding a platform is one entry
# here (and one in syscalls_test.go's platforms list for `go test`).
SYSCALL_TEST_PLATFORMS = ["ptrace"]

# Both variants run outside Bazel's linux-sandbox. As root, the sandbox puts the test in a
# user namespace that maps root alone: setresuid/setresgid to any other id fails with EINVAL
# and trusted.* xattrs are refused, so tests that are right on Linux fail natively; and runsc
# must create its mount, PID, IPC, UTS and network namespaces as the real root, as it does
# under `go test`. The test binaries must not live under /tmp (keep Bazel's output base in
# ~/.cache): `runsc do` mounts a fresh tmpfs there.
_UNSANDBOXED = ["no-sandbox"]

# The Go runner's flags (syscalls_test.go: cflags); -static goes to the linker.
_COPTS = ["-O1", "-pthread", "-Wall", "-Werror"]
_LINKOPTS = ["-static", "-pthread"]

def syscall_test(
        name,
        src,
        harness = "//test/syscalls:harness",
        runner = "//test/syscalls:run_test.sh",
        runsc = "//runsc",
        platforms = SYSCALL_TEST_PLATFORMS,
        size = "small",
        tags = []):
    """Declares <name>_bin, <name>_native and <name>_runsc_<platform> for each platform.

    Args:
      name: the test's name: src without its directory and "_test.c" (e.g. "mmap").
      src: the C source, e.g. "linux/mmap_test.c".
      harness: the cc_library with the shared test harness.
      runner: the script that runs one binary, natively or under runsc.
      runsc: the runsc binary the sandbox variants run.
      platforms: the runsc --platform values to run under.
      size: the test size; small (a 60 s timeout) matches the Go runner's -run-timeout.
      tags: extra tags for every target.
    """
    binary = name + "_bin"
    cc_binary(
        name = binary,
        testonly = True,
        srcs = [src],
        copts = _COPTS,
        linkopts = _LINKOPTS,
        linkstatic = True,
        tags = tags,
        visibility = ["//visibility:private"],
        deps = [harness],
    )

    native.sh_test(
        name = name + "_native",
        size = size,
        srcs = [runner],
        args = ["$(rootpath :%s)" % binary],
        data = [":" + binary],
        tags = tags + ["native"] + _UNSANDBOXED,
    )

    for platform in platforms:
        native.sh_test(
            name = "%s_runsc_%s" % (name, platform),
            size = size,
            srcs = [runner],
            args = [
                "$(rootpath %s)" % runsc,
                "--platform=" + platform,
                "do",
                "--",
                "$(rootpath :%s)" % binary,
            ],
            data = [
                ":" + binary,
                runsc,
            ],
            tags = tags + ["runsc", platform] + _UNSANDBOXED,
        )

def syscall_tests(srcs, **kwargs):
    """Declares syscall_test targets for every linux/<name>_test.c in srcs."""
    for src in srcs:
        base = src.rpartition("/")[2]
        if not base.endswith("_test.c"):
            fail("syscall test source %s does not end in _test.c" % src)
        syscall_test(name = base[:-len("_test.c")], src = src, **kwargs)
