package lisafs

// Protocol versions this package speaks. The handshake picks the highest
// version both sides speak; a client and server with no version in common
// refuse to talk (see Connect).
//
// Version 1: the message set of lisafs.fbs as first published.
const (
	MinVersion = 1
	MaxVersion = 1
)

// chooseVersion returns the highest version in both [aMin, aMax] and
// [bMin, bMax], or 0 if there is none.
func chooseVersion(aMin, aMax, bMin, bMax uint32) uint32 {
	lo, hi := max(aMin, bMin), min(aMax, bMax)
	if lo > hi || hi == 0 {
		return 0
	}
	return hi
}
