// Package linux holds the guest ABI: the numbers, flags and structs that Linux
// defines for x86-64 user space, named as Linux names them, with their exact
// byte layout.
//
// It owns the application's view of the kernel. It must not import
// golang.org/x/sys/unix or anything else that describes the host: the guest
// ABI and the host ABI never mix, even where their numbers coincide.
package linux
