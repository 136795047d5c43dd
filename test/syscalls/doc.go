// Package syscalls holds the syscall test suite: small static C programs
// (linux/*_test.c, sharing the harness in linux/harness.{h,c}) that must pass
// both natively and inside the sandbox on every platform. The native run is
// the oracle: a test that fails natively is a wrong test.
//
// The runner is syscalls_test.go (plain `go test`). This package owns only the
// tests and their runner; it must not import sentry packages or depend on how
// runsc works inside: the sandbox is driven through `runsc do` alone.
package syscalls
