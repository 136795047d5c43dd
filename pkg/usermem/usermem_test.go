package usermem

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestCopyInString(t *testing.T) {
	mem := &BytesIO{Base: 0x1000, Bytes: append([]byte("hello\x00"), make([]byte, 300)...)}
	for i := 6; i < 306; i++ {
		mem.Bytes[i] = 'x'
	}
	for _, tc := range []struct {
		name   string
		addr   uint64
		maxLen int
		want   string
		err    error
	}{
		{"whole", 0x1000, 100, "hello", nil},
		{"exactly max", 0x1000, 5, "hello", nil},
		{"too long", 0x1000, 4, "", linux.ENAMETOOLONG},
		{"suffix", 0x1003, 100, "lo", nil},
		{"runs off the end", 0x1006, 1000, "", linux.EFAULT},
		{"unmapped", 0x10, 10, "", linux.EFAULT},
	} {
		got, err := CopyInString(mem, tc.addr, tc.maxLen)
		if got != tc.want || err != tc.err {
			t.Errorf("%s: got %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestCopyInVector(t *testing.T) {
	// argv at 0x1000: {0x1020, 0x1026, NULL}; strings after.
	b := make([]byte, 64)
	b[0], b[1] = 0x20, 0x10
	b[8], b[9] = 0x26, 0x10
	copy(b[0x20:], "echo\x00\x00hi\x00")
	mem := &BytesIO{Base: 0x1000, Bytes: b}
	got, err := CopyInVector(mem, 0x1000, 10, 100)
	if err != nil || len(got) != 2 || got[0] != "echo" || got[1] != "hi" {
		t.Fatalf("CopyInVector = %q, %v", got, err)
	}
	if _, err := CopyInVector(mem, 0x1000, 1, 100); err != linux.E2BIG {
		t.Errorf("count limit: got %v, want E2BIG", err)
	}
}

func TestPageRoundUp(t *testing.T) {
	for _, tc := range []struct {
		in, want uint64
		ok       bool
	}{{0, 0, true}, {1, 4096, true}, {4096, 4096, true}, {^uint64(0), 0, false}} {
		got, ok := PageRoundUp(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PageRoundUp(%#x) = %#x, %v", tc.in, got, ok)
		}
	}
}
