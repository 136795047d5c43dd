// Command genabi regenerates pkg/abi/linux's errno and x86-64 syscall-number
// tables from the host's Linux UAPI headers. Run it from the module root:
//
//	go run ./tools/genabi          # rewrite the generated files
//	go run ./tools/genabi --check  # exit 1 if they are out of date
//
// It owns nothing at run time; it must not be linked into runsc.
package main

import (
	"flag"
	"fmt"
	"os"

	"bulwark.dev/bulwark/tools/genabi/gen"
)

func main() {
	check := flag.Bool("check", false, "do not write; exit non-zero if the checked-in files differ from the generated ones")
	root := flag.String("root", ".", "module root")
	h := gen.DefaultHeaders
	flag.StringVar(&h.ErrnoBase, "errno-base", h.ErrnoBase, "path of asm-generic/errno-base.h")
	flag.StringVar(&h.Errno, "errno", h.Errno, "path of asm-generic/errno.h")
	flag.StringVar(&h.Unistd64, "unistd64", h.Unistd64, "path of asm/unistd_64.h")
	flag.Parse()

	var err error
	if *check {
		err = gen.Check(*root, h)
	} else {
		err = gen.Write(*root, h)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
