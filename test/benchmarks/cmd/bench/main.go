// Command bench runs Bulwark's benchmarks and prints their results as a
// table: the getpid benchmark (test/benchmarks/getpid.c) natively, in
// Bulwark's runsc and in Debian's runsc (gVisor, the peer), interleaved
// round by round in one run, so the ratios to native are fair on a machine
// whose speed drifts.
//
// It only measures and reports: it never fails because a number is slow, and
// a runner that cannot run is reported with the reason instead of a number.
//
// Usage (from the repository root; `make bench` does this):
//
//	go run ./test/benchmarks/cmd/bench [-runsc bin/runsc] [-peer /usr/bin/runsc] [-rounds 5] [-n 20000]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

var (
	runscFlag = flag.String("runsc", "bin/runsc", "Bulwark's runsc binary")
	peerFlag  = flag.String("peer", "/usr/bin/runsc", "Debian's runsc (gVisor); skipped with a note if missing")
	srcFlag   = flag.String("src", "test/benchmarks/getpid.c", "the getpid benchmark's C source")
	rounds    = flag.Int("rounds", 5, "rounds; each round runs every runner once")
	calls     = flag.Int("n", 20000, "getpid calls per run")
	timeout   = flag.Duration("timeout", 5*time.Minute, "limit for one run (a hang guard)")
)

// runner is one way of running the benchmark program.
type runner struct {
	name   string
	prefix []string // argv before the program; empty for native
	// skip, if set, is why the runner is not run at all.
	skip    string
	samples []float64 // ns per call, one per successful round
	errs    []string  // why rounds failed
}

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: bench [flags]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 || *rounds < 1 || *calls < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "bulwark-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	prog := filepath.Join(dir, "getpid")
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", prog, *srcFlag).CombinedOutput(); err != nil {
		return fmt.Errorf("build %s (run from the repository root): %v\n%s", *srcFlag, err, out)
	}

	runners := []*runner{
		{name: "native"},
		{name: "bulwark (" + *runscFlag + ")", prefix: []string{*runscFlag, "do"}},
		{name: "gvisor peer (" + *peerFlag + ")", prefix: []string{*peerFlag, "--network=none", "do"}},
	}
	for _, r := range runners[1:] {
		if _, err := os.Stat(r.prefix[0]); errors.Is(err, fs.ErrNotExist) {
			r.skip = r.prefix[0] + " does not exist (make bench builds bin/runsc and installs Debian's runsc)"
		} else if err != nil {
			r.skip = err.Error()
		} else if os.Geteuid() != 0 {
			r.skip = "needs root"
		}
	}

	arg := strconv.Itoa(*calls)
	for i := 0; i < *rounds; i++ {
		for _, r := range runners {
			if r.skip != "" {
				continue
			}
			argv := append(append([]string{}, r.prefix...), prog, arg)
			ns, err := measure(argv)
			if err != nil {
				r.errs = append(r.errs, err.Error())
				fmt.Fprintf(os.Stderr, "round %d %s: %v\n", i+1, r.name, err)
				continue
			}
			r.samples = append(r.samples, ns)
			fmt.Fprintf(os.Stderr, "round %d %s: %.1f ns/call\n", i+1, r.name, ns)
		}
	}

	report(runners)
	return nil
}

// measure runs argv once and returns the ns/call the program printed.
func measure(argv []string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return 0, fmt.Errorf("no result within %v", *timeout)
	}
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	for _, field := range strings.Fields(stdout.String()) {
		if v, ok := strings.CutPrefix(field, "ns_per_call="); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no ns_per_call in output %q", firstLine(stdout.String()))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if s == "" {
		return "(no output)"
	}
	return s
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report prints the results as a Markdown table, ready to paste into
// test/benchmarks/README.md.
func report(runners []*runner) {
	host, _ := os.Hostname()
	var uts syscall.Utsname
	release := "?"
	if syscall.Uname(&uts) == nil {
		b := make([]byte, 0, len(uts.Release))
		for _, c := range uts.Release {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		release = string(b)
	}
	fmt.Printf("\ngetpid: %d calls per run, %d rounds, %s, Linux %s, %d CPUs, %s, host %s\n\n",
		*calls, *rounds, time.Now().UTC().Format("2006-01-02"), release, runtime.NumCPU(), runtime.Version(), host)

	var native float64
	if len(runners[0].samples) > 0 {
		native = median(runners[0].samples)
	}
	rows := [][]string{{"runner", "median ns/call", "× native", "rounds ok", "note"}}
	for _, r := range runners {
		med, ratio, note := "-", "-", ""
		if len(r.samples) > 0 {
			m := median(r.samples)
			med = fmt.Sprintf("%.0f", m)
			if native > 0 {
				ratio = fmt.Sprintf("%.1f", m/native)
			}
		}
		switch {
		case r.skip != "":
			note = "skipped: " + r.skip
		case len(r.errs) > 0:
			note = "failed: " + r.errs[0]
		}
		rows = append(rows, []string{r.name, med, ratio, fmt.Sprintf("%d/%d", len(r.samples), *rounds), note})
	}
	printTable(rows)
}

// printTable prints rows as a Markdown table with padded columns; rows[0]
// is the header. Columns 1-3 are numbers and are right-aligned.
func printTable(rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, cell := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if i >= 1 && i <= 3 {
				fmt.Fprintf(&b, "| %s%s ", pad, cell)
			} else {
				fmt.Fprintf(&b, "| %s%s ", cell, pad)
			}
		}
		fmt.Println(strings.TrimRight(b.String(), " ") + " |")
	}
	line(rows[0])
	sep := make([]string, len(width))
	for i, w := range width {
		if i >= 1 && i <= 3 {
			sep[i] = strings.Repeat("-", w-1) + ":"
		} else {
			sep[i] = strings.Repeat("-", w)
		}
	}
	line(sep)
	for _, row := range rows[1:] {
		line(row)
	}
}
