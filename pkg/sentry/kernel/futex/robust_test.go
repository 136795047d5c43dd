package futex

import (
	"errors"
	"reflect"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

const (
	tid      = 42
	otherTID = 43
	waiters  = linux.FUTEX_WAITERS
	died     = linux.FUTEX_OWNER_DIED

	// A robust list laid out in mm0: the head, then entries whose futex
	// word sits robustOffset bytes after them.
	robustHead   = fakeBase + 0x100
	robustE1     = fakeBase + 0x200
	robustE2     = fakeBase + 0x300
	robustE3     = fakeBase + 0x400
	robustOffset = 8
)

// robustList writes a list head at robustHead linking entries in order
// (pointer values, so bit 0 may mark PI), with futex offset off and
// list_op_pending pending.
func robustList(f *fakeMM, off int64, pending uint64, entries ...uint64) {
	prev := uint64(robustHead)
	for _, e := range entries {
		f.storeUint64(prev, e)
		prev = e &^ 1
	}
	f.storeUint64(prev, robustHead)
	f.storeUint64(robustHead+8, uint64(off))
	f.storeUint64(robustHead+16, pending)
}

func TestExitRobustList(t *testing.T) {
	w1, w2, w3 := uint64(robustE1+robustOffset), uint64(robustE2+robustOffset), uint64(robustE3+robustOffset)
	for _, tc := range []struct {
		name  string
		setup func(f *fakeMM) (head uint64)
		words map[uint64]uint32 // expected words afterwards
		wakes []uint64
	}{
		{
			name: "owned futexes get OWNER_DIED, waiters get a wake",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset, 0, robustE1, robustE2, robustE3)
				f.store(w1, tid|waiters)
				f.store(w2, tid)
				f.store(w3, otherTID|waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: died | waiters, w2: died, w3: otherTID | waiters},
			wakes: []uint64{w1},
		},
		{
			name: "owner died already is woken again",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset, 0, robustE1)
				f.store(w1, died|waiters|tid)
				return robustHead
			},
			words: map[uint64]uint32{w1: died | waiters},
			wakes: []uint64{w1},
		},
		{
			name: "negative futex offset",
			setup: func(f *fakeMM) uint64 {
				robustList(f, -0x20, 0, robustE2)
				f.store(robustE2-0x20, tid|waiters)
				return robustHead
			},
			words: map[uint64]uint32{robustE2 - 0x20: died | waiters},
			wakes: []uint64{robustE2 - 0x20},
		},
		{
			name: "PI futex is marked but not woken",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset, 0, robustE1|1, robustE2)
				f.store(w1, tid|waiters)
				f.store(w2, tid|waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: died | waiters, w2: died | waiters},
			wakes: []uint64{w2},
		},
		{
			name: "pending unowned futex is woken untouched",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset, robustE1)
				f.store(w1, waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: waiters},
			wakes: []uint64{w1},
		},
		{
			name: "pending unowned PI futex is left alone",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset, robustE1|1)
				f.store(w1, waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: waiters},
		},
		{
			name: "pending futex on the list is handled once",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset, robustE2, robustE1, robustE2)
				f.store(w1, tid)
				f.store(w2, tid|waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: died, w2: died | waiters},
			wakes: []uint64{w2},
		},
		{
			name: "a fault in the list stops the walk after the current entry",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset, 0, robustE1, robustE2)
				f.storeUint64(robustE2, unmapped)
				f.store(w1, tid|waiters)
				f.store(w2, tid|waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: died | waiters, w2: died | waiters},
			wakes: []uint64{w1, w2},
		},
		{
			name: "an unreadable futex word stops the walk and skips pending",
			setup: func(f *fakeMM) uint64 {
				// The entry at last is mapped, its futex word is not.
				last := uint64(fakeBase + fileWords*4 - robustOffset)
				robustList(f, robustOffset, robustE3, robustE1, last, robustE2)
				f.store(w1, tid|waiters)
				f.store(w2, tid|waiters)
				f.store(w3, tid|waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: died | waiters, w2: tid | waiters, w3: tid | waiters},
			wakes: []uint64{w1},
		},
		{
			name: "a misaligned futex word stops the walk",
			setup: func(f *fakeMM) uint64 {
				robustList(f, robustOffset+2, 0, robustE1, robustE2)
				f.store(w1, tid|waiters)
				return robustHead
			},
			words: map[uint64]uint32{w1: tid | waiters},
		},
		{
			name:  "no list",
			setup: func(f *fakeMM) uint64 { return 0 },
		},
		{
			name:  "unmapped head",
			setup: func(f *fakeMM) uint64 { return unmapped },
		},
		{
			name: "misaligned head is read",
			setup: func(f *fakeMM) uint64 {
				// Bytes 0..23 of the head start at robustHead+4.
				f.storeUint64(robustHead, uint64(robustE1)<<32)
				f.storeUint64(robustHead+8, robustOffset<<32|uint64(robustE1)>>32)
				f.storeUint64(robustHead+16, 0)
				f.storeUint64(robustHead+24, 0)
				f.storeUint64(robustE1, robustHead+4)
				f.store(w1, tid|waiters)
				return robustHead + 4
			},
			words: map[uint64]uint32{w1: died | waiters},
			wakes: []uint64{w1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeMM(1, newFakeFile(fileWords), fakeBase)
			head := tc.setup(f)
			var wakes []uint64
			ExitRobustList(f, head, tid, func(addr uint64) { wakes = append(wakes, addr) })
			for addr, want := range tc.words {
				if got := f.load(addr); got != want {
					t.Errorf("word at %#x = %#x, want %#x", addr, got, want)
				}
			}
			if !reflect.DeepEqual(wakes, tc.wakes) {
				t.Errorf("wakes = %#x, want %#x", wakes, tc.wakes)
			}
		})
	}
}

// TestExitRobustListLimit checks that the walk stops after
// ROBUST_LIST_LIMIT entries of a longer list.
func TestExitRobustListLimit(t *testing.T) {
	const entries = linux.ROBUST_LIST_LIMIT + 100
	const entrySize = 16
	f := newFakeMM(1, newFakeFile((entries+2)*entrySize/4), fakeBase)
	head := uint64(fakeBase)
	entry := func(i int) uint64 { return fakeBase + entrySize*uint64(i+1) }
	f.storeUint64(head, entry(0))
	f.storeUint64(head+8, 8)
	for i := 0; i < entries; i++ {
		next := head
		if i+1 < entries {
			next = entry(i + 1)
		}
		f.storeUint64(entry(i), next)
		f.store(entry(i)+8, tid)
	}
	ExitRobustList(f, head, tid, func(uint64) {})
	released := 0
	for i := 0; i < entries; i++ {
		if f.load(entry(i)+8) == died {
			released++
		}
	}
	if released != linux.ROBUST_LIST_LIMIT {
		t.Errorf("released %d futexes, want %d", released, linux.ROBUST_LIST_LIMIT)
	}
}

// TestExitRobustListCircular checks that a list looping on itself ends.
func TestExitRobustListCircular(t *testing.T) {
	f := newFakeMM(1, newFakeFile(fileWords), fakeBase)
	robustList(f, robustOffset, 0, robustE1)
	f.storeUint64(robustE1, robustE1)
	f.store(robustE1+robustOffset, tid|waiters)
	wakes := 0
	ExitRobustList(f, robustHead, tid, func(uint64) { wakes++ })
	if wakes != 1 {
		t.Errorf("woke %d times, want 1", wakes)
	}
	if got := f.load(robustE1 + robustOffset); got != died|waiters {
		t.Errorf("word = %#x, want %#x", got, died|waiters)
	}
}

func TestLoadUint64(t *testing.T) {
	f := newFakeMM(1, newFakeFile(4), fakeBase)
	for i := uint64(0); i < 4; i++ {
		f.store(fakeBase+4*i, uint32(0x03020100+0x04040404*i))
	}
	for _, tc := range []struct {
		addr uint64
		want uint64
		err  error
	}{
		{addr: fakeBase, want: 0x0706050403020100},
		{addr: fakeBase + 1, want: 0x0807060504030201},
		{addr: fakeBase + 2, want: 0x0908070605040302},
		{addr: fakeBase + 3, want: 0x0a09080706050403},
		{addr: fakeBase + 8, want: 0x0f0e0d0c0b0a0908},
		{addr: fakeBase + 9, err: linux.EFAULT},
		{addr: fakeBase - 1, err: linux.EFAULT},
		{addr: ^uint64(0) - 3, err: linux.EFAULT},
	} {
		got, err := loadUint64(f, tc.addr)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("loadUint64(%#x) error %v, want %v", tc.addr, err, tc.err)
			continue
		}
		if got != tc.want {
			t.Errorf("loadUint64(%#x) = %#x, want %#x", tc.addr, got, tc.want)
		}
	}
}
