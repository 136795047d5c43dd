"""syscall_test: one C syscall test program as Bazel test targets.

Each test/syscalls/linux/<name>_test.c is compiled once, statically, with the host gcc
(rules_cc / native cc_binary) together with the shared harness, exactly as the Go runner
(syscalls_test.go) does: gcc -static -O1 -pthread -Wall -Werror. It then becomes

  <name>_native           the binary run directly: the oracle        tags: native
  <name>_runsc_<platform> `runsc --platform=<platform> --overlay2=root:memory do -- <binary>`
                                                                     tags: runsc, <platform>
  <name>_runsc_<platform>_overlay_none
                          the same with --overlay2=none, for the tests in OVERLAY_NONE_TESTS
                                                                     tags: runsc, <platform>, overlay_none
  <name>_runsc_<platform>_overlay_self
                          the same with --overlay2=root:self, for the tests in OVERLAY_NONE_TESTS
                                                                     tags: runsc, <platform>, overlay_self

for each platform in SYSCALL_TEST_PLATFORMS. The overlay test (linux/overlay_test.c) runs through
run_overlay_test.sh: natively on a real overlayfs, in the sandbox on lower files of the root
overlay (no overlay_none variant). The tests of OVERLAY_NONE_TESTS not in ROOT_TMPDIR_GAPS run
through `run_test.sh --root-tmpdir`, natively too: their temporary directories are made in a fresh
host directory under /var/tmp instead of /tmp. Each passes iff the program exits 0.
`bazel test //test/syscalls/...` runs all of them; `--test_tag_filters=native` only the native
ones (`--config=native` adds --build_tests_only, so runsc is not even built),
`--test_tag_filters=runsc` only the sandboxed ones.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

# The sandbox variants every test runs under, besides native. Adding a platform is one entry
# here (and one in syscalls_test.go's platforms list for `go test`).
SYSCALL_TEST_PLATFORMS = ["ptrace"]

# The file-system tests, which also run with --overlay2=none (the root is then the gofer's file
# system itself, writable) and --overlay2=root:self (the default mode). syscalls_test.go reads
# this list: it is the only one.
OVERLAY_NONE_TESTS = [
    "access",
    "chdir",
    "chmod",
    "chown",
    "creat",
    "fork_exec",
    "fstatat",
    "getdents",
    "link",
    "mkdir",
    "mknod",
    "mmap_file",
    "open",
    "openat",
    "openat2",
    "path",
    "readwrite_file",
    "rename",
    "rmdir",
    "stat",
    "statfs",
    "statx",
    "symlink",
    "truncate",
    "unlink",
    "utimensat",
    "xattr",
]

# File-system tests of OVERLAY_NONE_TESTS that keep their temporary directories under /tmp (a
# sandbox tmpfs) instead of in the root, because with them in the root they find a gap of the
# sandbox; each entry says which. The others get a fresh host directory under /var/tmp in every
# run, native and sandboxed ($HARNESS_TMPDIR, made and removed by the runners), so that their
# files really live in the root overlay, or on the host through the gofer with --overlay2=none.
# syscalls_test.go reads this dict: it is the only one. Remove an entry when its gap is fixed.
ROOT_TMPDIR_GAPS = {
    "mknod": "--overlay2=none: mknod of a character device in a gofer directory fails (mknod_devices_as_root)",
    "mmap_file": "--overlay2=none: writes through a MAP_SHARED mapping of a gofer file never reach the file (MMapCopy), and no SIGBUS beyond EOF",
    "open": "every mode: open(O_TMPFILE) in an overlay or gofer directory fails (open_tmpfile)",
    "rename": "--overlay2=none: renameat2(RENAME_EXCHANGE) of gofer files fails",
    "xattr": "--overlay2=none: listxattr of a gofer file does not show trusted.* names set by root",
}

# The test run_overlay_test.sh runs on an overlay.
_OVERLAY_TEST = "overlay"

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
        overlay_runner = "//test/syscalls:run_overlay_test.sh",
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
      overlay_runner: the script that runs the overlay test on an overlay.
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

    is_overlay = name == _OVERLAY_TEST
    root_tmpdir = ["--root-tmpdir"] if name in OVERLAY_NONE_TESTS and name not in ROOT_TMPDIR_GAPS else []
    native.sh_test(
        name = name + "_native",
        size = size,
        srcs = [overlay_runner if is_overlay else runner],
        args = (["native"] if is_overlay else root_tmpdir) + ["$(rootpath :%s)" % binary],
        data = [":" + binary],
        tags = tags + ["native"] + _UNSANDBOXED,
    )

    for platform in platforms:
        variants = [("", "--overlay2=root:memory", [])]
        if name in OVERLAY_NONE_TESTS:
            variants.append(("_overlay_none", "--overlay2=none", ["overlay_none"]))
            variants.append(("_overlay_self", "--overlay2=root:self", ["overlay_self"]))
        for suffix, overlay, extra_tags in variants:
            runsc_args = ["$(rootpath %s)" % runsc, "--platform=" + platform, overlay]
            if is_overlay:
                args = ["sandbox", "$(rootpath :%s)" % binary] + runsc_args
            else:
                args = root_tmpdir + runsc_args + ["do", "--", "$(rootpath :%s)" % binary]
            native.sh_test(
                name = "%s_runsc_%s%s" % (name, platform, suffix),
                size = size,
                srcs = [overlay_runner if is_overlay else runner],
                args = args,
                data = [
                    ":" + binary,
                    runsc,
                ],
                tags = tags + ["runsc", platform] + extra_tags + _UNSANDBOXED,
            )

def syscall_tests(srcs, **kwargs):
    """Declares syscall_test targets for every linux/<name>_test.c in srcs."""
    for src in srcs:
        base = src.rpartition("/")[2]
        if not base.endswith("_test.c"):
            fail("syscall test source %s does not end in _test.c" % src)
        syscall_test(name = base[:-len("_test.c")], src = src, **kwargs)
