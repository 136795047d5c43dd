// Package container owns OCI containers on the host: their lifecycle
// (create, start, kill, wait, delete: lifecycle.go), the state directory
// under --root (one directory per container holding its state.json and
// control socket), the per-container lock file that serializes runsc
// invocations on the same container, and the status rules (a container
// whose sandbox process is gone is stopped).
//
// State files survive the runsc process that wrote them; every change is
// written to a temporary file and renamed into place, so a reader never
// sees half a state. Processes are started through runsc/sandbox and
// reached through runsc/control; this package must not build the sentry
// or parse command lines (runsc/cmd does).
package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Status is a container's OCI status.
type Status string

// The OCI statuses (and paused, as runc reports it).
const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

const (
	stateName  = "state.json"
	lockSuffix = ".lock"
)

// idPattern is what runc accepts as a container ID.
var idPattern = regexp.MustCompile(`^[\w+\-.]+$`)

// ValidateID checks a container ID: letters, digits and _+-. only, and
// not "." or "..".
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container ID is empty")
	}
	if !idPattern.MatchString(id) || id == "." || id == ".." {
		return fmt.Errorf("invalid container ID %q (allowed: letters, digits, _ + - .)", id)
	}
	if len(id) > 1024 {
		return fmt.Errorf("container ID %.20q... is too long", id)
	}
	return nil
}

// State is what runsc records about a container.
type State struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	// Rootfs is the host path of the container's root file system.
	Rootfs string `json:"rootfs"`
	Status Status `json:"status"`
	// Created is when create finished setting the container up.
	Created time.Time `json:"created"`
	// Owner is the uid that created the container.
	Owner int `json:"owner"`
	// Spec is the bundle's configuration as it was at create time.
	Spec *specs.Spec `json:"spec"`
	// SandboxPID is the host pid of the sandbox process (`runsc boot`),
	// which is the container's pid in OCI state; SandboxStart is its
	// start time in clock ticks since boot (/proc/PID/stat field 22), to
	// tell it from a later process that reuses the pid.
	SandboxPID   int    `json:"sandbox_pid"`
	SandboxStart uint64 `json:"sandbox_start"`
	// GoferPID and GoferStart are the same for the gofer process.
	GoferPID   int    `json:"gofer_pid"`
	GoferStart uint64 `json:"gofer_start"`
	// ControlSocket is the path of the sandbox's control socket.
	ControlSocket string `json:"control_socket"`
	// Filestore is the host path of the overlay filestore, if any was
	// left with a name (removed by delete).
	Filestore string `json:"filestore,omitempty"`
}

// OCIState is the state `runsc state` prints: the OCI runtime spec's
// state, plus rootfs, created and owner as runc prints them.
type OCIState struct {
	specs.State
	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner"`
}

// OCI returns s in OCI form. A stopped container reports pid 0.
func (s *State) OCI() OCIState {
	o := OCIState{
		State: specs.State{
			Version: specs.Version,
			ID:      s.ID,
			Status:  specs.ContainerState(s.Status),
			Bundle:  s.Bundle,
		},
		Rootfs:  s.Rootfs,
		Created: s.Created,
		Owner:   strconv.Itoa(s.Owner),
	}
	if s.Status != Stopped {
		o.Pid = s.SandboxPID
	}
	if s.Spec != nil {
		o.Annotations = s.Spec.Annotations
	}
	return o
}

// Dir returns the state directory of container id under root.
func Dir(root, id string) string { return filepath.Join(root, id) }

// Lock is a held container lock.
type Lock struct {
	f *os.File
}

// LockContainer takes the lock of container id under root, creating root
// (mode 0711) and the lock file if needed, and waits for other runsc
// processes that hold it. The lock file stays after Unlock until Remove.
func LockContainer(root, id string) (*Lock, error) {
	if err := os.MkdirAll(root, 0o711); err != nil {
		return nil, fmt.Errorf("state directory %q: %w", root, err)
	}
	f, err := os.OpenFile(filepath.Join(root, id+lockSuffix), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock container %q: %w", id, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock container %q: %w", id, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// ErrNotExist is returned for a container without state.
var ErrNotExist = errors.New("container does not exist")

// Load reads the state of container id and brings its status up to date
// (a container whose sandbox process is gone is stopped).
func Load(root, id string) (*State, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(Dir(root, id), stateName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, fmt.Errorf("container %q: read state: %w", id, err)
	}
	s := &State{}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("container %q: state file is corrupt: %w", id, err)
	}
	s.refresh(root)
	return s, nil
}

// Exists reports whether container id has state under root.
func Exists(root, id string) bool {
	_, err := os.Stat(filepath.Join(Dir(root, id), stateName))
	return err == nil
}

// refresh marks s stopped once its init has ended (the sandbox recorded
// its exit status; the sandbox process may still be on its way out) or
// its sandbox process is gone.
func (s *State) refresh(root string) {
	if s.Status == Stopped || s.Status == Creating {
		return
	}
	if _, exited := recordedExit(root, s.ID); exited || !Alive(s.SandboxPID, s.SandboxStart) {
		s.Status = Stopped
	}
}

// Save writes s atomically, creating its directory.
func (s *State) Save(root string) error {
	dir := Dir(root, s.ID)
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return fmt.Errorf("container %q: state directory: %w", s.ID, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("container %q: encode state: %w", s.ID, err)
	}
	tmp, err := os.CreateTemp(dir, "."+stateName+".*")
	if err != nil {
		return fmt.Errorf("container %q: write state: %w", s.ID, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("container %q: write state: %w", s.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("container %q: write state: %w", s.ID, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateName)); err != nil {
		return fmt.Errorf("container %q: write state: %w", s.ID, err)
	}
	return nil
}

// Remove deletes every file runsc keeps for container id under root: its
// state directory (with the control socket) and its lock file.
func Remove(root, id string) error {
	if err := os.RemoveAll(Dir(root, id)); err != nil {
		return fmt.Errorf("container %q: remove state: %w", id, err)
	}
	if err := os.Remove(filepath.Join(root, id+lockSuffix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("container %q: remove lock: %w", id, err)
	}
	return nil
}

// List returns the IDs of the containers with state under root, sorted.
// A missing root has none.
func List(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("list %q: %w", root, err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && ValidateID(e.Name()) == nil && Exists(root, e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// StartTime returns the start time of host process pid in clock ticks
// since boot, or 0 if it does not exist.
func StartTime(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces and parentheses: fields count
	// from the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return 0
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0
	}
	v, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// Alive reports whether host process pid exists, is not a zombie, and
// started at start (when start is not 0).
func Alive(pid int, start uint64) bool {
	st := StartTime(pid)
	return st != 0 && (start == 0 || st == start)
}
