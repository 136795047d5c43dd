// Command goprog is the Go acceptance program of the end-to-end tests: it
// exercises the parts of the kernel that the Go runtime leans on (threads,
// futexes, signals for preemption, timers, large anonymous mappings) and
// prints one line that depends only on the work done, never on scheduling.
//
// It is built with CGO_ENABLED=0 so it is a static binary, and the test runs
// it natively and in the sandbox and compares the lines.
package main

import (
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"sync"
	"time"
)

const (
	workers   = 100
	jobs      = 200
	chunkSize = 1 << 20 // 200 jobs × 1 MiB = 200 MiB kept alive at once
	ringLaps  = 50
)

// fill writes job j's deterministic pattern into b.
func fill(b []byte, j int) {
	x := uint32(j)*2654435761 + 1
	for i := range b {
		// xorshift32: cheap, deterministic, not constant per page.
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
}

func sum64(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

type result struct {
	job int
	sum uint64
}

func main() {
	runtime.GOMAXPROCS(2)

	var (
		mu      sync.Mutex
		counter int
		keep    = make([][]byte, jobs)
	)
	work := make(chan int)
	results := make(chan result, jobs)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Millisecond)
			for j := range work {
				b := make([]byte, chunkSize)
				fill(b, j)
				mu.Lock()
				counter++
				keep[j] = b
				mu.Unlock()
				results <- result{j, sum64(b)}
			}
		}()
	}
	for j := 0; j < jobs; j++ {
		work <- j
	}
	close(work)
	wg.Wait()
	close(results)

	var total uint64
	n := 0
	for r := range results {
		total += r.sum
		n++
	}

	// A token passed around a ring of goroutines: every hop is a channel
	// handoff between goroutines that the scheduler spreads over threads.
	ring := make([]chan int, workers)
	for i := range ring {
		ring[i] = make(chan int)
	}
	done := make(chan int)
	for i := 0; i < workers; i++ {
		go func(i int) {
			next := ring[(i+1)%workers]
			for v := range ring[i] {
				if v == workers*ringLaps {
					done <- v
					return
				}
				next <- v + 1
			}
		}(i)
	}
	ring[0] <- 0
	hops := <-done

	time.Sleep(10 * time.Millisecond)
	runtime.GC()

	// Everything kept alive across the GC must be intact.
	var again uint64
	var bytes int
	for _, b := range keep {
		again += sum64(b)
		bytes += len(b)
	}
	if again != total {
		fmt.Fprintf(os.Stderr, "goprog: checksum changed across GC: %016x != %016x\n", again, total)
		os.Exit(1)
	}
	runtime.KeepAlive(keep)
	fmt.Printf("goroutines=%d jobs=%d results=%d counter=%d bytes=%d hops=%d sum=%016x\n",
		workers, jobs, n, counter, bytes, hops, total)
}
