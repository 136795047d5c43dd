package linux

// ELF identification and header values, defined in include/uapi/linux/elf.h
// (and include/uapi/linux/elf-em.h for the machine numbers).
const (
	// ELFMAG is the ELF magic at the start of e_ident.
	ELFMAG  = "\x7fELF"
	SELFMAG = 4

	// Indices into e_ident.
	EI_CLASS   = 4
	EI_DATA    = 5
	EI_VERSION = 6
	EI_OSABI   = 7
	EI_NIDENT  = 16

	ELFCLASS32 = 1
	ELFCLASS64 = 2

	ELFDATA2LSB = 1
	ELFDATA2MSB = 2

	EV_CURRENT = 1

	// e_type values.
	ET_NONE = 0
	ET_REL  = 1
	ET_EXEC = 2
	ET_DYN  = 3
	ET_CORE = 4

	// EM_X86_64 is the e_machine of x86-64, defined in
	// include/uapi/linux/elf-em.h.
	EM_X86_64 = 62
)

// Program header types, defined in include/uapi/linux/elf.h.
const (
	PT_NULL         = 0
	PT_LOAD         = 1
	PT_DYNAMIC      = 2
	PT_INTERP       = 3
	PT_NOTE         = 4
	PT_SHLIB        = 5
	PT_PHDR         = 6
	PT_TLS          = 7
	PT_GNU_EH_FRAME = 0x6474e550
	PT_GNU_STACK    = 0x6474e551
	PT_GNU_RELRO    = 0x6474e552
	PT_GNU_PROPERTY = 0x6474e553
)

// Program header flags, defined in include/uapi/linux/elf.h.
const (
	PF_X = 0x1
	PF_W = 0x2
	PF_R = 0x4
)

// Elf64_Ehdr is the ELF64 file header, defined in include/uapi/linux/elf.h.
// Its fields are in file order; encoding/binary reads it directly.
type Elf64_Ehdr struct {
	Ident     [EI_NIDENT]byte
	Type      uint16
	Machine   uint16
	Version   uint32
	Entry     uint64
	Phoff     uint64
	Shoff     uint64
	Flags     uint32
	Ehsize    uint16
	Phentsize uint16
	Phnum     uint16
	Shentsize uint16
	Shnum     uint16
	Shstrndx  uint16
}

// Elf64_EhdrSize is sizeof(Elf64_Ehdr).
const Elf64_EhdrSize = 64

// Elf64_Phdr is an ELF64 program header, defined in
// include/uapi/linux/elf.h.
type Elf64_Phdr struct {
	Type   uint32
	Flags  uint32
	Off    uint64
	Vaddr  uint64
	Paddr  uint64
	Filesz uint64
	Memsz  uint64
	Align  uint64
}

// Elf64_PhdrSize is sizeof(Elf64_Phdr).
const Elf64_PhdrSize = 56
