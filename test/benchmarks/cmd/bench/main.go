// Command bench runs Bulwark's benchmarks and prints their results as a
// table: each benchmark (a C program in test/benchmarks) runs natively, in
// Bulwark's runsc and in Debian's runsc (gVisor, the peer), interleaved
// round by round in one run, so the ratios to native are fair on a machine
// whose speed drifts.
//
// The benchmarks are listed in the benchmarks table: the system call round
// trip (getpid.c), the file system's stat, open+close and sequential read
// (fs.c), and processes (proc.c): fork+exec+wait of a static program
// (true.c), pipe throughput, a one-byte pipe ping-pong between two processes,
// and a `make -j2` build of a small C program with gcc; and two file-system
// workloads in the container root, which also run on Bulwark with
// --overlay2=root:memory and none and on the peer with --overlay2=root:memory
// and none: test/fsstress's verifier (20000 operations) and a tar extraction
// of /usr/include. The read benchmark's file is created before the first round in a
// work directory under /var/tmp (Bulwark's `runsc do` covers /tmp with an
// empty tmpfs, so a host file under /tmp is invisible in the sandbox) and
// removed at the end, as are the built programs.
//
// It only measures and reports: it never fails because a number is slow, and
// a runner that cannot run a benchmark is reported with the reason instead
// of a number.
//
// Usage (from the repository root; `make bench` does this):
//
//	go run ./test/benchmarks/cmd/bench [-runsc bin/runsc] [-peer /usr/bin/runsc] [-rounds 5] [-n 20000] [-run regexp]
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
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
	srcDir    = flag.String("src", "test/benchmarks", "directory of the benchmarks' C sources")
	workFlag  = flag.String("workdir", "/var/tmp", "where the programs and the read benchmark's file are made (not /tmp: the sandbox hides it)")
	runFlag   = flag.String("run", "", "run only the benchmarks whose names match this regular expression")
	rounds    = flag.Int("rounds", 5, "rounds; each round runs every benchmark on every runner once")
	calls     = flag.Int("n", 20000, "calls per run of the getpid, stat and open benchmarks")
	statPath  = flag.String("path", "/etc/hostname", "file of the container root that stat and open use")
	readMiB   = flag.Int("read-mib", 1024, "size of the read benchmark's file, MiB")
	readBlock = flag.Int("read-block", 1<<20, "bytes per read call of the read benchmark")
	spawns    = flag.Int("spawns", 100, "fork+exec+wait runs per run of the spawn benchmark")
	pipeMiB   = flag.Int("pipe-mib", 512, "MiB sent through the pipe benchmark's pipe")
	trips     = flag.Int("trips", 5000, "round trips per run of the ping-pong benchmark")
	makeProj  = flag.String("makeproj", "test/e2e/testdata/makeproj", "the C project the make benchmark builds")
	stressOps = flag.Int("fsstress-ops", 20000, "operations per run of the fsstress benchmark")
	tarDir    = flag.String("tar-dir", "/usr/include", "the directory the tar benchmark archives once and extracts in every run")
	timeout   = flag.Duration("timeout", 5*time.Minute, "limit for one run (a hang guard)")
)

// env is what a benchmark's arguments are made from.
type env struct {
	readFile string            // the read benchmark's file
	progs    map[string]string // the built programs by name
	makeProj string            // absolute path of the make benchmark's project
	dir      string            // the work directory: on the host, in the sandbox's root
	tarFile  string            // the tar benchmark's archive
}

// benchmark is one measurement: a program built from a C source in srcDir,
// run with arguments, printing a metric as a key=value field.
type benchmark struct {
	name string
	// prog is the program's name; its source is prog + ".c".
	prog string
	args func(e *env) []string
	// metric is the output field holding the result, unit its unit.
	metric, unit string
	// rate is set for a metric where more is better (a throughput): the
	// ratio to native is then inverted, so "× native" is always how many
	// times longer the work takes than natively.
	rate bool
	// needsFile is set if the benchmark reads env.readFile.
	needsFile bool
	// uses are other programs (built from srcDir like prog) that the
	// arguments name through env.progs.
	uses []string
	// src, if set, is prog's source instead of srcDir/prog.c.
	src string
	// overlay marks the file-system workloads in the root, which also
	// run on the runners that try each --overlay2 mode.
	overlay bool
	// needsTar is set if the benchmark extracts env.tarFile.
	needsTar bool
}

// tarScript extracts the archive $3 into a new directory under $1 (in the
// sandbox's root: an overlay, or the host through the gofer) and times only
// the extraction with $2 (proc time); the tree is removed afterwards.
const tarScript = `d=$(mktemp -d -p "$1") && "$2" time "$(command -v tar)" -xf "$3" -C "$d"; s=$?; rm -rf "$d"; exit $s`

// makeScript builds a copy of the project $1 in a new temporary directory
// with make -j2 (in the sandbox, /tmp is a tmpfs).
const makeScript = `d=$(mktemp -d) && cp -r "$1"/. "$d" && cd "$d" && make -s -j2 >/dev/null; s=$?; rm -rf "$d"; exit $s`

var benchmarks = []benchmark{
	{
		name: "getpid", prog: "getpid", metric: "ns_per_call", unit: "ns/call",
		args: func(*env) []string { return []string{strconv.Itoa(*calls)} },
	},
	{
		name: "stat", prog: "fs", metric: "ns_per_call", unit: "ns/call",
		args: func(*env) []string { return []string{"stat", *statPath, strconv.Itoa(*calls)} },
	},
	{
		name: "open+close", prog: "fs", metric: "ns_per_call", unit: "ns/call",
		args: func(*env) []string { return []string{"open", *statPath, strconv.Itoa(*calls)} },
	},
	{
		name: "read", prog: "fs", metric: "mb_per_s", unit: "MB/s", rate: true, needsFile: true,
		args: func(e *env) []string { return []string{"read", e.readFile, strconv.Itoa(*readBlock)} },
	},
	{
		name: "fork+exec+wait", prog: "proc", metric: "ms_per_spawn", unit: "ms/spawn", uses: []string{"true"},
		args: func(e *env) []string { return []string{"spawn", e.progs["true"], strconv.Itoa(*spawns)} },
	},
	{
		name: "pipe", prog: "proc", metric: "mb_per_s", unit: "MB/s", rate: true,
		args: func(*env) []string { return []string{"pipe", strconv.Itoa(*pipeMiB)} },
	},
	{
		name: "pipe ping-pong", prog: "proc", metric: "us_per_trip", unit: "µs/trip",
		args: func(*env) []string { return []string{"pingpong", strconv.Itoa(*trips)} },
	},
	{
		name: "make -j2", prog: "proc", metric: "ms", unit: "ms",
		args: func(e *env) []string { return []string{"time", "/bin/sh", "-c", makeScript, "sh", e.makeProj} },
	},
	{
		// test/fsstress's verifier, in a fresh tree in the root that it
		// populates itself (-P) and removes (-r); ms covers the
		// operations and verifications.
		name: "fsstress", prog: "fsstress", src: "test/fsstress/src/fsstress.c", metric: "ms", unit: "ms", overlay: true,
		args: func(e *env) []string {
			return []string{"-P", "-r", "-s", "1", "-n", strconv.Itoa(*stressOps), e.dir}
		},
	},
	{
		name: "tar x /usr/include", prog: "proc", metric: "ms", unit: "ms", overlay: true, needsTar: true,
		args: func(e *env) []string {
			return []string{"time", "/bin/sh", "-c", tarScript, "sh", e.dir, e.progs["proc"], e.tarFile}
		},
	},
}

// runner is one way of running a benchmark program.
type runner struct {
	name   string
	prefix []string // argv before the program; empty for native
	// skip, if set, is why the runner is not run at all.
	skip string
	// overlay says the runner runs only the overlay benchmarks.
	overlay bool
}

// result collects one benchmark's runs on one runner.
type result struct {
	samples []float64 // the metric, one per successful round
	errs    []string  // why rounds failed
}

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: bench [flags]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 || *rounds < 1 || *calls < 1 || *readMiB < 1 || *readBlock < 1 || *spawns < 1 || *pipeMiB < 1 || *trips < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	selected, err := selectBenchmarks(*runFlag)
	if err != nil {
		return err
	}

	dir, err := os.MkdirTemp(*workFlag, "bulwark-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// An interrupted run still removes its (possibly 1 GiB) file.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "bench: %v: removed %s\n", s, dir)
		os.Exit(1)
	}()

	makeProj, err := filepath.Abs(*makeProj)
	if err != nil {
		return err
	}
	e := &env{progs: map[string]string{}, makeProj: makeProj, dir: dir}
	progs := e.progs
	for _, b := range selected {
		for _, name := range append([]string{b.prog}, b.uses...) {
			if _, ok := progs[name]; ok {
				continue
			}
			src := filepath.Join(*srcDir, name+".c")
			if name == b.prog && b.src != "" {
				src = b.src
			}
			prog := filepath.Join(dir, name)
			if out, err := exec.Command("gcc", "-static", "-O2", "-o", prog, src).CombinedOutput(); err != nil {
				return fmt.Errorf("build %s (run from the repository root): %v\n%s", src, err, out)
			}
			progs[name] = prog
		}
		if b.needsFile && e.readFile == "" {
			e.readFile = filepath.Join(dir, "read-data")
			fmt.Fprintf(os.Stderr, "creating %d MiB in %s\n", *readMiB, e.readFile)
			if err := writeFile(e.readFile, int64(*readMiB)<<20); err != nil {
				return err
			}
		}
		if b.needsTar && e.tarFile == "" {
			e.tarFile = filepath.Join(dir, "tar-data.tar")
			abs, err := filepath.Abs(*tarDir)
			if err != nil {
				return err
			}
			if out, err := exec.Command("tar", "-cf", e.tarFile, "-C", filepath.Dir(abs), filepath.Base(abs)).CombinedOutput(); err != nil {
				return fmt.Errorf("tar -cf %s %s: %v\n%s", e.tarFile, abs, err, out)
			}
		}
	}

	// The runners marked overlay run only the overlay benchmarks: the
	// other benchmarks do not touch the root's files. Bulwark's default is
	// root:self. Debian's `runsc do` adds an overlay of its own unless
	// -force-overlay=false, so its "none" needs that flag to write to
	// the host through its gofer.
	runners := []*runner{
		{name: "native"},
		{name: "bulwark", prefix: []string{*runscFlag, "do"}},
		{name: "bulwark root:memory", prefix: []string{*runscFlag, "--overlay2=root:memory", "do"}, overlay: true},
		{name: "bulwark none", prefix: []string{*runscFlag, "--overlay2=none", "do"}, overlay: true},
		{name: "gvisor peer", prefix: []string{*peerFlag, "--network=none", "do"}},
		{name: "gvisor peer root:memory", prefix: []string{*peerFlag, "--network=none", "--overlay2=root:memory", "do"}, overlay: true},
		{name: "gvisor peer none", prefix: []string{*peerFlag, "--network=none", "--overlay2=none", "do", "-force-overlay=false"}, overlay: true},
	}
	anyOverlay := false
	for _, b := range selected {
		anyOverlay = anyOverlay || b.overlay
	}
	if !anyOverlay {
		// No overlay benchmark: leave their columns out.
		var kept []*runner
		for _, r := range runners {
			if !r.overlay {
				kept = append(kept, r)
			}
		}
		runners = kept
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

	results := make([][]result, len(selected))
	for i := range results {
		results[i] = make([]result, len(runners))
	}
	for round := 1; round <= *rounds; round++ {
		for bi, b := range selected {
			args := append([]string{progs[b.prog]}, b.args(e)...)
			for ri, r := range runners {
				if r.skip != "" || (r.overlay && !b.overlay) {
					continue
				}
				argv := append(append([]string{}, r.prefix...), args...)
				v, err := measure(argv, b.metric)
				res := &results[bi][ri]
				if err != nil {
					res.errs = append(res.errs, err.Error())
					fmt.Fprintf(os.Stderr, "round %d %s %s: %v\n", round, b.name, r.name, err)
					continue
				}
				res.samples = append(res.samples, v)
				fmt.Fprintf(os.Stderr, "round %d %s %s: %.1f %s\n", round, b.name, r.name, v, b.unit)
			}
		}
	}

	report(selected, runners, results)
	return nil
}

// selectBenchmarks returns the benchmarks whose names match expr (all if
// expr is empty).
func selectBenchmarks(expr string) ([]benchmark, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("-run: %w", err)
	}
	var out []benchmark
	for _, b := range benchmarks {
		if re.MatchString(b.name) {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-run %q matches no benchmark", expr)
	}
	return out, nil
}

// writeFile creates path with size bytes of random data (repeated 1 MiB
// blocks) and flushes it to disk, so write-back does not disturb the
// rounds; its pages stay in the page cache, so every read is a cached read.
func writeFile(path string, size int64) error {
	block := make([]byte, 1<<20)
	if _, err := rand.Read(block); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	for left := size; left > 0; left -= int64(len(block)) {
		if _, err := f.Write(block[:min(left, int64(len(block)))]); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// measure runs argv once and returns the value of the field metric=
// that the program printed.
func measure(argv []string, metric string) (float64, error) {
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
		if v, ok := strings.CutPrefix(field, metric+"="); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no %s in output %q", metric, firstLine(stdout.String()))
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
// test/benchmarks/README.md: a row per benchmark, a column per runner
// holding the median over the rounds and its ratio to native's median.
func report(selected []benchmark, runners []*runner, results [][]result) {
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
	fmt.Printf("\n%s, Linux %s, %d CPUs, %s, host %s; bulwark: %s, gvisor peer: %s\n",
		time.Now().UTC().Format("2006-01-02"), release, runtime.NumCPU(), runtime.Version(), host, *runscFlag, *peerFlag)
	fmt.Printf("%d rounds, %d calls per run, stat and open of %s, read of %d MiB in %d-byte calls\n",
		*rounds, *calls, *statPath, *readMiB, *readBlock)
	fmt.Printf("bulwark: its default --overlay2=root:self; gvisor peer: its `do` default (an overlay it forces); fsstress: %d operations; tar: %s\n\n",
		*stressOps, *tarDir)

	header := []string{"benchmark", "unit"}
	for i, r := range runners {
		if i > 0 {
			header = append(header, r.name+" (× native)")
		} else {
			header = append(header, r.name)
		}
	}
	rows := [][]string{header}
	var notes []string
	for bi, b := range selected {
		row := []string{b.name, b.unit}
		var native float64
		if s := results[bi][0].samples; len(s) > 0 {
			native = median(s)
		}
		for ri, r := range runners {
			res := results[bi][ri]
			var cell string
			switch {
			case r.overlay && !b.overlay:
				cell = "–"
			case r.skip != "":
				cell = "skipped"
				notes = appendOnce(notes, fmt.Sprintf("%s skipped: %s", r.name, r.skip))
			case len(res.samples) == 0:
				// The whole reason goes in a note below the table.
				cell = "failed (note)"
				notes = append(notes, fmt.Sprintf("%s %s failed: %s", b.name, r.name, strings.ReplaceAll(res.errs[0], "|", `\|`)))
			default:
				m := median(res.samples)
				cell = fmt.Sprintf("%.0f", m)
				var extra []string
				if ri > 0 && native > 0 {
					ratio := m / native
					if b.rate {
						ratio = native / m
					}
					extra = append(extra, fmt.Sprintf("%.1f×", ratio))
				}
				if len(res.errs) > 0 {
					extra = append(extra, fmt.Sprintf("%d/%d rounds ok", len(res.samples), *rounds))
					notes = append(notes, fmt.Sprintf("%s %s failed: %s", b.name, r.name, res.errs[0]))
				}
				if len(extra) > 0 {
					cell += " (" + strings.Join(extra, ", ") + ")"
				}
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	printTable(rows)
	fmt.Println("\n× native: how many times longer than natively the work takes (for MB/s, native's rate over the runner's).")
	for _, n := range notes {
		fmt.Println("- " + n)
	}
}

func appendOnce(xs []string, s string) []string {
	for _, x := range xs {
		if x == s {
			return xs
		}
	}
	return append(xs, s)
}

// printTable prints rows as a Markdown table with padded columns; rows[0]
// is the header. Columns from the third on hold numbers and are
// right-aligned.
func printTable(rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	numeric := func(i int) bool { return i >= 2 }
	line := func(cells []string) {
		var b strings.Builder
		for i, cell := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if numeric(i) {
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
		if numeric(i) {
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
