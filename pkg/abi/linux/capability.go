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
)
