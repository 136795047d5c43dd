package lock

import (
	"errors"
	"slices"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// fakeInode is an inode that only keys the registry.
type fakeInode struct{ vfs.Inode }

// neverWaiter fails every wait, so a request that would block shows up as
// errWouldWait.
type neverWaiter struct{}

var errWouldWait = errors.New("would wait")

func (neverWaiter) Block(<-chan struct{}, time.Time) error { return errWouldWait }

// chanWaiter waits for real, and can be interrupted by closing stop.
type chanWaiter struct{ stop chan struct{} }

func (w chanWaiter) Block(ch <-chan struct{}, _ time.Time) error {
	select {
	case <-ch:
		return nil
	case <-w.stop:
		return linux.ERESTARTSYS
	}
}

const end = linux.OFFSET_MAX

func rec(owner string, t Type, start, last int64) Record {
	return Record{Type: t, Start: start, End: last, Owner: owner, PID: 1}
}

func TestSetAndTest(t *testing.T) {
	for _, tc := range []struct {
		name string
		// held are granted in order before the request.
		held []Record
		req  Record
		// wantErr is the result of a non-blocking Set of req.
		wantErr error
		// want is the owners' records afterwards, sorted by owner then
		// start.
		want []Record
	}{
		{
			name: "free range",
			req:  rec("a", Write, 0, 9),
			want: []Record{rec("a", Write, 0, 9)},
		},
		{
			name:    "write conflicts with other owner's read",
			held:    []Record{rec("a", Read, 5, 5)},
			req:     rec("b", Write, 0, 9),
			wantErr: linux.EAGAIN,
			want:    []Record{rec("a", Read, 5, 5)},
		},
		{
			name: "reads share",
			held: []Record{rec("a", Read, 0, end)},
			req:  rec("b", Read, 3, 4),
			want: []Record{rec("a", Read, 0, end), rec("b", Read, 3, 4)},
		},
		{
			name: "disjoint writes",
			held: []Record{rec("a", Write, 0, 9)},
			req:  rec("b", Write, 10, 14),
			want: []Record{rec("a", Write, 0, 9), rec("b", Write, 10, 14)},
		},
		{
			name: "own locks never conflict, and are replaced",
			held: []Record{rec("a", Read, 0, 9)},
			req:  rec("a", Write, 3, 5),
			want: []Record{rec("a", Read, 0, 2), rec("a", Write, 3, 5), rec("a", Read, 6, 9)},
		},
		{
			name: "adjacent same type merges",
			held: []Record{rec("a", Write, 0, 4), rec("a", Write, 10, 14)},
			req:  rec("a", Write, 5, 9),
			want: []Record{rec("a", Write, 0, 14)},
		},
		{
			name: "unlock splits",
			held: []Record{rec("a", Write, 0, end)},
			req:  rec("a", Unlock, 10, 19),
			want: []Record{rec("a", Write, 0, 9), rec("a", Write, 20, end)},
		},
		{
			name: "unlock leaves other owners alone",
			held: []Record{rec("a", Read, 0, 9), rec("b", Read, 0, 9)},
			req:  rec("a", Unlock, 0, end),
			want: []Record{rec("b", Read, 0, 9)},
		},
		{
			name: "unlock of nothing",
			req:  rec("a", Unlock, 0, end),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inode := &fakeInode{}
			m := Get(inode)
			defer m.Put()
			for _, h := range tc.held {
				if err := m.Set(neverWaiter{}, h, false); err != nil {
					t.Fatalf("Set(%+v): %v", h, err)
				}
			}
			if tc.req.Type != Unlock {
				c, found := m.Test(tc.req)
				if found != (tc.wantErr != nil) {
					t.Errorf("Test(%+v) = %+v, %v; want a conflict: %v", tc.req, c, found, tc.wantErr != nil)
				}
				if found && (c.Owner == tc.req.Owner || !c.overlaps(&tc.req)) {
					t.Errorf("Test(%+v) reported %+v", tc.req, c)
				}
			}
			if err := m.Set(neverWaiter{}, tc.req, false); err != tc.wantErr {
				t.Errorf("Set(%+v) = %v, want %v", tc.req, err, tc.wantErr)
			}
			got := slices.Clone(m.records)
			slices.SortFunc(got, func(a, b Record) int {
				if a.Owner != b.Owner {
					if a.Owner.(string) < b.Owner.(string) {
						return -1
					}
					return 1
				}
				return int(a.Start - b.Start)
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("records = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFlock(t *testing.T) {
	type step struct {
		owner   string
		typ     Type
		wantErr error
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"exclusive excludes", []step{{"a", Write, nil}, {"b", Write, linux.EWOULDBLOCK}, {"b", Read, linux.EWOULDBLOCK}}},
		{"shared shares", []step{{"a", Read, nil}, {"b", Read, nil}, {"c", Write, linux.EWOULDBLOCK}}},
		{"convert down lets readers in", []step{{"a", Write, nil}, {"a", Read, nil}, {"b", Read, nil}}},
		{"unlock lets writers in", []step{{"a", Read, nil}, {"a", Unlock, nil}, {"b", Write, nil}}},
		{"failed conversion loses the lock", []step{{"a", Read, nil}, {"b", Read, nil}, {"a", Write, linux.EWOULDBLOCK}, {"c", Write, linux.EWOULDBLOCK}, {"b", Unlock, nil}, {"c", Write, nil}}},
		{"relock same type", []step{{"a", Write, nil}, {"a", Write, nil}}},
		{"independent of record locks", []step{{"a", Write, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inode := &fakeInode{}
			m := Get(inode)
			defer m.Put()
			if err := m.Set(neverWaiter{}, rec("z", Write, 0, end), false); err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				if err := m.Flock(neverWaiter{}, s.owner, s.typ, false); err != s.wantErr {
					t.Errorf("step %d: Flock(%s, %v) = %v, want %v", i, s.owner, s.typ, err, s.wantErr)
				}
			}
		})
	}
}

func TestBlockingWaitsForRelease(t *testing.T) {
	inode := &fakeInode{}
	m := Get(inode)
	defer m.Put()
	if err := m.Flock(neverWaiter{}, "a", Write, false); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(neverWaiter{}, rec("a", Write, 0, end), false); err != nil {
		t.Fatal(err)
	}
	// A blocking request waits, and the waiter's error ends the wait.
	if err := m.Flock(neverWaiter{}, "b", Read, true); err != errWouldWait {
		t.Errorf("blocking Flock = %v, want a wait", err)
	}
	if err := m.Set(neverWaiter{}, rec("b", Read, 5, 5), true); err != errWouldWait {
		t.Errorf("blocking Set = %v, want a wait", err)
	}
	w := chanWaiter{stop: make(chan struct{})}
	flockDone, setDone := make(chan error), make(chan error)
	go func() { flockDone <- m.Flock(w, "b", Write, true) }()
	go func() { setDone <- m.Set(w, rec("b", Read, 5, 5), true) }()
	// Release (the owner's file went away) lets both in.
	Release(inode, "a")
	if err := <-flockDone; err != nil {
		t.Errorf("Flock after release: %v", err)
	}
	if err := <-setDone; err != nil {
		t.Errorf("Set after release: %v", err)
	}
	// An interrupted wait returns the waiter's error.
	go func() { flockDone <- m.Flock(w, "c", Read, true) }()
	close(w.stop)
	if err := <-flockDone; err != linux.ERESTARTSYS {
		t.Errorf("interrupted Flock = %v, want ERESTARTSYS", err)
	}
}

func TestRegistryForgetsUnusedManagers(t *testing.T) {
	inode := &fakeInode{}
	before := registry.n.Load()
	m := Get(inode)
	if err := m.Flock(neverWaiter{}, "a", Read, false); err != nil {
		t.Fatal(err)
	}
	m.Put()
	if got := registry.n.Load(); got != before+1 {
		t.Fatalf("managers = %d with a lock held, want %d", got, before+1)
	}
	if Get(inode) != m {
		t.Fatal("Get returned a new manager while locks are held")
	}
	m.Put()
	if !Holds(inode, "a") || Holds(inode, "b") {
		t.Errorf("Holds(a), Holds(b) = %v, %v; want true, false", Holds(inode, "a"), Holds(inode, "b"))
	}
	Release(inode, "a")
	if got := registry.n.Load(); got != before {
		t.Errorf("managers = %d after release, want %d", got, before)
	}
	// Release of an inode without a manager is a no-op.
	Release(&fakeInode{}, "a")
}

func TestInodeOf(t *testing.T) {
	if got := InodeOf(&vfs.OpathFile{}); got != nil {
		t.Errorf("InodeOf(file without a dentry) = %v, want nil", got)
	}
}
