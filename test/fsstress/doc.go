// Package fsstress holds the overlay's verify-after-write stress: src/fsstress.c,
// a static C program that performs a deterministic sequence of file-system
// operations (from a seed) on a directory tree and checks every byte, size,
// link count, directory listing and symlink target against its own model of
// the tree, and fsstress_test.go, which runs it natively and in the sandbox's
// root under each --overlay2 mode.
//
// This package owns only the program and its runner; it must not import
// sentry packages: the sandbox is driven through `runsc do` alone.
package fsstress
