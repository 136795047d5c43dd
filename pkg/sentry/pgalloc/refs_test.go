package pgalloc

import (
	"reflect"
	"testing"
)

// pageCounts expands rs to per-page extra counts over [0, n pages).
func pageCounts(rs refRanges, n int) []uint32 {
	out := make([]uint32, n)
	for _, r := range rs {
		for p := r.off / pageSize; p < r.end/pageSize; p++ {
			out[p] = r.extra
		}
	}
	return out
}

func TestRefRangesMatchPerPageCounts(t *testing.T) {
	const n = 16
	ops := []struct {
		off, end uint64 // pages
		delta    int
	}{
		{2, 6, 1}, {4, 10, 1}, {0, 16, 1}, {5, 7, -1}, {0, 3, -1}, {3, 12, -1}, {8, 9, 1},
		{0, 16, -1}, {0, 16, -1}, {1, 2, 1}, {2, 3, 1}, {1, 3, -1},
	}
	var rs refRanges
	model := make([]uint32, n)
	for i, op := range ops {
		rs.add(op.off*pageSize, op.end*pageSize, op.delta)
		for p := op.off; p < op.end; p++ {
			if int(model[p])+op.delta >= 0 {
				model[p] = uint32(int(model[p]) + op.delta)
			}
		}
		if got := pageCounts(rs, n); !reflect.DeepEqual(got, model) {
			t.Fatalf("after op %d %+v: counts %v, want %v (ranges %+v)", i, op, got, model, rs)
		}
		for k := 1; k < len(rs); k++ {
			if rs[k-1].end > rs[k].off || (rs[k-1].end == rs[k].off && rs[k-1].extra == rs[k].extra) {
				t.Fatalf("after op %d: ranges not sorted, disjoint and merged: %+v", i, rs)
			}
		}
	}
}

func TestRefRangesGaps(t *testing.T) {
	rs := refRanges{{2 * pageSize, 4 * pageSize, 1}, {6 * pageSize, 7 * pageSize, 2}}
	got := rs.gaps(0, 8*pageSize)
	want := []frange{{0, 2 * pageSize}, {4 * pageSize, 6 * pageSize}, {7 * pageSize, 8 * pageSize}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gaps = %v, want %v", got, want)
	}
	if rs.overlaps(4*pageSize, 6*pageSize) || !rs.overlaps(3*pageSize, 5*pageSize) {
		t.Error("overlaps is wrong")
	}
}

func TestForkSharingAndCopy(t *testing.T) {
	f, err := New("test", 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	off, err := f.Allocate(4 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	copy(f.Bytes(off+pageSize, 3), "abc")
	f.IncRef(off, 4*pageSize)
	if f.Exclusive(off, 4*pageSize) {
		t.Fatal("shared range reported exclusive")
	}
	dst, err := f.Allocate(4 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	f.CopyData(dst, off, 4*pageSize)
	if got := string(f.Bytes(dst+pageSize, 3)); got != "abc" {
		t.Errorf("copied data = %q", got)
	}
	f.Free(off, 4*pageSize) // the copier's reference
	if !f.Exclusive(off, 4*pageSize) {
		t.Error("range with one reference left not exclusive")
	}
	if got := string(f.Bytes(off+pageSize, 3)); got != "abc" {
		t.Errorf("data of the remaining holder = %q", got)
	}
	used := f.Used()
	f.Free(off, 4*pageSize)
	if f.Used() != used-4*pageSize {
		t.Errorf("last Free released %d bytes, want %d", used-f.Used(), 4*pageSize)
	}
}
