package futex

import (
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// fakeFile is a stand-in for the memory file: words of memory that several
// fake address spaces may map.
type fakeFile struct {
	words []uint32
}

func newFakeFile(nwords int) *fakeFile {
	return &fakeFile{words: make([]uint32, nwords)}
}

// fakeMM is a Target: an address space with the whole of file mapped at
// base, readable and, unless readOnly, writable. Private keys are {mm, addr}
// and do not look at the mapping, as Linux; shared keys are file offsets.
type fakeMM struct {
	id       uintptr
	file     *fakeFile
	base     uint64
	readOnly bool
}

// fakeBase is where newFakeMM maps the file.
const fakeBase = 0x10000

func newFakeMM(id uintptr, file *fakeFile, base uint64) *fakeMM {
	return &fakeMM{id: id, file: file, base: base}
}

// word returns the word at addr, or EINVAL/EFAULT.
func (f *fakeMM) word(addr uint64) (*uint32, error) {
	if addr%4 != 0 {
		return nil, linux.EINVAL
	}
	if addr < f.base || addr-f.base >= uint64(len(f.file.words))*4 {
		return nil, linux.EFAULT
	}
	return &f.file.words[(addr-f.base)/4], nil
}

func (f *fakeMM) Key(addr uint64, private bool) (Key, error) {
	if addr%4 != 0 {
		return Key{}, linux.EINVAL
	}
	if private {
		return Key{Private: true, MM: f.id, Offset: addr}, nil
	}
	if _, err := f.word(addr); err != nil {
		return Key{}, err
	}
	return Key{Offset: addr - f.base}, nil
}

func (f *fakeMM) LoadUint32(addr uint64) (uint32, error) {
	p, err := f.word(addr)
	if err != nil {
		return 0, err
	}
	return atomic.LoadUint32(p), nil
}

func (f *fakeMM) CompareAndSwapUint32(addr uint64, old, new uint32) (uint32, error) {
	p, err := f.word(addr)
	if err != nil {
		return 0, err
	}
	if f.readOnly {
		return 0, linux.EFAULT
	}
	for {
		cur := atomic.LoadUint32(p)
		if cur != old {
			return cur, nil
		}
		if atomic.CompareAndSwapUint32(p, old, new) {
			return old, nil
		}
	}
}

func (f *fakeMM) SwapUint32(addr uint64, new uint32) (uint32, error) {
	p, err := f.word(addr)
	if err != nil {
		return 0, err
	}
	if f.readOnly {
		return 0, linux.EFAULT
	}
	return atomic.SwapUint32(p, new), nil
}

// store sets the word at addr (a test helper; addr must be mapped).
func (f *fakeMM) store(addr uint64, v uint32) {
	p, err := f.word(addr)
	if err != nil {
		panic(err)
	}
	atomic.StoreUint32(p, v)
}

// load reads the word at addr (a test helper; addr must be mapped).
func (f *fakeMM) load(addr uint64) uint32 {
	p, err := f.word(addr)
	if err != nil {
		panic(err)
	}
	return atomic.LoadUint32(p)
}

// storeUint64 writes a little-endian 64-bit value at an aligned addr.
func (f *fakeMM) storeUint64(addr uint64, v uint64) {
	f.store(addr, uint32(v))
	f.store(addr+4, uint32(v>>32))
}
