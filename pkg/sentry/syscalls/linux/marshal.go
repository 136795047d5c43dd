package linux

import (
	"bytes"
	"encoding/binary"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// copyInStruct reads a fixed-size ABI struct from application memory.
func copyInStruct(io usermem.IO, addr uint64, v any) error {
	buf := make([]byte, binary.Size(v))
	if _, err := io.CopyIn(addr, buf); err != nil {
		return linux.EFAULT
	}
	return binary.Read(bytes.NewReader(buf), binary.LittleEndian, v)
}

// copyOutStruct writes a fixed-size ABI struct to application memory.
func copyOutStruct(io usermem.IO, addr uint64, v any) error {
	buf, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil {
		return err
	}
	if _, err := io.CopyOut(addr, buf); err != nil {
		return linux.EFAULT
	}
	return nil
}

// copyInTimespec reads a struct timespec and validates it as Linux's
// timespec64_valid does (EINVAL for negative or out-of-range nanoseconds).
func copyInTimespec(io usermem.IO, addr uint64) (linux.Timespec, error) {
	var ts linux.Timespec
	if err := copyInStruct(io, addr, &ts); err != nil {
		return ts, err
	}
	if ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= int64(time.Second) {
		return ts, linux.EINVAL
	}
	return ts, nil
}

// timespecDuration converts a validated timespec, saturating.
func timespecDuration(ts linux.Timespec) time.Duration {
	const maxSec = int64(^uint64(0)>>1) / int64(time.Second)
	if ts.Sec >= maxSec {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(ts.Sec)*time.Second + time.Duration(ts.Nsec)
}

// copyInSigset reads a sigset_t after checking the size argument.
func copyInSigset(io usermem.IO, addr, size uint64) (linux.SignalSet, error) {
	if size != linux.SignalSetSize {
		return 0, linux.EINVAL
	}
	v, err := usermem.CopyInUint64(io, addr)
	return linux.SignalSet(v), err
}
