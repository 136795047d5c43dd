// Binary runsc is Bulwark's OCI runtime and sandbox launcher. Everything it
// does lives in runsc/cmd; this file only connects it to the process.
package main

import (
	"os"

	"bulwark.dev/bulwark/runsc/cmd"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], cmd.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
