"""Repository rules that set Bulwark's Bazel build up from the package registries alone.

Nothing here downloads over plain HTTP: Bazel rules, Gazelle and the Go SDK are Go modules, so
they come through the Go module proxy (`go mod download`), checked against a pinned h1: sum.
Debian ships Bazel itself, bazel-skylib and rules_java (tools/bazel/setup.sh installs them).

  go_module_repository  a Go module's source tree as an external repository, patched
  go_sdk_repository     a Go SDK (golang.org/toolchain) with the standard library precompiled
  cc_rules_repository   a stand-in for rules_cc that forwards to Bazel's native cc_* rules
  coverage_stub_repository  an empty @remote_coverage_tools (coverage is not supported)
"""

_GOOS = "linux"
_GOARCH = "amd64"

def _host_go(ctx):
    """Returns the path of the host's go command (needed only to reach the module proxy)."""
    go = ctx.which("go")
    if go:
        return str(go)
    for p in ["/usr/local/go/bin/go", "/usr/lib/go/bin/go"]:
        if ctx.path(p).exists:
            return p
    fail("no go command found: install Go (/usr/local/go) first")

def _go_env(ctx, extra = {}):
    """The environment for running go in a repository rule: the host's caches, no toolchain
    switching, no GOFLAGS from the user's environment."""
    env = {
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "",
        "GO111MODULE": "on",
    }
    for k in ["HOME", "GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOSUMDB"]:
        v = ctx.os.environ.get(k)
        if v:
            env[k] = v
    env.update(extra)
    return env

def _run(ctx, argv, env, what, working_directory = "", timeout = 1800):
    res = ctx.execute(argv, environment = env, working_directory = working_directory, timeout = timeout, quiet = True)
    if res.return_code != 0:
        fail("%s: %s failed (exit %d):\n%s%s" % (ctx.name, what, res.return_code, res.stdout, res.stderr))
    return res.stdout

def _download_module(ctx, go, module, version, sum):
    """Fetches module@version through the module proxy and returns its (read-only) directory."""
    ctx.report_progress("go mod download %s@%s" % (module, version))

    # `go mod download` needs a directory outside any module.
    out = _run(
        ctx,
        [go, "mod", "download", "-json", "%s@%s" % (module, version)],
        _go_env(ctx),
        "go mod download %s@%s" % (module, version),
        working_directory = str(ctx.path(".")),
    )
    info = json.decode(out)
    if info.get("Error"):
        fail("%s: go mod download %s@%s: %s" % (ctx.name, module, version, info["Error"]))
    if sum and info.get("Sum") != sum:
        fail("%s: %s@%s has sum %s, want %s" % (ctx.name, module, version, info.get("Sum"), sum))
    return info["Dir"]

def _go_module_repository_impl(ctx):
    go = _host_go(ctx)
    src = _download_module(ctx, go, ctx.attr.module, ctx.attr.version, ctx.attr.sum)

    # Files in the module cache are read-only: copy them, then make the copy writable for patching.
    _run(ctx, ["cp", "-R", src + "/.", "."], {}, "copy " + src)
    _run(ctx, ["chmod", "-R", "u+w", "."], {}, "chmod")
    for p in ctx.attr.patches:
        ctx.patch(p, strip = 1)
    for cmd in ctx.attr.post_commands:
        _run(ctx, ["/bin/sh", "-c", cmd], _go_env(ctx, {"PATH": "%s:/usr/bin:/bin" % str(ctx.path(go).dirname)}), cmd)

go_module_repository = repository_rule(
    implementation = _go_module_repository_impl,
    doc = "A Go module's source tree (e.g. rules_go, Gazelle) from the module proxy, patched.",
    attrs = {
        "module": attr.string(mandatory = True, doc = "module path"),
        "version": attr.string(mandatory = True),
        "sum": attr.string(mandatory = True, doc = "the h1: sum go.sum would record"),
        "patches": attr.label_list(doc = "patches applied with strip 1"),
        "post_commands": attr.string_list(doc = "shell commands run in the repository after patching"),
    },
    environ = ["GOPROXY", "GOMODCACHE"],
)

_SDK_BUILD = """\
load("@io_bazel_rules_go//go/private/rules:binary.bzl", "go_tool_binary")
load("@io_bazel_rules_go//go/private/rules:sdk.bzl", "package_list")
load("@io_bazel_rules_go//go:def.bzl", "declare_toolchains", "go_sdk")

package(default_visibility = ["//visibility:public"])

# The standard library, precompiled by the repository rule with cgo...
filegroup(
    name = "libs",
    srcs = glob(
        ["pkg/{goos}_{goarch}/**/*.a"],
        exclude = ["pkg/{goos}_{goarch}/**/cmd/**"],
    ),
)

# ...and without (CGO_ENABLED=0, for pure = "on" targets such as //runsc).
filegroup(
    name = "pure_libs",
    srcs = glob(
        ["pkg/{goos}_{goarch}_pure/**/*.a"],
        exclude = ["pkg/{goos}_{goarch}_pure/**/cmd/**"],
    ),
)

filegroup(
    name = "headers",
    srcs = glob(["pkg/include/*.h"]),
)

filegroup(
    name = "srcs",
    srcs = glob(["src/**"]),
)

filegroup(
    name = "tools",
    srcs = glob([
        "pkg/tool/**",
        "bin/gofmt*",
    ]),
)

go_sdk(
    name = "go_sdk",
    srcs = [":srcs"],
    go = "bin/go",
    goarch = "{goarch}",
    goos = "{goos}",
    headers = [":headers"],
    libs = [":libs"],
    pure_libs = [":pure_libs"],
    package_list = ":package_list",
    root_file = "ROOT",
    tools = [":tools"],
)

go_tool_binary(
    name = "builder",
    srcs = ["@io_bazel_rules_go//go/tools/builders:builder_srcs"],
    sdk = ":go_sdk",
)

package_list(
    name = "package_list",
    srcs = [":srcs"],
    out = "packages.txt",
    root_file = "ROOT",
)

declare_toolchains(
    builder = ":builder",
    host = "{goos}_{goarch}",
    sdk = ":go_sdk",
)

filegroup(
    name = "files",
    srcs = glob([
        "bin/go*",
        "src/**",
        "pkg/**",
    ]),
)

exports_files(
    ["lib/time/zoneinfo.zip"],
    visibility = ["//visibility:public"],
)
"""

def _go_sdk_repository_impl(ctx):
    host_go = _host_go(ctx)
    module_version = "v0.0.1-go%s.%s-%s" % (ctx.attr.version, _GOOS, _GOARCH)
    dist = _download_module(ctx, host_go, "golang.org/toolchain", module_version, ctx.attr.sum)

    # A GOROOT of our own: the sources stay in the (read-only) module cache and are linked;
    # pkg/ is ours, so the precompiled standard library and the pack tool can go there. The
    # module zip records no file modes, so the programs are copied and made executable.
    for entry in ["src", "lib", "misc", "go.env", "VERSION"]:
        if ctx.path(dist + "/" + entry).exists:
            ctx.symlink(dist + "/" + entry, entry)
    ctx.symlink(dist + "/pkg/include", "pkg/include")
    tooldir = "pkg/tool/%s_%s" % (_GOOS, _GOARCH)
    _run(ctx, ["mkdir", "-p", "bin", tooldir], {}, "mkdir")
    _run(ctx, ["cp", dist + "/bin/go", dist + "/bin/gofmt", "bin/"], {}, "copy bin")
    _run(ctx, ["/bin/sh", "-c", 'cp "$0"/* "$1"/', dist + "/" + tooldir, tooldir], {}, "copy " + tooldir)
    _run(ctx, ["chmod", "-R", "u+w,a+rx", "bin", tooldir], {}, "chmod")
    ctx.file("ROOT", "")

    goroot = str(ctx.path("."))
    go = goroot + "/bin/go"
    env = _go_env(ctx, {
        "GOROOT": goroot,
        "GOFLAGS": "",
        "GO111MODULE": "",
        "GODEBUG": "installgoroot=all",
        "PATH": "/usr/bin:/bin",
    })

    # Go 1.25 stopped shipping cmd/pack, which rules_go still calls to add assembly objects to
    # an archive; its source is still in the SDK.
    if not ctx.path(tooldir + "/pack").exists:
        ctx.report_progress("building cmd/pack")
        _run(ctx, [go, "build", "-trimpath", "-o", tooldir + "/pack", "cmd/pack"], env, "go build cmd/pack", working_directory = goroot)

    # Since Go 1.20 the SDK ships no compiled standard library, and rules_go would compile it
    # once per configuration (minutes each on two cores). Install it here, once with cgo and
    # once without (in pkg/linux_amd64_pure, which the patched rules_go uses for pure mode).
    ctx.report_progress("compiling the standard library (cgo)")
    cgo_env = dict(env)
    cgo_env.update({"CGO_ENABLED": "1", "CC": ctx.attr.cc})
    _run(ctx, [go, "install", "std"], cgo_env, "go install std", working_directory = goroot)
    ctx.report_progress("compiling the standard library (pure)")
    pure_env = dict(env)
    pure_env["CGO_ENABLED"] = "0"
    _run(ctx, [go, "install", "-installsuffix", "pure", "std"], pure_env, "go install -installsuffix pure std", working_directory = goroot)

    ctx.file("BUILD.bazel", _SDK_BUILD.replace("{goos}", _GOOS).replace("{goarch}", _GOARCH))

go_sdk_repository = repository_rule(
    implementation = _go_sdk_repository_impl,
    doc = "A Go SDK from the module proxy (golang.org/toolchain) with a precompiled standard library.",
    attrs = {
        "version": attr.string(mandatory = True, doc = "Go version, e.g. 1.26.8"),
        "sum": attr.string(mandatory = True, doc = "h1: sum of golang.org/toolchain@v0.0.1-go<version>.linux-amd64"),
        "cc": attr.string(default = "gcc", doc = "C compiler for the standard library's cgo packages"),
    },
    environ = ["GOPROXY", "GOMODCACHE"],
)

def _cc_rules_repository_impl(ctx):
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", "")
    ctx.file("cc/BUILD.bazel", "")
    ctx.file("cc/defs.bzl", """\
\"\"\"Forwards rules_cc's macros to Bazel's native C++ rules.\"\"\"

def cc_binary(**kwargs):
    native.cc_binary(**kwargs)

def cc_library(**kwargs):
    native.cc_library(**kwargs)

def cc_test(**kwargs):
    native.cc_test(**kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)

def cc_proto_library(**kwargs):
    native.cc_proto_library(**kwargs)

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)

def objc_library(**kwargs):
    native.objc_library(**kwargs)
""")

cc_rules_repository = repository_rule(
    implementation = _cc_rules_repository_impl,
    doc = """@rules_cc for Bazel 4.2: Debian's bazel-rules-cc needs a newer Bazel, and this build
    needs nothing from rules_cc but the names of the native rules.""",
)

def _coverage_stub_repository_impl(ctx):
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("unsupported.sh", "#!/bin/sh\necho 'coverage is not supported in this build' >&2\nexit 1\n", executable = True)
    ctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

# Coverage is not supported in this offline build; these stand in for Bazel's downloaded tools.
sh_binary(
    name = "coverage_report_generator",
    srcs = ["unsupported.sh"],
)

sh_binary(
    name = "lcov_merger",
    srcs = ["unsupported.sh"],
)
""")

coverage_stub_repository = repository_rule(
    implementation = _coverage_stub_repository_impl,
    doc = "An empty @remote_coverage_tools: Bazel 4.2 would otherwise download it over HTTP.",
)
