package linux

// System V IPC: flags, commands, limits and the structs of shmctl(2),
// semctl(2) and msgctl(2), as amd64 Linux lays them out. Structs that the
// sentry copies with encoding/binary carry their alignment padding as
// explicit blank fields, so binary.Size equals the C sizeof.

// Flags and commands shared by the three kinds of object, defined in
// include/uapi/linux/ipc.h.
const (
	IPC_PRIVATE = 0

	IPC_CREAT  = 00001000
	IPC_EXCL   = 00002000
	IPC_NOWAIT = 00004000

	IPC_RMID = 0
	IPC_SET  = 1
	IPC_STAT = 2
	IPC_INFO = 3

	// IPC_64 is the "new" version flag some architectures or'ed into
	// the command; amd64's system calls never take it.
	IPC_64 = 0x0100
)

// IPCMNI_SHIFT is how many low bits of an IPC id are the index of the
// object (include/linux/ipc_namespace.h, without ipcmni_extend); the
// bits above are its sequence number.
const (
	IPCMNI_SHIFT = 15
	IPCMNI       = 1 << IPCMNI_SHIFT
)

// IPC64Perm is struct ipc64_perm, defined in
// include/uapi/asm-generic/ipcbuf.h (48 bytes on amd64; mode_t is 32
// bits, so __pad1 is empty).
type IPC64Perm struct {
	Key  int32
	UID  uint32
	GID  uint32
	CUID uint32
	CGID uint32
	Mode uint32
	Seq  uint16
	_    uint16
	_    uint32 // alignment of __unused1
	_    uint64
	_    uint64
}

// SizeOfIPC64Perm is sizeof(struct ipc64_perm).
const SizeOfIPC64Perm = 48

// Shared memory, defined in include/uapi/linux/shm.h.
const (
	// shmget flags (besides IPC_CREAT, IPC_EXCL and the mode).
	SHM_HUGETLB   = 04000
	SHM_NORESERVE = 010000

	// shmat flags.
	SHM_RDONLY = 010000
	SHM_RND    = 020000
	SHM_REMAP  = 040000
	SHM_EXEC   = 0100000

	// shmctl commands.
	SHM_LOCK     = 11
	SHM_UNLOCK   = 12
	SHM_STAT     = 13
	SHM_INFO     = 14
	SHM_STAT_ANY = 15

	// Bits of shm_perm.mode besides the permissions.
	SHM_DEST   = 01000
	SHM_LOCKED = 02000

	// Limits.
	SHMMIN = 1
	SHMMNI = 4096
	SHMMAX = ^uint64(0) - 1<<24
	SHMALL = ^uint64(0) - 1<<24
	SHMSEG = SHMMNI
)

// ShmidDS is struct shmid64_ds, defined in include/uapi/asm-generic/shmbuf.h
// (112 bytes on amd64).
type ShmidDS struct {
	Perm   IPC64Perm
	Segsz  uint64
	Atime  int64
	Dtime  int64
	Ctime  int64
	CPID   int32
	LPID   int32
	Nattch uint64
	_      uint64
	_      uint64
}

// SizeOfShmidDS is sizeof(struct shmid64_ds).
const SizeOfShmidDS = 112

// ShmInfo64 is struct shminfo64 (shmctl IPC_INFO), defined in
// include/uapi/asm-generic/shmbuf.h.
type ShmInfo64 struct {
	Shmmax uint64
	Shmmin uint64
	Shmmni uint64
	Shmseg uint64
	Shmall uint64
	_      [4]uint64
}

// ShmInfo is struct shm_info (shmctl SHM_INFO), defined in
// include/uapi/linux/shm.h.
type ShmInfo struct {
	UsedIDs       int32
	_             uint32
	ShmTot        uint64
	ShmRss        uint64
	ShmSwp        uint64
	SwapAttempts  uint64
	SwapSuccesses uint64
}

// Semaphores, defined in include/uapi/linux/sem.h.
const (
	// semop flag.
	SEM_UNDO = 0x1000

	// semctl commands.
	GETPID       = 11
	GETVAL       = 12
	GETALL       = 13
	GETNCNT      = 14
	GETZCNT      = 15
	SETVAL       = 16
	SETALL       = 17
	SEM_STAT     = 18
	SEM_INFO     = 19
	SEM_STAT_ANY = 20

	// Limits.
	SEMMNI = 32000
	SEMMSL = 32000
	SEMMNS = SEMMNI * SEMMSL
	SEMOPM = 500
	SEMVMX = 32767
	SEMAEM = SEMVMX
	SEMUME = SEMOPM
	SEMMNU = SEMMNS
	SEMMAP = SEMMNS
	SEMUSZ = 20
)

// Sembuf is struct sembuf, defined in include/uapi/linux/sem.h (6 bytes).
type Sembuf struct {
	SemNum uint16
	SemOp  int16
	SemFlg int16
}

// SizeOfSembuf is sizeof(struct sembuf).
const SizeOfSembuf = 6

// SemidDS is struct semid64_ds, defined in
// arch/x86/include/uapi/asm/sembuf.h (104 bytes on amd64).
type SemidDS struct {
	Perm  IPC64Perm
	Otime int64
	_     uint64
	Ctime int64
	_     uint64
	Nsems uint64
	_     uint64
	_     uint64
}

// SizeOfSemidDS is sizeof(struct semid64_ds).
const SizeOfSemidDS = 104

// Seminfo is struct seminfo (semctl IPC_INFO, SEM_INFO), defined in
// include/uapi/linux/sem.h.
type Seminfo struct {
	Semmap int32
	Semmni int32
	Semmns int32
	Semmnu int32
	Semmsl int32
	Semopm int32
	Semume int32
	Semusz int32
	Semvmx int32
	Semaem int32
}

// Message queues, defined in include/uapi/linux/msg.h.
const (
	// msgrcv flags.
	MSG_NOERROR = 010000
	MSG_EXCEPT  = 020000
	MSG_COPY    = 040000

	// msgctl commands.
	MSG_STAT     = 11
	MSG_INFO     = 12
	MSG_STAT_ANY = 13

	// Limits.
	MSGMNI  = 32000
	MSGMAX  = 8192
	MSGMNB  = 16384
	MSGPOOL = MSGMNI * MSGMNB / 1024
	MSGTQL  = MSGMNB
	MSGMAP  = MSGMNB
	MSGSSZ  = 16
	// MSGSEG is (MSGPOOL*1024)/MSGSSZ, capped to 0xffff.
	MSGSEG = 0xffff
)

// MsqidDS is struct msqid64_ds, defined in include/uapi/asm-generic/msgbuf.h
// (120 bytes on amd64).
type MsqidDS struct {
	Perm   IPC64Perm
	Stime  int64
	Rtime  int64
	Ctime  int64
	Cbytes uint64
	Qnum   uint64
	Qbytes uint64
	LSPID  int32
	LRPID  int32
	_      uint64
	_      uint64
}

// SizeOfMsqidDS is sizeof(struct msqid64_ds).
const SizeOfMsqidDS = 120

// Msginfo is struct msginfo (msgctl IPC_INFO, MSG_INFO), defined in
// include/uapi/linux/msg.h (32 bytes with its tail padding).
type Msginfo struct {
	Msgpool int32
	Msgmap  int32
	Msgmax  int32
	Msgmnb  int32
	Msgmni  int32
	Msgssz  int32
	Msgtql  int32
	Msgseg  uint16
	_       uint16
}
