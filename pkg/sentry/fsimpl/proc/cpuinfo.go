package proc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"

	"bulwark.dev/bulwark/pkg/sentry/arch"
)

// cpuid executes the CPUID instruction.
var cpuid = arch.CPUID

// cpuFlagNames name the CPUID feature bits as Linux's cpuinfo "flags"
// line does (arch/x86/include/asm/cpufeatures.h); bits Linux does not
// show, or shows under another leaf, are "". Linux also shows flags of
// its own (constant_tsc, rep_good...) that no CPUID bit gives; those are
// left out.
type cpuFlagWord struct {
	leaf, sub uint32
	reg       int // 0: eax, 1: ebx, 2: ecx, 3: edx
	names     [32]string
}

var cpuFlagWords = []cpuFlagWord{
	{leaf: 1, reg: 3, names: [32]string{
		"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce",
		"cx8", "apic", "", "sep", "mtrr", "pge", "mca", "cmov",
		"pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx",
		"fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe"}},
	{leaf: 0x80000001, reg: 3, names: [32]string{
		11: "syscall", 19: "mp", 20: "nx", 22: "mmxext", 25: "fxsr_opt",
		26: "pdpe1gb", 27: "rdtscp", 29: "lm", 30: "3dnowext", 31: "3dnow"}},
	{leaf: 1, reg: 2, names: [32]string{
		"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est",
		"tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm",
		"", "pcid", "dca", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt",
		"tsc_deadline_timer", "aes", "xsave", "", "avx", "f16c", "rdrand", "hypervisor"}},
	{leaf: 0x80000001, reg: 2, names: [32]string{
		"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a", "misalignsse",
		"3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", "", "lwp",
		"fma4", "tce", "", "nodeid_msr", "", "tbm", "topoext", "perfctr_core",
		"perfctr_nb", "", "bpext", "ptsc", "perfctr_llc", "mwaitx"}},
	{leaf: 7, reg: 1, names: [32]string{
		"fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", "", "smep",
		"bmi2", "erms", "invpcid", "rtm", "cqm", "", "mpx", "rdt_a",
		"avx512f", "avx512dq", "rdseed", "adx", "smap", "avx512ifma", "", "clflushopt",
		"clwb", "intel_pt", "avx512pf", "avx512er", "avx512cd", "sha_ni", "avx512bw", "avx512vl"}},
	{leaf: 0xd, sub: 1, reg: 0, names: [32]string{
		"xsaveopt", "xsavec", "xgetbv1", "xsaves"}},
	{leaf: 7, sub: 1, reg: 0, names: [32]string{
		4: "avx_vnni", 5: "avx512_bf16"}},
	{leaf: 7, reg: 2, names: [32]string{
		1: "avx512vbmi", 2: "umip", 3: "pku", 4: "ospke", 5: "waitpkg", 6: "avx512_vbmi2",
		8: "gfni", 9: "vaes", 10: "vpclmulqdq", 11: "avx512_vnni", 12: "avx512_bitalg",
		13: "tme", 14: "avx512_vpopcntdq", 16: "la57", 22: "rdpid", 24: "bus_lock_detect",
		25: "cldemote", 27: "movdiri", 28: "movdir64b", 29: "enqcmd", 30: "sgx_lc"}},
	{leaf: 7, reg: 3, names: [32]string{
		2: "avx512_4vnniw", 3: "avx512_4fmaps", 4: "fsrm", 8: "avx512_vp2intersect",
		10: "md_clear", 14: "serialize", 16: "tsxldtrk", 18: "pconfig", 19: "arch_lbr",
		20: "ibt", 22: "amx_bf16", 23: "avx512_fp16", 24: "amx_tile", 25: "amx_int8",
		28: "flush_l1d", 29: "arch_capabilities"}},
}

// cpuInfo is what cpuinfo shows of the host's CPU.
type cpuInfo struct {
	vendor, model                       string
	family, modelNum, stepping, maxLeaf uint32
	flags                               []string
	physBits, virtBits                  uint32
}

// readCPUID reads the host CPU's identification through cpuid, which
// returns the values for any leaf the CPU does not have as it pleases:
// leaves are read only below the maximum the CPU reports.
func readCPUID(cpuid func(leaf, sub uint32) (eax, ebx, ecx, edx uint32)) cpuInfo {
	var ci cpuInfo
	maxLeaf, ebx, ecx, edx := cpuid(0, 0)
	ci.maxLeaf = maxLeaf
	ci.vendor = regString(ebx, edx, ecx)
	maxExt, _, _, _ := cpuid(0x80000000, 0)
	has := func(leaf, sub uint32) bool {
		if leaf >= 0x80000000 {
			return leaf <= maxExt
		}
		if leaf > maxLeaf {
			return false
		}
		if sub > 0 {
			// Subleaves of leaf 7 are counted by 7.0's eax.
			if leaf == 7 {
				n, _, _, _ := cpuid(7, 0)
				return sub <= n
			}
		}
		return true
	}
	if maxLeaf >= 1 {
		eax, _, _, _ := cpuid(1, 0)
		ci.stepping = eax & 0xf
		ci.modelNum = eax >> 4 & 0xf
		ci.family = eax >> 8 & 0xf
		if ci.family == 0xf {
			ci.family += eax >> 20 & 0xff
		}
		if ci.family >= 6 {
			ci.modelNum |= (eax >> 16 & 0xf) << 4
		}
	}
	if maxExt >= 0x80000004 {
		var brand []uint32
		for leaf := uint32(0x80000002); leaf <= 0x80000004; leaf++ {
			a, b, c, d := cpuid(leaf, 0)
			brand = append(brand, a, b, c, d)
		}
		ci.model = strings.TrimSpace(regString(brand...))
	}
	if ci.model == "" {
		ci.model = "unknown"
	}
	if maxExt >= 0x80000008 {
		eax, _, _, _ := cpuid(0x80000008, 0)
		ci.physBits, ci.virtBits = eax&0xff, eax>>8&0xff
	}
	for _, w := range cpuFlagWords {
		if !has(w.leaf, w.sub) {
			continue
		}
		var regs [4]uint32
		regs[0], regs[1], regs[2], regs[3] = cpuid(w.leaf, w.sub)
		for bit, name := range w.names {
			if name != "" && regs[w.reg]&(1<<bit) != 0 {
				ci.flags = append(ci.flags, name)
			}
		}
	}
	return ci
}

// regString decodes registers holding ASCII bytes, little-endian, up to
// the first NUL.
func regString(regs ...uint32) string {
	b := make([]byte, 4*len(regs))
	for i, r := range regs {
		binary.LittleEndian.PutUint32(b[4*i:], r)
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// formatCPUInfo renders /proc/cpuinfo for ncpu identical CPUs in one
// package, as Linux's show_cpuinfo does (minus clock speed, cache size
// and bogomips, which the sentry does not measure).
func formatCPUInfo(ci cpuInfo, ncpu int) string {
	var w strings.Builder
	for i := 0; i < ncpu; i++ {
		fmt.Fprintf(&w, "processor\t: %d\n", i)
		fmt.Fprintf(&w, "vendor_id\t: %s\n", ci.vendor)
		fmt.Fprintf(&w, "cpu family\t: %d\n", ci.family)
		fmt.Fprintf(&w, "model\t\t: %d\n", ci.modelNum)
		fmt.Fprintf(&w, "model name\t: %s\n", ci.model)
		fmt.Fprintf(&w, "stepping\t: %d\n", ci.stepping)
		fmt.Fprintf(&w, "physical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\n", ncpu, i, ncpu)
		fmt.Fprintf(&w, "apicid\t\t: %d\ninitial apicid\t: %d\n", i, i)
		w.WriteString("fpu\t\t: yes\nfpu_exception\t: yes\n")
		fmt.Fprintf(&w, "cpuid level\t: %d\n", ci.maxLeaf)
		w.WriteString("wp\t\t: yes\n")
		fmt.Fprintf(&w, "flags\t\t: %s\n", strings.Join(ci.flags, " "))
		w.WriteString("clflush size\t: 64\ncache_alignment\t: 64\n")
		fmt.Fprintf(&w, "address sizes\t: %d bits physical, %d bits virtual\n", ci.physBits, ci.virtBits)
		w.WriteString("power management:\n\n")
	}
	return w.String()
}

// cpuinfo is /proc/cpuinfo: the host's CPU, once per CPU the sandbox may
// use.
func cpuinfo() string { return formatCPUInfo(readCPUID(cpuid), runtime.NumCPU()) }
