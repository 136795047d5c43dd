package linux

// capget(2) and capset(2) versions, defined in
// include/uapi/linux/capability.h.
const (
	// _LINUX_CAPABILITY_VERSION_1 carries one 32-bit word per set.
	LINUX_CAPABILITY_VERSION_1 = 0x19980330
	// _LINUX_CAPABILITY_VERSION_2 (deprecated) and _3 carry two.
	LINUX_CAPABILITY_VERSION_2 = 0x20071026
	LINUX_CAPABILITY_VERSION_3 = 0x20080522

	// LINUX_CAPABILITY_U32S_1 and _3 are the words per set of each
	// version.
	LINUX_CAPABILITY_U32S_1 = 1
	LINUX_CAPABILITY_U32S_3 = 2
)

// CapUserHeader is struct __user_cap_header_struct, defined in
// include/uapi/linux/capability.h.
type CapUserHeader struct {
	Version uint32
	Pid     int32
}

// SizeOfCapUserHeader is sizeof(struct __user_cap_header_struct).
const SizeOfCapUserHeader = 8

// CapUserData is struct __user_cap_data_struct, defined in
// include/uapi/linux/capability.h: one 32-bit word of each set. Version 1
// passes one, versions 2 and 3 an array of two (capabilities 0-31, then
// 32-63).
type CapUserData struct {
	Effective   uint32
	Permitted   uint32
	Inheritable uint32
}

// SizeOfCapUserData is sizeof(struct __user_cap_data_struct).
const SizeOfCapUserData = 12

// prctl options of the capability bounding set, defined in
// include/uapi/linux/prctl.h (PR_CAPBSET_READ is in wait.go).
const (
	PR_CAPBSET_DROP = 24
	PR_CAP_AMBIENT  = 47
)

// prctl options of the securebits.
const (
	PR_GET_SECUREBITS = 27
	PR_SET_SECUREBITS = 28
)

// The securebits (include/uapi/linux/securebits.h): each flag's lock is
// the bit above it.
const (
	SECURE_NOROOT                      = 0
	SECURE_NOROOT_LOCKED               = 1
	SECURE_NO_SETUID_FIXUP             = 2
	SECURE_NO_SETUID_FIXUP_LOCKED      = 3
	SECURE_KEEP_CAPS                   = 4
	SECURE_KEEP_CAPS_LOCKED            = 5
	SECURE_NO_CAP_AMBIENT_RAISE        = 6
	SECURE_NO_CAP_AMBIENT_RAISE_LOCKED = 7

	// SECURE_ALL_BITS and SECURE_ALL_LOCKS are the flags and locks
	// the sentry knows, as masks.
	SECURE_ALL_BITS  = 1<<SECURE_NOROOT | 1<<SECURE_NO_SETUID_FIXUP | 1<<SECURE_KEEP_CAPS | 1<<SECURE_NO_CAP_AMBIENT_RAISE
	SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1
)

// The operations of PR_CAP_AMBIENT.
const (
	PR_CAP_AMBIENT_IS_SET    = 1
	PR_CAP_AMBIENT_RAISE     = 2
	PR_CAP_AMBIENT_LOWER     = 3
	PR_CAP_AMBIENT_CLEAR_ALL = 4
)

// capabilityNames are the capabilities' names, by number, as Linux and
// OCI specs write them.
var capabilityNames = [CAP_LAST_CAP + 1]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// CapabilityByName returns the number of the capability called name
// ("CAP_SYS_ADMIN").
func CapabilityByName(name string) (int, bool) {
	for i, n := range capabilityNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// CapabilityName returns capability cap's name, or "" if there is none.
func CapabilityName(cap int) string {
	if cap < 0 || cap > CAP_LAST_CAP {
		return ""
	}
	return capabilityNames[cap]
}
