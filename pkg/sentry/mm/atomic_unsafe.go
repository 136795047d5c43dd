package mm

import (
	"sync/atomic"
	"unsafe"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// withWord runs f on the 32-bit application word at addr, with mm.mu held
// so the word's memory cannot be freed meanwhile. addr must be 4-aligned.
func (mm *MM) withWord(addr uint64, write bool, f func(p *uint32)) error {
	if addr%4 != 0 {
		return linux.EINVAL
	}
	if write {
		mm.prepareWrite(addr, 4)
	}
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	v := mm.lookup(addr)
	if v == nil || !v.backed || !v.prot.Read || (write && !v.prot.Write) {
		return linux.EFAULT
	}
	b := mm.memOf(v).Bytes(v.fileOffset(addr), 4)
	// Sound: b is 4 bytes of the sentry's mapping of the memory file,
	// 4-aligned because addr and the vma's file offset are; the mapping
	// lives as long as the memory file, and mm.mu keeps the range
	// allocated while f runs.
	f((*uint32)(unsafe.Pointer(&b[0])))
	return nil
}

// LoadUint32 atomically loads the word at addr.
func (mm *MM) LoadUint32(addr uint64) (uint32, error) {
	var val uint32
	err := mm.withWord(addr, false, func(p *uint32) { val = atomic.LoadUint32(p) })
	return val, err
}

// CompareAndSwapUint32 atomically replaces the word at addr with new if it
// holds old, and returns the value it held.
func (mm *MM) CompareAndSwapUint32(addr uint64, old, new uint32) (uint32, error) {
	var prev uint32
	err := mm.withWord(addr, true, func(p *uint32) {
		for {
			prev = atomic.LoadUint32(p)
			if prev != old || atomic.CompareAndSwapUint32(p, old, new) {
				return
			}
		}
	})
	return prev, err
}

// SwapUint32 atomically stores new at addr and returns the old value.
func (mm *MM) SwapUint32(addr uint64, new uint32) (uint32, error) {
	var old uint32
	err := mm.withWord(addr, true, func(p *uint32) { old = atomic.SwapUint32(p, new) })
	return old, err
}
