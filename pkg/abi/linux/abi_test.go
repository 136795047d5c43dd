package linux_test

// This test is the one place where the guest ABI (pkg/abi/linux) meets the
// host ABI (golang.org/x/sys/unix): every generated constant is compared
// with x/sys's, which is generated independently from the kernel sources.

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/tools/genabi/gen"
)

// sysnos lists every SYS_* constant of pkg/abi/linux beside x/sys's.
var sysnos = []struct {
	name         string
	ours, theirs uintptr
}{
	{"read", linux.SYS_READ, unix.SYS_READ},
	{"write", linux.SYS_WRITE, unix.SYS_WRITE},
	{"open", linux.SYS_OPEN, unix.SYS_OPEN},
	{"close", linux.SYS_CLOSE, unix.SYS_CLOSE},
	{"stat", linux.SYS_STAT, unix.SYS_STAT},
	{"fstat", linux.SYS_FSTAT, unix.SYS_FSTAT},
	{"lstat", linux.SYS_LSTAT, unix.SYS_LSTAT},
	{"poll", linux.SYS_POLL, unix.SYS_POLL},
	{"lseek", linux.SYS_LSEEK, unix.SYS_LSEEK},
	{"mmap", linux.SYS_MMAP, unix.SYS_MMAP},
	{"mprotect", linux.SYS_MPROTECT, unix.SYS_MPROTECT},
	{"munmap", linux.SYS_MUNMAP, unix.SYS_MUNMAP},
	{"brk", linux.SYS_BRK, unix.SYS_BRK},
	{"rt_sigaction", linux.SYS_RT_SIGACTION, unix.SYS_RT_SIGACTION},
	{"rt_sigprocmask", linux.SYS_RT_SIGPROCMASK, unix.SYS_RT_SIGPROCMASK},
	{"rt_sigreturn", linux.SYS_RT_SIGRETURN, unix.SYS_RT_SIGRETURN},
	{"ioctl", linux.SYS_IOCTL, unix.SYS_IOCTL},
	{"pread64", linux.SYS_PREAD64, unix.SYS_PREAD64},
	{"pwrite64", linux.SYS_PWRITE64, unix.SYS_PWRITE64},
	{"readv", linux.SYS_READV, unix.SYS_READV},
	{"writev", linux.SYS_WRITEV, unix.SYS_WRITEV},
	{"access", linux.SYS_ACCESS, unix.SYS_ACCESS},
	{"pipe", linux.SYS_PIPE, unix.SYS_PIPE},
	{"select", linux.SYS_SELECT, unix.SYS_SELECT},
	{"sched_yield", linux.SYS_SCHED_YIELD, unix.SYS_SCHED_YIELD},
	{"mremap", linux.SYS_MREMAP, unix.SYS_MREMAP},
	{"msync", linux.SYS_MSYNC, unix.SYS_MSYNC},
	{"mincore", linux.SYS_MINCORE, unix.SYS_MINCORE},
	{"madvise", linux.SYS_MADVISE, unix.SYS_MADVISE},
	{"shmget", linux.SYS_SHMGET, unix.SYS_SHMGET},
	{"shmat", linux.SYS_SHMAT, unix.SYS_SHMAT},
	{"shmctl", linux.SYS_SHMCTL, unix.SYS_SHMCTL},
	{"dup", linux.SYS_DUP, unix.SYS_DUP},
	{"dup2", linux.SYS_DUP2, unix.SYS_DUP2},
	{"pause", linux.SYS_PAUSE, unix.SYS_PAUSE},
	{"nanosleep", linux.SYS_NANOSLEEP, unix.SYS_NANOSLEEP},
	{"getitimer", linux.SYS_GETITIMER, unix.SYS_GETITIMER},
	{"alarm", linux.SYS_ALARM, unix.SYS_ALARM},
	{"setitimer", linux.SYS_SETITIMER, unix.SYS_SETITIMER},
	{"getpid", linux.SYS_GETPID, unix.SYS_GETPID},
	{"sendfile", linux.SYS_SENDFILE, unix.SYS_SENDFILE},
	{"socket", linux.SYS_SOCKET, unix.SYS_SOCKET},
	{"connect", linux.SYS_CONNECT, unix.SYS_CONNECT},
	{"accept", linux.SYS_ACCEPT, unix.SYS_ACCEPT},
	{"sendto", linux.SYS_SENDTO, unix.SYS_SENDTO},
	{"recvfrom", linux.SYS_RECVFROM, unix.SYS_RECVFROM},
	{"sendmsg", linux.SYS_SENDMSG, unix.SYS_SENDMSG},
	{"recvmsg", linux.SYS_RECVMSG, unix.SYS_RECVMSG},
	{"shutdown", linux.SYS_SHUTDOWN, unix.SYS_SHUTDOWN},
	{"bind", linux.SYS_BIND, unix.SYS_BIND},
	{"listen", linux.SYS_LISTEN, unix.SYS_LISTEN},
	{"getsockname", linux.SYS_GETSOCKNAME, unix.SYS_GETSOCKNAME},
	{"getpeername", linux.SYS_GETPEERNAME, unix.SYS_GETPEERNAME},
	{"socketpair", linux.SYS_SOCKETPAIR, unix.SYS_SOCKETPAIR},
	{"setsockopt", linux.SYS_SETSOCKOPT, unix.SYS_SETSOCKOPT},
	{"getsockopt", linux.SYS_GETSOCKOPT, unix.SYS_GETSOCKOPT},
	{"clone", linux.SYS_CLONE, unix.SYS_CLONE},
	{"fork", linux.SYS_FORK, unix.SYS_FORK},
	{"vfork", linux.SYS_VFORK, unix.SYS_VFORK},
	{"execve", linux.SYS_EXECVE, unix.SYS_EXECVE},
	{"exit", linux.SYS_EXIT, unix.SYS_EXIT},
	{"wait4", linux.SYS_WAIT4, unix.SYS_WAIT4},
	{"kill", linux.SYS_KILL, unix.SYS_KILL},
	{"uname", linux.SYS_UNAME, unix.SYS_UNAME},
	{"semget", linux.SYS_SEMGET, unix.SYS_SEMGET},
	{"semop", linux.SYS_SEMOP, unix.SYS_SEMOP},
	{"semctl", linux.SYS_SEMCTL, unix.SYS_SEMCTL},
	{"shmdt", linux.SYS_SHMDT, unix.SYS_SHMDT},
	{"msgget", linux.SYS_MSGGET, unix.SYS_MSGGET},
	{"msgsnd", linux.SYS_MSGSND, unix.SYS_MSGSND},
	{"msgrcv", linux.SYS_MSGRCV, unix.SYS_MSGRCV},
	{"msgctl", linux.SYS_MSGCTL, unix.SYS_MSGCTL},
	{"fcntl", linux.SYS_FCNTL, unix.SYS_FCNTL},
	{"flock", linux.SYS_FLOCK, unix.SYS_FLOCK},
	{"fsync", linux.SYS_FSYNC, unix.SYS_FSYNC},
	{"fdatasync", linux.SYS_FDATASYNC, unix.SYS_FDATASYNC},
	{"truncate", linux.SYS_TRUNCATE, unix.SYS_TRUNCATE},
	{"ftruncate", linux.SYS_FTRUNCATE, unix.SYS_FTRUNCATE},
	{"getdents", linux.SYS_GETDENTS, unix.SYS_GETDENTS},
	{"getcwd", linux.SYS_GETCWD, unix.SYS_GETCWD},
	{"chdir", linux.SYS_CHDIR, unix.SYS_CHDIR},
	{"fchdir", linux.SYS_FCHDIR, unix.SYS_FCHDIR},
	{"rename", linux.SYS_RENAME, unix.SYS_RENAME},
	{"mkdir", linux.SYS_MKDIR, unix.SYS_MKDIR},
	{"rmdir", linux.SYS_RMDIR, unix.SYS_RMDIR},
	{"creat", linux.SYS_CREAT, unix.SYS_CREAT},
	{"link", linux.SYS_LINK, unix.SYS_LINK},
	{"unlink", linux.SYS_UNLINK, unix.SYS_UNLINK},
	{"symlink", linux.SYS_SYMLINK, unix.SYS_SYMLINK},
	{"readlink", linux.SYS_READLINK, unix.SYS_READLINK},
	{"chmod", linux.SYS_CHMOD, unix.SYS_CHMOD},
	{"fchmod", linux.SYS_FCHMOD, unix.SYS_FCHMOD},
	{"chown", linux.SYS_CHOWN, unix.SYS_CHOWN},
	{"fchown", linux.SYS_FCHOWN, unix.SYS_FCHOWN},
	{"lchown", linux.SYS_LCHOWN, unix.SYS_LCHOWN},
	{"umask", linux.SYS_UMASK, unix.SYS_UMASK},
	{"gettimeofday", linux.SYS_GETTIMEOFDAY, unix.SYS_GETTIMEOFDAY},
	{"getrlimit", linux.SYS_GETRLIMIT, unix.SYS_GETRLIMIT},
	{"getrusage", linux.SYS_GETRUSAGE, unix.SYS_GETRUSAGE},
	{"sysinfo", linux.SYS_SYSINFO, unix.SYS_SYSINFO},
	{"times", linux.SYS_TIMES, unix.SYS_TIMES},
	{"ptrace", linux.SYS_PTRACE, unix.SYS_PTRACE},
	{"getuid", linux.SYS_GETUID, unix.SYS_GETUID},
	{"syslog", linux.SYS_SYSLOG, unix.SYS_SYSLOG},
	{"getgid", linux.SYS_GETGID, unix.SYS_GETGID},
	{"setuid", linux.SYS_SETUID, unix.SYS_SETUID},
	{"setgid", linux.SYS_SETGID, unix.SYS_SETGID},
	{"geteuid", linux.SYS_GETEUID, unix.SYS_GETEUID},
	{"getegid", linux.SYS_GETEGID, unix.SYS_GETEGID},
	{"setpgid", linux.SYS_SETPGID, unix.SYS_SETPGID},
	{"getppid", linux.SYS_GETPPID, unix.SYS_GETPPID},
	{"getpgrp", linux.SYS_GETPGRP, unix.SYS_GETPGRP},
	{"setsid", linux.SYS_SETSID, unix.SYS_SETSID},
	{"setreuid", linux.SYS_SETREUID, unix.SYS_SETREUID},
	{"setregid", linux.SYS_SETREGID, unix.SYS_SETREGID},
	{"getgroups", linux.SYS_GETGROUPS, unix.SYS_GETGROUPS},
	{"setgroups", linux.SYS_SETGROUPS, unix.SYS_SETGROUPS},
	{"setresuid", linux.SYS_SETRESUID, unix.SYS_SETRESUID},
	{"getresuid", linux.SYS_GETRESUID, unix.SYS_GETRESUID},
	{"setresgid", linux.SYS_SETRESGID, unix.SYS_SETRESGID},
	{"getresgid", linux.SYS_GETRESGID, unix.SYS_GETRESGID},
	{"getpgid", linux.SYS_GETPGID, unix.SYS_GETPGID},
	{"setfsuid", linux.SYS_SETFSUID, unix.SYS_SETFSUID},
	{"setfsgid", linux.SYS_SETFSGID, unix.SYS_SETFSGID},
	{"getsid", linux.SYS_GETSID, unix.SYS_GETSID},
	{"capget", linux.SYS_CAPGET, unix.SYS_CAPGET},
	{"capset", linux.SYS_CAPSET, unix.SYS_CAPSET},
	{"rt_sigpending", linux.SYS_RT_SIGPENDING, unix.SYS_RT_SIGPENDING},
	{"rt_sigtimedwait", linux.SYS_RT_SIGTIMEDWAIT, unix.SYS_RT_SIGTIMEDWAIT},
	{"rt_sigqueueinfo", linux.SYS_RT_SIGQUEUEINFO, unix.SYS_RT_SIGQUEUEINFO},
	{"rt_sigsuspend", linux.SYS_RT_SIGSUSPEND, unix.SYS_RT_SIGSUSPEND},
	{"sigaltstack", linux.SYS_SIGALTSTACK, unix.SYS_SIGALTSTACK},
	{"utime", linux.SYS_UTIME, unix.SYS_UTIME},
	{"mknod", linux.SYS_MKNOD, unix.SYS_MKNOD},
	{"uselib", linux.SYS_USELIB, unix.SYS_USELIB},
	{"personality", linux.SYS_PERSONALITY, unix.SYS_PERSONALITY},
	{"ustat", linux.SYS_USTAT, unix.SYS_USTAT},
	{"statfs", linux.SYS_STATFS, unix.SYS_STATFS},
	{"fstatfs", linux.SYS_FSTATFS, unix.SYS_FSTATFS},
	{"sysfs", linux.SYS_SYSFS, unix.SYS_SYSFS},
	{"getpriority", linux.SYS_GETPRIORITY, unix.SYS_GETPRIORITY},
	{"setpriority", linux.SYS_SETPRIORITY, unix.SYS_SETPRIORITY},
	{"sched_setparam", linux.SYS_SCHED_SETPARAM, unix.SYS_SCHED_SETPARAM},
	{"sched_getparam", linux.SYS_SCHED_GETPARAM, unix.SYS_SCHED_GETPARAM},
	{"sched_setscheduler", linux.SYS_SCHED_SETSCHEDULER, unix.SYS_SCHED_SETSCHEDULER},
	{"sched_getscheduler", linux.SYS_SCHED_GETSCHEDULER, unix.SYS_SCHED_GETSCHEDULER},
	{"sched_get_priority_max", linux.SYS_SCHED_GET_PRIORITY_MAX, unix.SYS_SCHED_GET_PRIORITY_MAX},
	{"sched_get_priority_min", linux.SYS_SCHED_GET_PRIORITY_MIN, unix.SYS_SCHED_GET_PRIORITY_MIN},
	{"sched_rr_get_interval", linux.SYS_SCHED_RR_GET_INTERVAL, unix.SYS_SCHED_RR_GET_INTERVAL},
	{"mlock", linux.SYS_MLOCK, unix.SYS_MLOCK},
	{"munlock", linux.SYS_MUNLOCK, unix.SYS_MUNLOCK},
	{"mlockall", linux.SYS_MLOCKALL, unix.SYS_MLOCKALL},
	{"munlockall", linux.SYS_MUNLOCKALL, unix.SYS_MUNLOCKALL},
	{"vhangup", linux.SYS_VHANGUP, unix.SYS_VHANGUP},
	{"modify_ldt", linux.SYS_MODIFY_LDT, unix.SYS_MODIFY_LDT},
	{"pivot_root", linux.SYS_PIVOT_ROOT, unix.SYS_PIVOT_ROOT},
	{"_sysctl", linux.SYS__SYSCTL, unix.SYS__SYSCTL},
	{"prctl", linux.SYS_PRCTL, unix.SYS_PRCTL},
	{"arch_prctl", linux.SYS_ARCH_PRCTL, unix.SYS_ARCH_PRCTL},
	{"adjtimex", linux.SYS_ADJTIMEX, unix.SYS_ADJTIMEX},
	{"setrlimit", linux.SYS_SETRLIMIT, unix.SYS_SETRLIMIT},
	{"chroot", linux.SYS_CHROOT, unix.SYS_CHROOT},
	{"sync", linux.SYS_SYNC, unix.SYS_SYNC},
	{"acct", linux.SYS_ACCT, unix.SYS_ACCT},
	{"settimeofday", linux.SYS_SETTIMEOFDAY, unix.SYS_SETTIMEOFDAY},
	{"mount", linux.SYS_MOUNT, unix.SYS_MOUNT},
	{"umount2", linux.SYS_UMOUNT2, unix.SYS_UMOUNT2},
	{"swapon", linux.SYS_SWAPON, unix.SYS_SWAPON},
	{"swapoff", linux.SYS_SWAPOFF, unix.SYS_SWAPOFF},
	{"reboot", linux.SYS_REBOOT, unix.SYS_REBOOT},
	{"sethostname", linux.SYS_SETHOSTNAME, unix.SYS_SETHOSTNAME},
	{"setdomainname", linux.SYS_SETDOMAINNAME, unix.SYS_SETDOMAINNAME},
	{"iopl", linux.SYS_IOPL, unix.SYS_IOPL},
	{"ioperm", linux.SYS_IOPERM, unix.SYS_IOPERM},
	{"create_module", linux.SYS_CREATE_MODULE, unix.SYS_CREATE_MODULE},
	{"init_module", linux.SYS_INIT_MODULE, unix.SYS_INIT_MODULE},
	{"delete_module", linux.SYS_DELETE_MODULE, unix.SYS_DELETE_MODULE},
	{"get_kernel_syms", linux.SYS_GET_KERNEL_SYMS, unix.SYS_GET_KERNEL_SYMS},
	{"query_module", linux.SYS_QUERY_MODULE, unix.SYS_QUERY_MODULE},
	{"quotactl", linux.SYS_QUOTACTL, unix.SYS_QUOTACTL},
	{"nfsservctl", linux.SYS_NFSSERVCTL, unix.SYS_NFSSERVCTL},
	{"getpmsg", linux.SYS_GETPMSG, unix.SYS_GETPMSG},
	{"putpmsg", linux.SYS_PUTPMSG, unix.SYS_PUTPMSG},
	{"afs_syscall", linux.SYS_AFS_SYSCALL, unix.SYS_AFS_SYSCALL},
	{"tuxcall", linux.SYS_TUXCALL, unix.SYS_TUXCALL},
	{"security", linux.SYS_SECURITY, unix.SYS_SECURITY},
	{"gettid", linux.SYS_GETTID, unix.SYS_GETTID},
	{"readahead", linux.SYS_READAHEAD, unix.SYS_READAHEAD},
	{"setxattr", linux.SYS_SETXATTR, unix.SYS_SETXATTR},
	{"lsetxattr", linux.SYS_LSETXATTR, unix.SYS_LSETXATTR},
	{"fsetxattr", linux.SYS_FSETXATTR, unix.SYS_FSETXATTR},
	{"getxattr", linux.SYS_GETXATTR, unix.SYS_GETXATTR},
	{"lgetxattr", linux.SYS_LGETXATTR, unix.SYS_LGETXATTR},
	{"fgetxattr", linux.SYS_FGETXATTR, unix.SYS_FGETXATTR},
	{"listxattr", linux.SYS_LISTXATTR, unix.SYS_LISTXATTR},
	{"llistxattr", linux.SYS_LLISTXATTR, unix.SYS_LLISTXATTR},
	{"flistxattr", linux.SYS_FLISTXATTR, unix.SYS_FLISTXATTR},
	{"removexattr", linux.SYS_REMOVEXATTR, unix.SYS_REMOVEXATTR},
	{"lremovexattr", linux.SYS_LREMOVEXATTR, unix.SYS_LREMOVEXATTR},
	{"fremovexattr", linux.SYS_FREMOVEXATTR, unix.SYS_FREMOVEXATTR},
	{"tkill", linux.SYS_TKILL, unix.SYS_TKILL},
	{"time", linux.SYS_TIME, unix.SYS_TIME},
	{"futex", linux.SYS_FUTEX, unix.SYS_FUTEX},
	{"sched_setaffinity", linux.SYS_SCHED_SETAFFINITY, unix.SYS_SCHED_SETAFFINITY},
	{"sched_getaffinity", linux.SYS_SCHED_GETAFFINITY, unix.SYS_SCHED_GETAFFINITY},
	{"set_thread_area", linux.SYS_SET_THREAD_AREA, unix.SYS_SET_THREAD_AREA},
	{"io_setup", linux.SYS_IO_SETUP, unix.SYS_IO_SETUP},
	{"io_destroy", linux.SYS_IO_DESTROY, unix.SYS_IO_DESTROY},
	{"io_getevents", linux.SYS_IO_GETEVENTS, unix.SYS_IO_GETEVENTS},
	{"io_submit", linux.SYS_IO_SUBMIT, unix.SYS_IO_SUBMIT},
	{"io_cancel", linux.SYS_IO_CANCEL, unix.SYS_IO_CANCEL},
	{"get_thread_area", linux.SYS_GET_THREAD_AREA, unix.SYS_GET_THREAD_AREA},
	{"lookup_dcookie", linux.SYS_LOOKUP_DCOOKIE, unix.SYS_LOOKUP_DCOOKIE},
	{"epoll_create", linux.SYS_EPOLL_CREATE, unix.SYS_EPOLL_CREATE},
	{"epoll_ctl_old", linux.SYS_EPOLL_CTL_OLD, unix.SYS_EPOLL_CTL_OLD},
	{"epoll_wait_old", linux.SYS_EPOLL_WAIT_OLD, unix.SYS_EPOLL_WAIT_OLD},
	{"remap_file_pages", linux.SYS_REMAP_FILE_PAGES, unix.SYS_REMAP_FILE_PAGES},
	{"getdents64", linux.SYS_GETDENTS64, unix.SYS_GETDENTS64},
	{"set_tid_address", linux.SYS_SET_TID_ADDRESS, unix.SYS_SET_TID_ADDRESS},
	{"restart_syscall", linux.SYS_RESTART_SYSCALL, unix.SYS_RESTART_SYSCALL},
	{"semtimedop", linux.SYS_SEMTIMEDOP, unix.SYS_SEMTIMEDOP},
	{"fadvise64", linux.SYS_FADVISE64, unix.SYS_FADVISE64},
	{"timer_create", linux.SYS_TIMER_CREATE, unix.SYS_TIMER_CREATE},
	{"timer_settime", linux.SYS_TIMER_SETTIME, unix.SYS_TIMER_SETTIME},
	{"timer_gettime", linux.SYS_TIMER_GETTIME, unix.SYS_TIMER_GETTIME},
	{"timer_getoverrun", linux.SYS_TIMER_GETOVERRUN, unix.SYS_TIMER_GETOVERRUN},
	{"timer_delete", linux.SYS_TIMER_DELETE, unix.SYS_TIMER_DELETE},
	{"clock_settime", linux.SYS_CLOCK_SETTIME, unix.SYS_CLOCK_SETTIME},
	{"clock_gettime", linux.SYS_CLOCK_GETTIME, unix.SYS_CLOCK_GETTIME},
	{"clock_getres", linux.SYS_CLOCK_GETRES, unix.SYS_CLOCK_GETRES},
	{"clock_nanosleep", linux.SYS_CLOCK_NANOSLEEP, unix.SYS_CLOCK_NANOSLEEP},
	{"exit_group", linux.SYS_EXIT_GROUP, unix.SYS_EXIT_GROUP},
	{"epoll_wait", linux.SYS_EPOLL_WAIT, unix.SYS_EPOLL_WAIT},
	{"epoll_ctl", linux.SYS_EPOLL_CTL, unix.SYS_EPOLL_CTL},
	{"tgkill", linux.SYS_TGKILL, unix.SYS_TGKILL},
	{"utimes", linux.SYS_UTIMES, unix.SYS_UTIMES},
	{"vserver", linux.SYS_VSERVER, unix.SYS_VSERVER},
	{"mbind", linux.SYS_MBIND, unix.SYS_MBIND},
	{"set_mempolicy", linux.SYS_SET_MEMPOLICY, unix.SYS_SET_MEMPOLICY},
	{"get_mempolicy", linux.SYS_GET_MEMPOLICY, unix.SYS_GET_MEMPOLICY},
	{"mq_open", linux.SYS_MQ_OPEN, unix.SYS_MQ_OPEN},
	{"mq_unlink", linux.SYS_MQ_UNLINK, unix.SYS_MQ_UNLINK},
	{"mq_timedsend", linux.SYS_MQ_TIMEDSEND, unix.SYS_MQ_TIMEDSEND},
	{"mq_timedreceive", linux.SYS_MQ_TIMEDRECEIVE, unix.SYS_MQ_TIMEDRECEIVE},
	{"mq_notify", linux.SYS_MQ_NOTIFY, unix.SYS_MQ_NOTIFY},
	{"mq_getsetattr", linux.SYS_MQ_GETSETATTR, unix.SYS_MQ_GETSETATTR},
	{"kexec_load", linux.SYS_KEXEC_LOAD, unix.SYS_KEXEC_LOAD},
	{"waitid", linux.SYS_WAITID, unix.SYS_WAITID},
	{"add_key", linux.SYS_ADD_KEY, unix.SYS_ADD_KEY},
	{"request_key", linux.SYS_REQUEST_KEY, unix.SYS_REQUEST_KEY},
	{"keyctl", linux.SYS_KEYCTL, unix.SYS_KEYCTL},
	{"ioprio_set", linux.SYS_IOPRIO_SET, unix.SYS_IOPRIO_SET},
	{"ioprio_get", linux.SYS_IOPRIO_GET, unix.SYS_IOPRIO_GET},
	{"inotify_init", linux.SYS_INOTIFY_INIT, unix.SYS_INOTIFY_INIT},
	{"inotify_add_watch", linux.SYS_INOTIFY_ADD_WATCH, unix.SYS_INOTIFY_ADD_WATCH},
	{"inotify_rm_watch", linux.SYS_INOTIFY_RM_WATCH, unix.SYS_INOTIFY_RM_WATCH},
	{"migrate_pages", linux.SYS_MIGRATE_PAGES, unix.SYS_MIGRATE_PAGES},
	{"openat", linux.SYS_OPENAT, unix.SYS_OPENAT},
	{"mkdirat", linux.SYS_MKDIRAT, unix.SYS_MKDIRAT},
	{"mknodat", linux.SYS_MKNODAT, unix.SYS_MKNODAT},
	{"fchownat", linux.SYS_FCHOWNAT, unix.SYS_FCHOWNAT},
	{"futimesat", linux.SYS_FUTIMESAT, unix.SYS_FUTIMESAT},
	{"newfstatat", linux.SYS_NEWFSTATAT, unix.SYS_NEWFSTATAT},
	{"unlinkat", linux.SYS_UNLINKAT, unix.SYS_UNLINKAT},
	{"renameat", linux.SYS_RENAMEAT, unix.SYS_RENAMEAT},
	{"linkat", linux.SYS_LINKAT, unix.SYS_LINKAT},
	{"symlinkat", linux.SYS_SYMLINKAT, unix.SYS_SYMLINKAT},
	{"readlinkat", linux.SYS_READLINKAT, unix.SYS_READLINKAT},
	{"fchmodat", linux.SYS_FCHMODAT, unix.SYS_FCHMODAT},
	{"faccessat", linux.SYS_FACCESSAT, unix.SYS_FACCESSAT},
	{"pselect6", linux.SYS_PSELECT6, unix.SYS_PSELECT6},
	{"ppoll", linux.SYS_PPOLL, unix.SYS_PPOLL},
	{"unshare", linux.SYS_UNSHARE, unix.SYS_UNSHARE},
	{"set_robust_list", linux.SYS_SET_ROBUST_LIST, unix.SYS_SET_ROBUST_LIST},
	{"get_robust_list", linux.SYS_GET_ROBUST_LIST, unix.SYS_GET_ROBUST_LIST},
	{"splice", linux.SYS_SPLICE, unix.SYS_SPLICE},
	{"tee", linux.SYS_TEE, unix.SYS_TEE},
	{"sync_file_range", linux.SYS_SYNC_FILE_RANGE, unix.SYS_SYNC_FILE_RANGE},
	{"vmsplice", linux.SYS_VMSPLICE, unix.SYS_VMSPLICE},
	{"move_pages", linux.SYS_MOVE_PAGES, unix.SYS_MOVE_PAGES},
	{"utimensat", linux.SYS_UTIMENSAT, unix.SYS_UTIMENSAT},
	{"epoll_pwait", linux.SYS_EPOLL_PWAIT, unix.SYS_EPOLL_PWAIT},
	{"signalfd", linux.SYS_SIGNALFD, unix.SYS_SIGNALFD},
	{"timerfd_create", linux.SYS_TIMERFD_CREATE, unix.SYS_TIMERFD_CREATE},
	{"eventfd", linux.SYS_EVENTFD, unix.SYS_EVENTFD},
	{"fallocate", linux.SYS_FALLOCATE, unix.SYS_FALLOCATE},
	{"timerfd_settime", linux.SYS_TIMERFD_SETTIME, unix.SYS_TIMERFD_SETTIME},
	{"timerfd_gettime", linux.SYS_TIMERFD_GETTIME, unix.SYS_TIMERFD_GETTIME},
	{"accept4", linux.SYS_ACCEPT4, unix.SYS_ACCEPT4},
	{"signalfd4", linux.SYS_SIGNALFD4, unix.SYS_SIGNALFD4},
	{"eventfd2", linux.SYS_EVENTFD2, unix.SYS_EVENTFD2},
	{"epoll_create1", linux.SYS_EPOLL_CREATE1, unix.SYS_EPOLL_CREATE1},
	{"dup3", linux.SYS_DUP3, unix.SYS_DUP3},
	{"pipe2", linux.SYS_PIPE2, unix.SYS_PIPE2},
	{"inotify_init1", linux.SYS_INOTIFY_INIT1, unix.SYS_INOTIFY_INIT1},
	{"preadv", linux.SYS_PREADV, unix.SYS_PREADV},
	{"pwritev", linux.SYS_PWRITEV, unix.SYS_PWRITEV},
	{"rt_tgsigqueueinfo", linux.SYS_RT_TGSIGQUEUEINFO, unix.SYS_RT_TGSIGQUEUEINFO},
	{"perf_event_open", linux.SYS_PERF_EVENT_OPEN, unix.SYS_PERF_EVENT_OPEN},
	{"recvmmsg", linux.SYS_RECVMMSG, unix.SYS_RECVMMSG},
	{"fanotify_init", linux.SYS_FANOTIFY_INIT, unix.SYS_FANOTIFY_INIT},
	{"fanotify_mark", linux.SYS_FANOTIFY_MARK, unix.SYS_FANOTIFY_MARK},
	{"prlimit64", linux.SYS_PRLIMIT64, unix.SYS_PRLIMIT64},
	{"name_to_handle_at", linux.SYS_NAME_TO_HANDLE_AT, unix.SYS_NAME_TO_HANDLE_AT},
	{"open_by_handle_at", linux.SYS_OPEN_BY_HANDLE_AT, unix.SYS_OPEN_BY_HANDLE_AT},
	{"clock_adjtime", linux.SYS_CLOCK_ADJTIME, unix.SYS_CLOCK_ADJTIME},
	{"syncfs", linux.SYS_SYNCFS, unix.SYS_SYNCFS},
	{"sendmmsg", linux.SYS_SENDMMSG, unix.SYS_SENDMMSG},
	{"setns", linux.SYS_SETNS, unix.SYS_SETNS},
	{"getcpu", linux.SYS_GETCPU, unix.SYS_GETCPU},
	{"process_vm_readv", linux.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_READV},
	{"process_vm_writev", linux.SYS_PROCESS_VM_WRITEV, unix.SYS_PROCESS_VM_WRITEV},
	{"kcmp", linux.SYS_KCMP, unix.SYS_KCMP},
	{"finit_module", linux.SYS_FINIT_MODULE, unix.SYS_FINIT_MODULE},
	{"sched_setattr", linux.SYS_SCHED_SETATTR, unix.SYS_SCHED_SETATTR},
	{"sched_getattr", linux.SYS_SCHED_GETATTR, unix.SYS_SCHED_GETATTR},
	{"renameat2", linux.SYS_RENAMEAT2, unix.SYS_RENAMEAT2},
	{"seccomp", linux.SYS_SECCOMP, unix.SYS_SECCOMP},
	{"getrandom", linux.SYS_GETRANDOM, unix.SYS_GETRANDOM},
	{"memfd_create", linux.SYS_MEMFD_CREATE, unix.SYS_MEMFD_CREATE},
	{"kexec_file_load", linux.SYS_KEXEC_FILE_LOAD, unix.SYS_KEXEC_FILE_LOAD},
	{"bpf", linux.SYS_BPF, unix.SYS_BPF},
	{"execveat", linux.SYS_EXECVEAT, unix.SYS_EXECVEAT},
	{"userfaultfd", linux.SYS_USERFAULTFD, unix.SYS_USERFAULTFD},
	{"membarrier", linux.SYS_MEMBARRIER, unix.SYS_MEMBARRIER},
	{"mlock2", linux.SYS_MLOCK2, unix.SYS_MLOCK2},
	{"copy_file_range", linux.SYS_COPY_FILE_RANGE, unix.SYS_COPY_FILE_RANGE},
	{"preadv2", linux.SYS_PREADV2, unix.SYS_PREADV2},
	{"pwritev2", linux.SYS_PWRITEV2, unix.SYS_PWRITEV2},
	{"pkey_mprotect", linux.SYS_PKEY_MPROTECT, unix.SYS_PKEY_MPROTECT},
	{"pkey_alloc", linux.SYS_PKEY_ALLOC, unix.SYS_PKEY_ALLOC},
	{"pkey_free", linux.SYS_PKEY_FREE, unix.SYS_PKEY_FREE},
	{"statx", linux.SYS_STATX, unix.SYS_STATX},
	{"io_pgetevents", linux.SYS_IO_PGETEVENTS, unix.SYS_IO_PGETEVENTS},
	{"rseq", linux.SYS_RSEQ, unix.SYS_RSEQ},
	{"pidfd_send_signal", linux.SYS_PIDFD_SEND_SIGNAL, unix.SYS_PIDFD_SEND_SIGNAL},
	{"io_uring_setup", linux.SYS_IO_URING_SETUP, unix.SYS_IO_URING_SETUP},
	{"io_uring_enter", linux.SYS_IO_URING_ENTER, unix.SYS_IO_URING_ENTER},
	{"io_uring_register", linux.SYS_IO_URING_REGISTER, unix.SYS_IO_URING_REGISTER},
	{"open_tree", linux.SYS_OPEN_TREE, unix.SYS_OPEN_TREE},
	{"move_mount", linux.SYS_MOVE_MOUNT, unix.SYS_MOVE_MOUNT},
	{"fsopen", linux.SYS_FSOPEN, unix.SYS_FSOPEN},
	{"fsconfig", linux.SYS_FSCONFIG, unix.SYS_FSCONFIG},
	{"fsmount", linux.SYS_FSMOUNT, unix.SYS_FSMOUNT},
	{"fspick", linux.SYS_FSPICK, unix.SYS_FSPICK},
	{"pidfd_open", linux.SYS_PIDFD_OPEN, unix.SYS_PIDFD_OPEN},
	{"clone3", linux.SYS_CLONE3, unix.SYS_CLONE3},
	{"close_range", linux.SYS_CLOSE_RANGE, unix.SYS_CLOSE_RANGE},
	{"openat2", linux.SYS_OPENAT2, unix.SYS_OPENAT2},
	{"pidfd_getfd", linux.SYS_PIDFD_GETFD, unix.SYS_PIDFD_GETFD},
	{"faccessat2", linux.SYS_FACCESSAT2, unix.SYS_FACCESSAT2},
	{"process_madvise", linux.SYS_PROCESS_MADVISE, unix.SYS_PROCESS_MADVISE},
	{"epoll_pwait2", linux.SYS_EPOLL_PWAIT2, unix.SYS_EPOLL_PWAIT2},
	{"mount_setattr", linux.SYS_MOUNT_SETATTR, unix.SYS_MOUNT_SETATTR},
	{"quotactl_fd", linux.SYS_QUOTACTL_FD, unix.SYS_QUOTACTL_FD},
	{"landlock_create_ruleset", linux.SYS_LANDLOCK_CREATE_RULESET, unix.SYS_LANDLOCK_CREATE_RULESET},
	{"landlock_add_rule", linux.SYS_LANDLOCK_ADD_RULE, unix.SYS_LANDLOCK_ADD_RULE},
	{"landlock_restrict_self", linux.SYS_LANDLOCK_RESTRICT_SELF, unix.SYS_LANDLOCK_RESTRICT_SELF},
	{"memfd_secret", linux.SYS_MEMFD_SECRET, unix.SYS_MEMFD_SECRET},
	{"process_mrelease", linux.SYS_PROCESS_MRELEASE, unix.SYS_PROCESS_MRELEASE},
	{"futex_waitv", linux.SYS_FUTEX_WAITV, unix.SYS_FUTEX_WAITV},
	{"set_mempolicy_home_node", linux.SYS_SET_MEMPOLICY_HOME_NODE, unix.SYS_SET_MEMPOLICY_HOME_NODE},
	{"cachestat", linux.SYS_CACHESTAT, unix.SYS_CACHESTAT},
	{"fchmodat2", linux.SYS_FCHMODAT2, unix.SYS_FCHMODAT2},
	{"map_shadow_stack", linux.SYS_MAP_SHADOW_STACK, unix.SYS_MAP_SHADOW_STACK},
	{"futex_wake", linux.SYS_FUTEX_WAKE, unix.SYS_FUTEX_WAKE},
	{"futex_wait", linux.SYS_FUTEX_WAIT, unix.SYS_FUTEX_WAIT},
	{"futex_requeue", linux.SYS_FUTEX_REQUEUE, unix.SYS_FUTEX_REQUEUE},
	{"statmount", linux.SYS_STATMOUNT, unix.SYS_STATMOUNT},
	{"listmount", linux.SYS_LISTMOUNT, unix.SYS_LISTMOUNT},
	{"lsm_get_self_attr", linux.SYS_LSM_GET_SELF_ATTR, unix.SYS_LSM_GET_SELF_ATTR},
	{"lsm_set_self_attr", linux.SYS_LSM_SET_SELF_ATTR, unix.SYS_LSM_SET_SELF_ATTR},
	{"lsm_list_modules", linux.SYS_LSM_LIST_MODULES, unix.SYS_LSM_LIST_MODULES},
	{"mseal", linux.SYS_MSEAL, unix.SYS_MSEAL},
	{"setxattrat", linux.SYS_SETXATTRAT, unix.SYS_SETXATTRAT},
	{"getxattrat", linux.SYS_GETXATTRAT, unix.SYS_GETXATTRAT},
	{"listxattrat", linux.SYS_LISTXATTRAT, unix.SYS_LISTXATTRAT},
	{"removexattrat", linux.SYS_REMOVEXATTRAT, unix.SYS_REMOVEXATTRAT},
	{"open_tree_attr", linux.SYS_OPEN_TREE_ATTR, unix.SYS_OPEN_TREE_ATTR},
}

// errnos lists every errno constant of pkg/abi/linux beside x/sys's.
var errnos = []struct {
	name   string
	ours   linux.Errno
	theirs unix.Errno
}{
	{"EPERM", linux.EPERM, unix.EPERM},
	{"ENOENT", linux.ENOENT, unix.ENOENT},
	{"ESRCH", linux.ESRCH, unix.ESRCH},
	{"EINTR", linux.EINTR, unix.EINTR},
	{"EIO", linux.EIO, unix.EIO},
	{"ENXIO", linux.ENXIO, unix.ENXIO},
	{"E2BIG", linux.E2BIG, unix.E2BIG},
	{"ENOEXEC", linux.ENOEXEC, unix.ENOEXEC},
	{"EBADF", linux.EBADF, unix.EBADF},
	{"ECHILD", linux.ECHILD, unix.ECHILD},
	{"EAGAIN", linux.EAGAIN, unix.EAGAIN},
	{"ENOMEM", linux.ENOMEM, unix.ENOMEM},
	{"EACCES", linux.EACCES, unix.EACCES},
	{"EFAULT", linux.EFAULT, unix.EFAULT},
	{"ENOTBLK", linux.ENOTBLK, unix.ENOTBLK},
	{"EBUSY", linux.EBUSY, unix.EBUSY},
	{"EEXIST", linux.EEXIST, unix.EEXIST},
	{"EXDEV", linux.EXDEV, unix.EXDEV},
	{"ENODEV", linux.ENODEV, unix.ENODEV},
	{"ENOTDIR", linux.ENOTDIR, unix.ENOTDIR},
	{"EISDIR", linux.EISDIR, unix.EISDIR},
	{"EINVAL", linux.EINVAL, unix.EINVAL},
	{"ENFILE", linux.ENFILE, unix.ENFILE},
	{"EMFILE", linux.EMFILE, unix.EMFILE},
	{"ENOTTY", linux.ENOTTY, unix.ENOTTY},
	{"ETXTBSY", linux.ETXTBSY, unix.ETXTBSY},
	{"EFBIG", linux.EFBIG, unix.EFBIG},
	{"ENOSPC", linux.ENOSPC, unix.ENOSPC},
	{"ESPIPE", linux.ESPIPE, unix.ESPIPE},
	{"EROFS", linux.EROFS, unix.EROFS},
	{"EMLINK", linux.EMLINK, unix.EMLINK},
	{"EPIPE", linux.EPIPE, unix.EPIPE},
	{"EDOM", linux.EDOM, unix.EDOM},
	{"ERANGE", linux.ERANGE, unix.ERANGE},
	{"EDEADLK", linux.EDEADLK, unix.EDEADLK},
	{"ENAMETOOLONG", linux.ENAMETOOLONG, unix.ENAMETOOLONG},
	{"ENOLCK", linux.ENOLCK, unix.ENOLCK},
	{"ENOSYS", linux.ENOSYS, unix.ENOSYS},
	{"ENOTEMPTY", linux.ENOTEMPTY, unix.ENOTEMPTY},
	{"ELOOP", linux.ELOOP, unix.ELOOP},
	{"ENOMSG", linux.ENOMSG, unix.ENOMSG},
	{"EIDRM", linux.EIDRM, unix.EIDRM},
	{"ECHRNG", linux.ECHRNG, unix.ECHRNG},
	{"EL2NSYNC", linux.EL2NSYNC, unix.EL2NSYNC},
	{"EL3HLT", linux.EL3HLT, unix.EL3HLT},
	{"EL3RST", linux.EL3RST, unix.EL3RST},
	{"ELNRNG", linux.ELNRNG, unix.ELNRNG},
	{"EUNATCH", linux.EUNATCH, unix.EUNATCH},
	{"ENOCSI", linux.ENOCSI, unix.ENOCSI},
	{"EL2HLT", linux.EL2HLT, unix.EL2HLT},
	{"EBADE", linux.EBADE, unix.EBADE},
	{"EBADR", linux.EBADR, unix.EBADR},
	{"EXFULL", linux.EXFULL, unix.EXFULL},
	{"ENOANO", linux.ENOANO, unix.ENOANO},
	{"EBADRQC", linux.EBADRQC, unix.EBADRQC},
	{"EBADSLT", linux.EBADSLT, unix.EBADSLT},
	{"EBFONT", linux.EBFONT, unix.EBFONT},
	{"ENOSTR", linux.ENOSTR, unix.ENOSTR},
	{"ENODATA", linux.ENODATA, unix.ENODATA},
	{"ETIME", linux.ETIME, unix.ETIME},
	{"ENOSR", linux.ENOSR, unix.ENOSR},
	{"ENONET", linux.ENONET, unix.ENONET},
	{"ENOPKG", linux.ENOPKG, unix.ENOPKG},
	{"EREMOTE", linux.EREMOTE, unix.EREMOTE},
	{"ENOLINK", linux.ENOLINK, unix.ENOLINK},
	{"EADV", linux.EADV, unix.EADV},
	{"ESRMNT", linux.ESRMNT, unix.ESRMNT},
	{"ECOMM", linux.ECOMM, unix.ECOMM},
	{"EPROTO", linux.EPROTO, unix.EPROTO},
	{"EMULTIHOP", linux.EMULTIHOP, unix.EMULTIHOP},
	{"EDOTDOT", linux.EDOTDOT, unix.EDOTDOT},
	{"EBADMSG", linux.EBADMSG, unix.EBADMSG},
	{"EOVERFLOW", linux.EOVERFLOW, unix.EOVERFLOW},
	{"ENOTUNIQ", linux.ENOTUNIQ, unix.ENOTUNIQ},
	{"EBADFD", linux.EBADFD, unix.EBADFD},
	{"EREMCHG", linux.EREMCHG, unix.EREMCHG},
	{"ELIBACC", linux.ELIBACC, unix.ELIBACC},
	{"ELIBBAD", linux.ELIBBAD, unix.ELIBBAD},
	{"ELIBSCN", linux.ELIBSCN, unix.ELIBSCN},
	{"ELIBMAX", linux.ELIBMAX, unix.ELIBMAX},
	{"ELIBEXEC", linux.ELIBEXEC, unix.ELIBEXEC},
	{"EILSEQ", linux.EILSEQ, unix.EILSEQ},
	{"ERESTART", linux.ERESTART, unix.ERESTART},
	{"ESTRPIPE", linux.ESTRPIPE, unix.ESTRPIPE},
	{"EUSERS", linux.EUSERS, unix.EUSERS},
	{"ENOTSOCK", linux.ENOTSOCK, unix.ENOTSOCK},
	{"EDESTADDRREQ", linux.EDESTADDRREQ, unix.EDESTADDRREQ},
	{"EMSGSIZE", linux.EMSGSIZE, unix.EMSGSIZE},
	{"EPROTOTYPE", linux.EPROTOTYPE, unix.EPROTOTYPE},
	{"ENOPROTOOPT", linux.ENOPROTOOPT, unix.ENOPROTOOPT},
	{"EPROTONOSUPPORT", linux.EPROTONOSUPPORT, unix.EPROTONOSUPPORT},
	{"ESOCKTNOSUPPORT", linux.ESOCKTNOSUPPORT, unix.ESOCKTNOSUPPORT},
	{"EOPNOTSUPP", linux.EOPNOTSUPP, unix.EOPNOTSUPP},
	{"EPFNOSUPPORT", linux.EPFNOSUPPORT, unix.EPFNOSUPPORT},
	{"EAFNOSUPPORT", linux.EAFNOSUPPORT, unix.EAFNOSUPPORT},
	{"EADDRINUSE", linux.EADDRINUSE, unix.EADDRINUSE},
	{"EADDRNOTAVAIL", linux.EADDRNOTAVAIL, unix.EADDRNOTAVAIL},
	{"ENETDOWN", linux.ENETDOWN, unix.ENETDOWN},
	{"ENETUNREACH", linux.ENETUNREACH, unix.ENETUNREACH},
	{"ENETRESET", linux.ENETRESET, unix.ENETRESET},
	{"ECONNABORTED", linux.ECONNABORTED, unix.ECONNABORTED},
	{"ECONNRESET", linux.ECONNRESET, unix.ECONNRESET},
	{"ENOBUFS", linux.ENOBUFS, unix.ENOBUFS},
	{"EISCONN", linux.EISCONN, unix.EISCONN},
	{"ENOTCONN", linux.ENOTCONN, unix.ENOTCONN},
	{"ESHUTDOWN", linux.ESHUTDOWN, unix.ESHUTDOWN},
	{"ETOOMANYREFS", linux.ETOOMANYREFS, unix.ETOOMANYREFS},
	{"ETIMEDOUT", linux.ETIMEDOUT, unix.ETIMEDOUT},
	{"ECONNREFUSED", linux.ECONNREFUSED, unix.ECONNREFUSED},
	{"EHOSTDOWN", linux.EHOSTDOWN, unix.EHOSTDOWN},
	{"EHOSTUNREACH", linux.EHOSTUNREACH, unix.EHOSTUNREACH},
	{"EALREADY", linux.EALREADY, unix.EALREADY},
	{"EINPROGRESS", linux.EINPROGRESS, unix.EINPROGRESS},
	{"ESTALE", linux.ESTALE, unix.ESTALE},
	{"EUCLEAN", linux.EUCLEAN, unix.EUCLEAN},
	{"ENOTNAM", linux.ENOTNAM, unix.ENOTNAM},
	{"ENAVAIL", linux.ENAVAIL, unix.ENAVAIL},
	{"EISNAM", linux.EISNAM, unix.EISNAM},
	{"EREMOTEIO", linux.EREMOTEIO, unix.EREMOTEIO},
	{"EDQUOT", linux.EDQUOT, unix.EDQUOT},
	{"ENOMEDIUM", linux.ENOMEDIUM, unix.ENOMEDIUM},
	{"EMEDIUMTYPE", linux.EMEDIUMTYPE, unix.EMEDIUMTYPE},
	{"ECANCELED", linux.ECANCELED, unix.ECANCELED},
	{"ENOKEY", linux.ENOKEY, unix.ENOKEY},
	{"EKEYEXPIRED", linux.EKEYEXPIRED, unix.EKEYEXPIRED},
	{"EKEYREVOKED", linux.EKEYREVOKED, unix.EKEYREVOKED},
	{"EKEYREJECTED", linux.EKEYREJECTED, unix.EKEYREJECTED},
	{"EOWNERDEAD", linux.EOWNERDEAD, unix.EOWNERDEAD},
	{"ENOTRECOVERABLE", linux.ENOTRECOVERABLE, unix.ENOTRECOVERABLE},
	{"ERFKILL", linux.ERFKILL, unix.ERFKILL},
	{"EHWPOISON", linux.EHWPOISON, unix.EHWPOISON},
}

// signals lists every standard signal of pkg/abi/linux beside x/sys's.
var signals = []struct {
	name   string
	ours   linux.Signal
	theirs unix.Signal
}{
	{"SIGHUP", linux.SIGHUP, unix.SIGHUP},
	{"SIGINT", linux.SIGINT, unix.SIGINT},
	{"SIGQUIT", linux.SIGQUIT, unix.SIGQUIT},
	{"SIGILL", linux.SIGILL, unix.SIGILL},
	{"SIGTRAP", linux.SIGTRAP, unix.SIGTRAP},
	{"SIGABRT", linux.SIGABRT, unix.SIGABRT},
	{"SIGBUS", linux.SIGBUS, unix.SIGBUS},
	{"SIGFPE", linux.SIGFPE, unix.SIGFPE},
	{"SIGKILL", linux.SIGKILL, unix.SIGKILL},
	{"SIGUSR1", linux.SIGUSR1, unix.SIGUSR1},
	{"SIGSEGV", linux.SIGSEGV, unix.SIGSEGV},
	{"SIGUSR2", linux.SIGUSR2, unix.SIGUSR2},
	{"SIGPIPE", linux.SIGPIPE, unix.SIGPIPE},
	{"SIGALRM", linux.SIGALRM, unix.SIGALRM},
	{"SIGTERM", linux.SIGTERM, unix.SIGTERM},
	{"SIGSTKFLT", linux.SIGSTKFLT, unix.SIGSTKFLT},
	{"SIGCHLD", linux.SIGCHLD, unix.SIGCHLD},
	{"SIGCONT", linux.SIGCONT, unix.SIGCONT},
	{"SIGSTOP", linux.SIGSTOP, unix.SIGSTOP},
	{"SIGTSTP", linux.SIGTSTP, unix.SIGTSTP},
	{"SIGTTIN", linux.SIGTTIN, unix.SIGTTIN},
	{"SIGTTOU", linux.SIGTTOU, unix.SIGTTOU},
	{"SIGURG", linux.SIGURG, unix.SIGURG},
	{"SIGXCPU", linux.SIGXCPU, unix.SIGXCPU},
	{"SIGXFSZ", linux.SIGXFSZ, unix.SIGXFSZ},
	{"SIGVTALRM", linux.SIGVTALRM, unix.SIGVTALRM},
	{"SIGPROF", linux.SIGPROF, unix.SIGPROF},
	{"SIGWINCH", linux.SIGWINCH, unix.SIGWINCH},
	{"SIGIO", linux.SIGIO, unix.SIGIO},
	{"SIGPWR", linux.SIGPWR, unix.SIGPWR},
	{"SIGSYS", linux.SIGSYS, unix.SIGSYS},
}

func TestSyscallNumbersMatchXSys(t *testing.T) {
	listed := map[string]bool{}
	for _, s := range sysnos {
		if s.ours != s.theirs {
			t.Errorf("SYS_%s: ours %d, x/sys %d", s.name, s.ours, s.theirs)
		}
		if got := linux.SyscallName(s.ours); got != s.name {
			t.Errorf("SyscallName(%d) = %q, want %q", s.ours, got, s.name)
		}
		if nr, ok := linux.SyscallNumber(s.name); !ok || nr != s.ours {
			t.Errorf("SyscallNumber(%q) = %d, %v; want %d, true", s.name, nr, ok, s.ours)
		}
		listed[s.name] = true
	}
	// The list above must cover the whole generated table.
	for nr, name := range linux.SyscallNames {
		if name != "" && !listed[name] {
			t.Errorf("syscall %d (%s) is not cross-checked against x/sys; add it to sysnos", nr, name)
		}
	}
	if got := linux.SyscallNames[linux.NumSyscalls-1]; got == "" {
		t.Errorf("NumSyscalls = %d but the last entry is a hole", linux.NumSyscalls)
	}
}

func TestSyscallNameUnknown(t *testing.T) {
	tests := []struct {
		nr   uintptr
		want string
	}{
		{999, "syscall_999"},
		{linux.NumSyscalls, "syscall_468"},
		{335, "syscall_335"}, // in the hole after rseq (334) before pidfd_send_signal (424)
		{^uintptr(0), "syscall_18446744073709551615"},
		{linux.SYS_OPEN_TREE_ATTR, "open_tree_attr"},
	}
	for _, tc := range tests {
		if got := linux.SyscallName(tc.nr); got != tc.want {
			t.Errorf("SyscallName(%d) = %q, want %q", tc.nr, got, tc.want)
		}
	}
	for _, name := range []string{"", "syscall_999", "READ", "no_such_call"} {
		if nr, ok := linux.SyscallNumber(name); ok {
			t.Errorf("SyscallNumber(%q) = %d, true; want false", name, nr)
		}
	}
}

func TestErrnosMatchXSys(t *testing.T) {
	listed := map[string]bool{}
	for _, e := range errnos {
		if uint32(e.ours) != uint32(e.theirs) {
			t.Errorf("%s: ours %d, x/sys %d", e.name, e.ours, e.theirs)
		}
		if got := e.ours.Name(); got != e.name {
			t.Errorf("Errno(%d).Name() = %q, want %q", e.ours, got, e.name)
		}
		if got := e.ours.Error(); got != e.name {
			t.Errorf("Errno(%d).Error() = %q, want %q", e.ours, got, e.name)
		}
		listed[e.name] = true
	}
	// Every named errno below the restart codes must be in the list.
	for e := linux.Errno(1); e < linux.ERESTARTSYS; e++ {
		if n := e.Name(); n != "errno "+strconv.Itoa(int(e)) && !listed[n] {
			t.Errorf("errno %d (%s) is not cross-checked against x/sys; add it to errnos", e, n)
		}
	}
	if linux.EWOULDBLOCK != linux.Errno(unix.EWOULDBLOCK) || linux.EDEADLOCK != linux.Errno(unix.EDEADLOCK) {
		t.Errorf("errno aliases differ from x/sys")
	}
}

func TestSignalNames(t *testing.T) {
	for _, s := range signals {
		if int32(s.ours) != int32(s.theirs) {
			t.Errorf("%s: ours %d, x/sys %d", s.name, s.ours, s.theirs)
		}
		if got := s.ours.Name(); got != s.name {
			t.Errorf("Signal(%d).Name() = %q, want %q", s.ours, got, s.name)
		}
	}
	// Every valid signal round-trips through its name.
	for s := linux.Signal(1); s <= linux.SIGRTMAX; s++ {
		got, ok := linux.SignalByName(s.Name())
		if !ok || got != s {
			t.Errorf("SignalByName(%q) = %d, %v; want %d", s.Name(), got, ok, s)
		}
	}
	tests := []struct {
		name string
		want linux.Signal
		ok   bool
	}{
		{"SIGKILL", linux.SIGKILL, true},
		{"kill", linux.SIGKILL, true},
		{"TERM", linux.SIGTERM, true},
		{"SIGIOT", linux.SIGABRT, true},
		{"SIGPOLL", linux.SIGIO, true},
		{"SIGRTMIN", 32, true},
		{"SIGRTMIN+3", 35, true},
		{"SIGRTMAX", 64, true},
		{"SIGRTMAX-2", 62, true},
		{"SIGRTMIN+33", 0, false},
		{"SIGRTMIN-1", 0, false},
		{"SIGRTMIN+", 0, false},
		{"SIGRTMIN++1", 0, false},
		{"SIGRTMAX-+1", 0, false},
		{"SIGFOO", 0, false},
		{"", 0, false},
		{"SIG", 0, false},
	}
	for _, tc := range tests {
		got, ok := linux.SignalByName(tc.name)
		if ok != tc.ok || got != tc.want {
			t.Errorf("SignalByName(%q) = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	names := []struct {
		sig  linux.Signal
		want string
	}{
		{linux.SIGSEGV, "SIGSEGV"},
		{32, "SIGRTMIN"},
		{37, "SIGRTMIN+5"},
		{64, "SIGRTMIN+32"},
		{0, "signal 0"},
		{65, "signal 65"},
		{-1, "signal -1"},
	}
	for _, tc := range names {
		if got := tc.sig.Name(); got != tc.want {
			t.Errorf("Signal(%d).Name() = %q, want %q", tc.sig, got, tc.want)
		}
	}
}

// TestGeneratedFilesUpToDate is `go run ./tools/genabi --check`.
func TestGeneratedFilesUpToDate(t *testing.T) {
	for _, h := range []string{gen.DefaultHeaders.ErrnoBase, gen.DefaultHeaders.Errno, gen.DefaultHeaders.Unistd64} {
		if _, err := os.Stat(h); errors.Is(err, fs.ErrNotExist) {
			t.Skipf("host header %s missing: install linux-libc-dev to check the generated files", h)
		}
	}
	if err := gen.Check("../../..", gen.DefaultHeaders); err != nil {
		t.Error(err)
	}
}
