package ptrace

// The address space pool.
//
// Making an address space (a clone of the master stub, a new injector
// goroutine on a new OS thread, PTRACE_SEIZE) costs a few host context
// switches, and fork and exec each need one. A background goroutine keeps
// up to poolSize of them made ahead of time; NewAddressSpace takes one and
// asks for a replacement. A pooled address space is exactly what
// makeAddressSpace returns: a fresh clone of the master to which nothing
// has been done. One made before a file was added (AddMemoryFile) lacks
// that file; it is discarded when it is taken.
//
// The pool's goroutine ends, releasing what the pool holds, when the
// platform closes (pool.stop).

// poolSize is how many address spaces the pool keeps ready: fork and exec
// of one spawn each take one.
const poolSize = 2

// pool holds address spaces made ahead of time.
type pool struct {
	p *Platform
	// ready holds the made address spaces; only the pool's goroutine
	// sends to it.
	ready chan *addressSpace
	// want wakes the pool's goroutine to refill ready.
	want chan struct{}
	// quit ends the goroutine, which closes done when it has.
	quit, done chan struct{}
}

// startPool starts the goroutine that fills a pool of size address spaces.
func startPool(p *Platform, size int) *pool {
	pl := &pool{
		p:     p,
		ready: make(chan *addressSpace, size),
		want:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go pl.fill()
	pl.want <- struct{}{}
	return pl
}

// fill makes address spaces whenever want says that ready has room.
func (pl *pool) fill() {
	defer close(pl.done)
	for {
		select {
		case <-pl.quit:
			pl.drain()
			return
		case <-pl.want:
		}
		for len(pl.ready) < cap(pl.ready) {
			select {
			case <-pl.quit:
				pl.drain()
				return
			default:
			}
			as, err := pl.p.makeAddressSpace()
			if err != nil {
				// NewAddressSpace makes its own and reports the
				// error; try again on the next request.
				break
			}
			pl.ready <- as
		}
	}
}

// drain releases what the pool holds.
func (pl *pool) drain() {
	for {
		select {
		case as := <-pl.ready:
			as.Release()
		default:
			return
		}
	}
}

// get takes a ready address space that holds every added file, or returns
// nil if there is none.
func (pl *pool) get() *addressSpace {
	for {
		var as *addressSpace
		select {
		case as = <-pl.ready:
		default:
			return nil
		}
		select {
		case pl.want <- struct{}{}:
		default:
		}
		pl.p.mu.Lock()
		stale := as.gen != pl.p.gen
		pl.p.mu.Unlock()
		if !stale {
			return as
		}
		as.Release()
	}
}

// stop ends the pool's goroutine and releases what the pool holds.
func (pl *pool) stop() {
	close(pl.quit)
	<-pl.done
}
