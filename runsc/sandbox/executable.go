package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Shell exit codes for a program that cannot be started, as a POSIX shell
// reports them.
const (
	// ExitNotFound: the program does not exist.
	ExitNotFound = 127
	// ExitCannotExecute: the program exists but cannot be executed.
	ExitCannotExecute = 126
)

// ExecError says why a program cannot be started, with the exit code a
// shell would give for it.
type ExecError struct {
	// Name is the program as the user named it.
	Name string
	// Err is the reason, usually a unix.Errno (ENOENT, EACCES, ENOEXEC).
	Err error
	// Code is ExitNotFound or ExitCannotExecute.
	Code int
	// NotInPath is set when Name had no slash and no $PATH entry held it.
	NotInPath bool
}

func (e *ExecError) Error() string {
	if e.NotInPath {
		return fmt.Sprintf("%s: command not found", e.Name)
	}
	return fmt.Sprintf("%s: %v", e.Name, e.Err)
}

func (e *ExecError) Unwrap() error { return e.Err }

// elfMagic opens every ELF file (include/uapi/linux/elf.h, ELFMAG).
var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// OpenExecutable finds the program name as execvp(3) would, using pathEnv
// as $PATH when name has no slash, and opens it read-only and close-on-exec.
// It refuses, before anything is started, what the host's execve(2) would
// refuse: a missing file (ENOENT, exit 127), a directory, special file,
// file without execute permission for the caller, or file on a noexec mount
// (EACCES, exit 126), and a file that is not ELF (ENOEXEC, exit 126;
// interpreter scripts are not supported yet). Errors are *ExecError.
//
// It returns the path that was opened and the open file; the caller owns
// the file.
func OpenExecutable(name, pathEnv string) (string, *os.File, error) {
	if name == "" {
		return "", nil, &ExecError{Name: name, Err: unix.ENOENT, Code: ExitNotFound}
	}
	if strings.Contains(name, "/") {
		f, err := openChecked(name)
		if err != nil {
			return "", nil, err
		}
		return name, f, nil
	}

	// Like a shell: take the first entry holding an executable file; if
	// entries held the name but none could be executed, report the first
	// such failure; otherwise it was not found.
	var firstErr *ExecError
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "." // An empty $PATH entry means the current directory.
		}
		candidate := filepath.Join(dir, name)
		if !strings.Contains(candidate, "/") {
			candidate = "./" + candidate
		}
		f, err := openChecked(candidate)
		if err == nil {
			return candidate, f, nil
		}
		var ee *ExecError
		if errors.As(err, &ee) && ee.Code == ExitCannotExecute && firstErr == nil {
			firstErr = ee
		}
	}
	if firstErr != nil {
		return "", nil, firstErr
	}
	return "", nil, &ExecError{Name: name, Err: unix.ENOENT, Code: ExitNotFound, NotInPath: true}
}

// openChecked opens path and applies execve(2)'s checks to the open file, so
// that the file checked is the file passed on.
func openChecked(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		code := ExitCannotExecute
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			code = ExitNotFound
		}
		return nil, &ExecError{Name: path, Err: err, Code: code}
	}
	f := os.NewFile(uintptr(fd), path)
	if err := checkExecutable(fd); err != nil {
		f.Close()
		return nil, &ExecError{Name: path, Err: err, Code: ExitCannotExecute}
	}
	if err := checkELF(f); err != nil {
		f.Close()
		return nil, &ExecError{Name: path, Err: err, Code: ExitCannotExecute}
	}
	return f, nil
}

// checkExecutable returns EACCES unless the caller could execve(2) fd:
// a regular file, on a mount without noexec, with an execute bit that
// applies to the caller's effective ids (root needs any execute bit).
func checkExecutable(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return unix.EACCES
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return err
	}
	// statfs(2)'s ST_NOEXEC has the value of MS_NOEXEC.
	if sfs.Flags&unix.MS_NOEXEC != 0 {
		return unix.EACCES
	}
	if !mayExecute(st.Mode, st.Uid, st.Gid, unix.Geteuid(), unix.Getegid(), inGroup) {
		return unix.EACCES
	}
	return nil
}

// mayExecute applies the permission bits of a file with the given mode and
// owner to a caller with effective ids euid and egid; member reports
// supplementary group membership.
func mayExecute(mode, uid, gid uint32, euid, egid int, member func(gid uint32) bool) bool {
	const anyX = 0o111
	switch {
	case euid == 0:
		return mode&anyX != 0
	case uint32(euid) == uid:
		return mode&0o100 != 0
	case uint32(egid) == gid || member(gid):
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}

func inGroup(gid uint32) bool {
	groups, err := unix.Getgroups()
	if err != nil {
		return false
	}
	for _, g := range groups {
		if uint32(g) == gid {
			return true
		}
	}
	return false
}

// checkELF returns ENOEXEC unless f starts with the ELF magic or "#!"
// (a script, which the sentry runs with its interpreter).
func checkELF(f *os.File) error {
	var hdr [4]byte
	n, err := f.ReadAt(hdr[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if n >= 2 && string(hdr[:2]) == "#!" {
		return nil
	}
	if n < len(hdr) || string(hdr[:]) != string(elfMagic) {
		return unix.ENOEXEC
	}
	return nil
}
