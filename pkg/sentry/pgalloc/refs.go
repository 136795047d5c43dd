package pgalloc

import "sort"

// refRange is [off, end) with extra references beyond the first.
type refRange struct {
	off, end uint64
	extra    uint32
}

// refRanges is a set of page ranges with extra references: sorted by
// offset, never overlapping, never empty, extra always > 0. Adjacent ranges
// with the same count are merged, so a forked address space costs one
// range per mapping, not one per page.
type refRanges []refRange

// first returns the index of the first range that ends above off.
func (rs refRanges) first(off uint64) int {
	return sort.Search(len(rs), func(i int) bool { return rs[i].end > off })
}

// overlaps reports whether any range intersects [off, end).
func (rs refRanges) overlaps(off, end uint64) bool {
	i := rs.first(off)
	return i < len(rs) && rs[i].off < end
}

// gaps returns the parts of [off, end) that no range covers (pages with a
// single reference).
func (rs refRanges) gaps(off, end uint64) []frange {
	var out []frange
	cur := off
	for i := rs.first(off); i < len(rs) && rs[i].off < end; i++ {
		if rs[i].off > cur {
			out = append(out, frange{cur, rs[i].off})
		}
		cur = rs[i].end
	}
	if cur < end {
		out = append(out, frange{cur, end})
	}
	return out
}

// add adds delta (+1 or -1) to the extra count of every page of
// [off, end). With -1, pages at zero extra stay at zero (their last
// reference is the caller's to release).
func (rs *refRanges) add(off, end uint64, delta int) {
	// Rebuild the affected window: pieces before off and after end keep
	// their count; the window gets the new counts.
	old := *rs
	i := old.first(off)
	j := i
	for j < len(old) && old[j].off < end {
		j++
	}
	var win []refRange
	cur := off
	for k := i; k < j; k++ {
		r := old[k]
		if r.off < off {
			win = append(win, refRange{r.off, off, r.extra})
		}
		if r.off > cur && delta > 0 {
			win = append(win, refRange{cur, r.off, uint32(delta)})
		}
		lo, hi := max(r.off, off), min(r.end, end)
		if n := int(r.extra) + delta; n > 0 {
			win = append(win, refRange{lo, hi, uint32(n)})
		}
		if r.end > end {
			win = append(win, refRange{end, r.end, r.extra})
		}
		cur = hi
	}
	if cur < end && delta > 0 {
		win = append(win, refRange{cur, end, uint32(delta)})
	}
	// Merge within the window and with its neighbours.
	merged := make(refRanges, 0, len(old)-(j-i)+len(win))
	merged = append(merged, old[:i]...)
	for _, r := range append(win, old[j:]...) {
		if n := len(merged); n > 0 && merged[n-1].end == r.off && merged[n-1].extra == r.extra {
			merged[n-1].end = r.end
			continue
		}
		merged = append(merged, r)
	}
	*rs = merged
}
