package boot

import (
	"fmt"
	"sync"

	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"golang.org/x/sys/unix"
)

// Shared mappings of files of a tmpfs over a filestore map the filestore's
// pages: tmpfs tells mm which memory file they are in.
var _ mm.MemoryFileMappable = (*tmpfs.RegularFile)(nil)

// filestores are the results of OverlayMemoryFile by filestore FD, so that
// a second call for the same FD does not truncate the first one's data, nor
// touch an FD that a failed first call closed.
var filestores struct {
	mu   sync.Mutex
	made map[int]filestoreResult
}

type filestoreResult struct {
	mf  *pgalloc.MemoryFile
	err error
}

// hasFilestore reports whether args carries a filestore FD.
func hasFilestore(args Args) bool { return args.FilestoreFD > 2 }

// OverlayMemoryFile returns the memory file that the root overlay's upper
// tmpfs keeps its file data in. Without a filestore (args.FilestoreFD) it is
// defaultMF. With one, it is a memory file over the filestore (it takes the
// FD, and closes it on failure), registered with the platform p so that application address spaces
// can map its pages: p must be the kernel's platform, and the call must come
// before the first address space is created (setupFilesystems does), since
// older address spaces cannot map it. Calling it again for the same FD
// returns the same memory file. The memory file lives until the sandbox
// exits.
//
// An error means the filestore cannot be used (the platform cannot map a
// second file, or the host file cannot be sized or mapped); the sandbox
// should not start, since runsc already chose the filestore over memory.
func OverlayMemoryFile(p platform.Platform, args Args, defaultMF *pgalloc.MemoryFile) (*pgalloc.MemoryFile, error) {
	if !hasFilestore(args) {
		return defaultMF, nil
	}
	fd := args.FilestoreFD
	filestores.mu.Lock()
	defer filestores.mu.Unlock()
	r, ok := filestores.made[fd]
	if !ok {
		r.mf, r.err = newFilestore(p, fd)
		if filestores.made == nil {
			filestores.made = make(map[int]filestoreResult)
		}
		filestores.made[fd] = r
	}
	return r.mf, r.err
}

// newFilestore makes the memory file over fd and registers it with p. On
// failure fd is closed.
func newFilestore(p platform.Platform, fd int) (*pgalloc.MemoryFile, error) {
	adder, ok := p.(platform.MemoryFileAdder)
	if !ok {
		unix.Close(fd)
		return nil, fmt.Errorf("overlay filestore: platform %s cannot map a second memory file", p.Name())
	}
	mf, err := pgalloc.NewFromFD(fd, "overlay-filestore", pgalloc.DefaultCapacity)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("overlay filestore: %w", err)
	}
	if err := adder.AddMemoryFile(mf.FD()); err != nil {
		mf.Close()
		return nil, fmt.Errorf("overlay filestore: %w", err)
	}
	log.Debugf("boot: the root overlay's upper layer keeps its data in the filestore (fd %d)", fd)
	return mf, nil
}
