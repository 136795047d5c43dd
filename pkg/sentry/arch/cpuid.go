package arch

// cpuid executes the CPUID instruction (cpuid_amd64.s).
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// HWCap returns AT_HWCAP for x86-64: CPUID.1:EDX, as Linux reports it.
func HWCap() uint64 {
	_, _, _, edx := cpuid(1, 0)
	return uint64(edx)
}

// XStateSize returns the size of the XSAVE area for the features the host
// kernel enabled (CPUID.(EAX=0xD,ECX=0):EBX), or the 512-byte legacy area
// if the CPU has no XSAVE.
func XStateSize() int {
	if max, _, _, _ := cpuid(0, 0); max < 0xd {
		return 512
	}
	_, _, ecx, _ := cpuid(1, 0)
	if ecx&(1<<27) == 0 { // OSXSAVE
		return 512
	}
	_, ebx, _, _ := cpuid(0xd, 0)
	return int(ebx)
}

// CPUID executes the CPUID instruction with leaf in EAX and sub in ECX.
func CPUID(leaf, sub uint32) (eax, ebx, ecx, edx uint32) { return cpuid(leaf, sub) }
