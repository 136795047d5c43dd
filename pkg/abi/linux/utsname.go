package linux

// UTSLen is the size of each utsname field including its NUL
// (__NEW_UTS_LEN + 1), defined in include/uapi/linux/utsname.h.
const UTSLen = 65

// Utsname is struct new_utsname, defined in include/uapi/linux/utsname.h
// (390 bytes).
type Utsname struct {
	Sysname    [UTSLen]byte
	Nodename   [UTSLen]byte
	Release    [UTSLen]byte
	Version    [UTSLen]byte
	Machine    [UTSLen]byte
	Domainname [UTSLen]byte
}

// SizeOfUtsname is sizeof(struct new_utsname).
const SizeOfUtsname = 6 * UTSLen

// Sysinfo is struct sysinfo on x86-64, defined in
// include/uapi/linux/sysinfo.h (112 bytes: the explicit padding after
// Pad aligns Totalhigh; the trailing padding is the struct's alignment).
type Sysinfo struct {
	Uptime    int64
	Loads     [3]uint64
	Totalram  uint64
	Freeram   uint64
	Sharedram uint64
	Bufferram uint64
	Totalswap uint64
	Freeswap  uint64
	Procs     uint16
	Pad       uint16
	_         [4]byte
	Totalhigh uint64
	Freehigh  uint64
	MemUnit   uint32
	_         [4]byte
}

// SizeOfSysinfo is sizeof(struct sysinfo).
const SizeOfSysinfo = 112

// getrandom(2) flags, defined in include/uapi/linux/random.h.
const (
	GRND_NONBLOCK = 0x0001
	GRND_RANDOM   = 0x0002
	GRND_INSECURE = 0x0004
)
