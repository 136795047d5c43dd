// Package e2e holds the end-to-end acceptance tests of the sandbox: they build
// runsc (or take the binary named by $RUNSC), run real programs with
// `runsc do`, and check exit codes, output, --strace lines and that nothing
// of a sandbox outlives its runsc process.
//
// The tests drive runsc only through its command line, as a user would; they
// must not import sentry packages or depend on how runsc works inside.
package e2e
