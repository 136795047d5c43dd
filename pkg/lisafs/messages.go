package lisafs

import (
	"fmt"
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs/fb"
	flatbuffers "github.com/google/flatbuffers/go"
)

// msgType says which request a frame carries (and, in a reply, which request
// it answers). The numbers are part of the wire protocol: never renumber.
type msgType uint16

const (
	msgVersion msgType = iota + 1
	msgChannel
	msgMount
	msgWalkStat
	msgFStat
	msgSetStat
	msgOpenAt
	msgOpenCreateAt
	msgClose
	msgPRead
	msgPWrite
	msgFSync
	msgFAllocate
	msgGetdents64
	msgMkdirAt
	msgMknodAt
	msgSymlinkAt
	msgLinkAt
	msgUnlinkAt
	msgRenameAt
	msgReadLinkAt
	msgStatFS
	msgGetXattr
	msgSetXattr
	msgListXattr
	msgRemoveXattr
	msgConnect
	msgTypeEnd // one past the last message type
)

var msgNames = [...]string{
	msgVersion:      "Version",
	msgChannel:      "Channel",
	msgMount:        "Mount",
	msgWalkStat:     "WalkStat",
	msgFStat:        "FStat",
	msgSetStat:      "SetStat",
	msgOpenAt:       "OpenAt",
	msgOpenCreateAt: "OpenCreateAt",
	msgClose:        "Close",
	msgPRead:        "PRead",
	msgPWrite:       "PWrite",
	msgFSync:        "FSync",
	msgFAllocate:    "FAllocate",
	msgGetdents64:   "Getdents64",
	msgMkdirAt:      "MkdirAt",
	msgMknodAt:      "MknodAt",
	msgSymlinkAt:    "SymlinkAt",
	msgLinkAt:       "LinkAt",
	msgUnlinkAt:     "UnlinkAt",
	msgRenameAt:     "RenameAt",
	msgReadLinkAt:   "ReadLinkAt",
	msgStatFS:       "StatFS",
	msgGetXattr:     "GetXattr",
	msgSetXattr:     "SetXattr",
	msgListXattr:    "ListXattr",
	msgRemoveXattr:  "RemoveXattr",
	msgConnect:      "Connect",
}

func (t msgType) String() string {
	if t > 0 && t < msgTypeEnd {
		return msgNames[t]
	}
	return fmt.Sprintf("message type %d", uint16(t))
}

// Per-request limits, chosen so that every request and reply fits in
// MaxPayload.
const (
	// MaxWalkNames is how many names one WalkStat round trip carries; the
	// client splits longer walks.
	MaxWalkNames = 64
	// MaxCloseFDs is how many FDIDs one Close round trip carries.
	MaxCloseFDs = 1024
	// MaxGetdentsCount caps the count of one Getdents64 round trip.
	MaxGetdentsCount = 16 << 10
	// MaxSymlinkTarget is the longest symlink target (PATH_MAX less the NUL).
	MaxSymlinkTarget = linux.PATH_MAX - 1
)

// FDID names a control FD or an open FD held by the server for a client.
// FDIDs are never reused within one connection.
type FDID uint64

// Inode is a file named by a control FD, with its attributes.
type Inode struct {
	ControlFD FDID
	Stat      linux.Statx
}

// Dirent is one directory entry as getdents64(2) reports it.
type Dirent struct {
	Ino  uint64
	Off  int64
	Type uint8
	Name string
}

// SetStatArgs says which attributes SetStat changes: Mask holds
// linux.STATX_MODE, STATX_UID, STATX_GID, STATX_SIZE, STATX_ATIME and
// STATX_MTIME bits; the other fields are used only when their bit is set.
// Atime and Mtime honour linux.UTIME_NOW and linux.UTIME_OMIT in Nsec.
type SetStatArgs struct {
	Mask     uint32
	Mode     uint32
	UID, GID uint32
	Size     uint64
	Atime    linux.Timespec
	Mtime    linux.Timespec
}

// setStatMask is every bit SetStatArgs.Mask may hold.
const setStatMask = linux.STATX_MODE | linux.STATX_UID | linux.STATX_GID | linux.STATX_SIZE | linux.STATX_ATIME | linux.STATX_MTIME

// CheckName returns nil if name is a valid single path component: not
// empty, not "." or "..", without '/' or NUL (EINVAL), and at most NAME_MAX
// bytes (ENAMETOOLONG).
func CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return linux.EINVAL
	case strings.ContainsAny(name, "/\x00"):
		return linux.EINVAL
	case len(name) > linux.NAME_MAX:
		return linux.ENAMETOOLONG
	}
	return nil
}

// checkSymlinkTarget applies symlink(2)'s rules to a target.
func checkSymlinkTarget(target string) error {
	switch {
	case target == "":
		return linux.ENOENT
	case strings.IndexByte(target, 0) >= 0:
		return linux.EINVAL
	case len(target) > MaxSymlinkTarget:
		return linux.ENAMETOOLONG
	}
	return nil
}

// checkXattrName applies the xattr calls' rules to a name: 1 to
// XATTR_NAME_MAX bytes (ERANGE otherwise), no NUL (EINVAL).
func checkXattrName(name string) error {
	switch {
	case name == "" || len(name) > linux.XATTR_NAME_MAX:
		return linux.ERANGE
	case strings.IndexByte(name, 0) >= 0:
		return linux.EINVAL
	}
	return nil
}

// errnoFromHeader converts a reply's errno field. Zero means success; values
// outside the range Linux uses are a protocol violation.
func errnoFromHeader(e uint32) (linux.Errno, bool) {
	if e >= 4096 {
		return 0, false
	}
	return linux.Errno(e), true
}

// decodeGuard turns a panic inside a flatbuffers accessor into an error.
//
// Why a recover: the Go runtime of flatbuffers v2.0.8 has no verifier, and
// its accessors trust the offsets stored in the buffer. Every access is a Go
// slice operation, so a hostile offset cannot read outside the received
// buffer; it can only make an index go out of range, which panics with a
// runtime.Error. The decoders below call nothing but accessors and plain
// Go code between the guard and its recover, so converting that panic to
// EINVAL (the server) or a connection error (the client) is complete. Any
// decoded slice is bounds-checked against the buffer size before it is
// allocated, so a hostile length cannot make the decoder allocate more than
// the frame's size.
func decodeGuard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: flatbuffer: %v", errMalformed, r)
	}
}

// rootPos returns the root table position of a payload, checking that it
// lies inside the buffer.
func rootPos(buf []byte) (flatbuffers.UOffsetT, error) {
	if len(buf) < 4 {
		return 0, fmt.Errorf("%w: payload of %d bytes has no root", errMalformed, len(buf))
	}
	pos := flatbuffers.GetUOffsetT(buf)
	if uint64(pos)+4 > uint64(len(buf)) {
		return 0, fmt.Errorf("%w: root offset %d outside the %d-byte payload", errMalformed, pos, len(buf))
	}
	return pos, nil
}

// checkVectorLen checks that a vector of n elements of at least elemSize
// bytes each can fit in buf.
func checkVectorLen(n, elemSize int, buf []byte) error {
	if n < 0 || n > len(buf)/elemSize {
		return fmt.Errorf("%w: vector of %d elements in a %d-byte payload", errMalformed, n, len(buf))
	}
	return nil
}

// Fixed sizes of the schema's structs, as flatc lays them out.
const (
	sizeofFBStatx = 144
	sizeofFBInode = 152
)

func putStatx(b *flatbuffers.Builder, s *linux.Statx) flatbuffers.UOffsetT {
	return fb.CreateStatx(b, s.Mask, s.Blksize, s.Attributes, s.Nlink, s.UID, s.GID, s.Mode,
		s.Ino, s.Size, s.Blocks, s.AttributesMask,
		s.Atime.Sec, s.Atime.Nsec, s.Btime.Sec, s.Btime.Nsec,
		s.Ctime.Sec, s.Ctime.Nsec, s.Mtime.Sec, s.Mtime.Nsec,
		s.RdevMajor, s.RdevMinor, s.DevMajor, s.DevMinor)
}

func putInode(b *flatbuffers.Builder, ino *Inode) flatbuffers.UOffsetT {
	s := &ino.Stat
	return fb.CreateInode(b, uint64(ino.ControlFD), s.Mask, s.Blksize, s.Attributes, s.Nlink, s.UID, s.GID, s.Mode,
		s.Ino, s.Size, s.Blocks, s.AttributesMask,
		s.Atime.Sec, s.Atime.Nsec, s.Btime.Sec, s.Btime.Nsec,
		s.Ctime.Sec, s.Ctime.Nsec, s.Mtime.Sec, s.Mtime.Nsec,
		s.RdevMajor, s.RdevMinor, s.DevMajor, s.DevMinor)
}

func getStatx(f *fb.Statx) linux.Statx {
	var at, bt, ct, mt fb.Timestamp
	f.Atime(&at)
	f.Btime(&bt)
	f.Ctime(&ct)
	f.Mtime(&mt)
	return linux.Statx{
		Mask:           f.Mask(),
		Blksize:        f.Blksize(),
		Attributes:     f.Attributes(),
		Nlink:          f.Nlink(),
		UID:            f.Uid(),
		GID:            f.Gid(),
		Mode:           f.Mode(),
		Ino:            f.Ino(),
		Size:           f.Size(),
		Blocks:         f.Blocks(),
		AttributesMask: f.AttributesMask(),
		Atime:          linux.StatxTimestamp{Sec: at.Sec(), Nsec: at.Nsec()},
		Btime:          linux.StatxTimestamp{Sec: bt.Sec(), Nsec: bt.Nsec()},
		Ctime:          linux.StatxTimestamp{Sec: ct.Sec(), Nsec: ct.Nsec()},
		Mtime:          linux.StatxTimestamp{Sec: mt.Sec(), Nsec: mt.Nsec()},
		RdevMajor:      f.RdevMajor(),
		RdevMinor:      f.RdevMinor(),
		DevMajor:       f.DevMajor(),
		DevMinor:       f.DevMinor(),
	}
}

func getInode(f *fb.Inode) Inode {
	var st fb.Statx
	return Inode{ControlFD: FDID(f.ControlFd()), Stat: getStatx(f.Stat(&st))}
}

// The encoders below build one payload each into a builder that the caller
// has Reset. They are shared by client (requests) and server (replies).

func finish(b *flatbuffers.Builder, root flatbuffers.UOffsetT) []byte {
	b.Finish(root)
	return b.FinishedBytes()
}

func encodeFDReq(b *flatbuffers.Builder, fd FDID) []byte {
	fb.FDReqStart(b)
	fb.FDReqAddFd(b, uint64(fd))
	return finish(b, fb.FDReqEnd(b))
}

func decodeFDReq(buf []byte) (fd FDID, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, err
	}
	var r fb.FDReq
	r.Init(buf, pos)
	return FDID(r.Fd()), nil
}

func encodeInodeResp(b *flatbuffers.Builder, ino *Inode) []byte {
	fb.InodeRespStart(b)
	fb.InodeRespAddInode(b, putInode(b, ino))
	return finish(b, fb.InodeRespEnd(b))
}

func decodeInodeResp(buf []byte) (ino Inode, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return Inode{}, err
	}
	var r fb.InodeResp
	r.Init(buf, pos)
	var f fb.Inode
	if r.Inode(&f) == nil {
		return Inode{}, fmt.Errorf("%w: reply has no inode", errMalformed)
	}
	return getInode(&f), nil
}

func encodeStatResp(b *flatbuffers.Builder, st *linux.Statx) []byte {
	fb.StatRespStart(b)
	fb.StatRespAddStat(b, putStatx(b, st))
	return finish(b, fb.StatRespEnd(b))
}

func decodeStatResp(buf []byte) (st linux.Statx, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return st, err
	}
	var r fb.StatResp
	r.Init(buf, pos)
	var f fb.Statx
	if r.Stat(&f) == nil {
		return st, fmt.Errorf("%w: reply has no stat", errMalformed)
	}
	return getStatx(&f), nil
}

// versionReq is the Version request and reply (chosen is 0 in a request).
type versionMsg struct {
	min, max, chosen uint32
}

func encodeVersionReq(b *flatbuffers.Builder, v versionMsg) []byte {
	fb.VersionReqStart(b)
	fb.VersionReqAddMinVersion(b, v.min)
	fb.VersionReqAddMaxVersion(b, v.max)
	return finish(b, fb.VersionReqEnd(b))
}

func decodeVersionReq(buf []byte) (v versionMsg, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return v, err
	}
	var r fb.VersionReq
	r.Init(buf, pos)
	return versionMsg{min: r.MinVersion(), max: r.MaxVersion()}, nil
}

func encodeVersionResp(b *flatbuffers.Builder, v versionMsg) []byte {
	fb.VersionRespStart(b)
	fb.VersionRespAddMinVersion(b, v.min)
	fb.VersionRespAddMaxVersion(b, v.max)
	fb.VersionRespAddVersion(b, v.chosen)
	return finish(b, fb.VersionRespEnd(b))
}

func decodeVersionResp(buf []byte) (v versionMsg, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return v, err
	}
	var r fb.VersionResp
	r.Init(buf, pos)
	return versionMsg{min: r.MinVersion(), max: r.MaxVersion(), chosen: r.Version()}, nil
}

func encodeWalkStatReq(b *flatbuffers.Builder, dir FDID, names []string) []byte {
	offs := make([]flatbuffers.UOffsetT, len(names))
	for i, n := range names {
		offs[i] = b.CreateString(n)
	}
	fb.WalkStatReqStartNamesVector(b, len(names))
	for i := len(offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(offs[i])
	}
	vec := b.EndVector(len(names))
	fb.WalkStatReqStart(b)
	fb.WalkStatReqAddDir(b, uint64(dir))
	fb.WalkStatReqAddNames(b, vec)
	return finish(b, fb.WalkStatReqEnd(b))
}

func decodeWalkStatReq(buf []byte) (dir FDID, names []string, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, nil, err
	}
	var r fb.WalkStatReq
	r.Init(buf, pos)
	n := r.NamesLength()
	if n > MaxWalkNames {
		return 0, nil, fmt.Errorf("%w: %d names, more than %d", errMalformed, n, MaxWalkNames)
	}
	if err := checkVectorLen(n, 4, buf); err != nil {
		return 0, nil, err
	}
	names = make([]string, n)
	for i := range names {
		names[i] = string(r.Names(i))
	}
	return FDID(r.Dir()), names, nil
}

func encodeWalkStatResp(b *flatbuffers.Builder, inodes []Inode) []byte {
	fb.WalkStatRespStartInodesVector(b, len(inodes))
	for i := len(inodes) - 1; i >= 0; i-- {
		putInode(b, &inodes[i])
	}
	vec := b.EndVector(len(inodes))
	fb.WalkStatRespStart(b)
	fb.WalkStatRespAddInodes(b, vec)
	return finish(b, fb.WalkStatRespEnd(b))
}

func decodeWalkStatResp(buf []byte) (inodes []Inode, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return nil, err
	}
	var r fb.WalkStatResp
	r.Init(buf, pos)
	n := r.InodesLength()
	if err := checkVectorLen(n, sizeofFBInode, buf); err != nil {
		return nil, err
	}
	inodes = make([]Inode, n)
	var f fb.Inode
	for i := range inodes {
		if !r.Inodes(&f, i) {
			return nil, fmt.Errorf("%w: inode %d missing", errMalformed, i)
		}
		inodes[i] = getInode(&f)
	}
	return inodes, nil
}

func encodeSetStatReq(b *flatbuffers.Builder, fd FDID, a *SetStatArgs) []byte {
	fb.SetStatReqStart(b)
	fb.SetStatReqAddFd(b, uint64(fd))
	fb.SetStatReqAddMask(b, a.Mask)
	fb.SetStatReqAddMode(b, a.Mode)
	fb.SetStatReqAddUid(b, a.UID)
	fb.SetStatReqAddGid(b, a.GID)
	fb.SetStatReqAddSize(b, a.Size)
	fb.SetStatReqAddAtime(b, fb.CreateTimespec(b, a.Atime.Sec, a.Atime.Nsec))
	fb.SetStatReqAddMtime(b, fb.CreateTimespec(b, a.Mtime.Sec, a.Mtime.Nsec))
	return finish(b, fb.SetStatReqEnd(b))
}

func decodeSetStatReq(buf []byte) (fd FDID, a SetStatArgs, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, a, err
	}
	var r fb.SetStatReq
	r.Init(buf, pos)
	a = SetStatArgs{Mask: r.Mask(), Mode: r.Mode(), UID: r.Uid(), GID: r.Gid(), Size: r.Size()}
	var ts fb.Timespec
	if r.Atime(&ts) != nil {
		a.Atime = linux.Timespec{Sec: ts.Sec(), Nsec: ts.Nsec()}
	}
	if r.Mtime(&ts) != nil {
		a.Mtime = linux.Timespec{Sec: ts.Sec(), Nsec: ts.Nsec()}
	}
	return FDID(r.Fd()), a, nil
}

func encodeOpenAtReq(b *flatbuffers.Builder, fd FDID, flags uint32) []byte {
	fb.OpenAtReqStart(b)
	fb.OpenAtReqAddFd(b, uint64(fd))
	fb.OpenAtReqAddFlags(b, flags)
	return finish(b, fb.OpenAtReqEnd(b))
}

func decodeOpenAtReq(buf []byte) (fd FDID, flags uint32, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, 0, err
	}
	var r fb.OpenAtReq
	r.Init(buf, pos)
	return FDID(r.Fd()), r.Flags(), nil
}

func encodeOpenAtResp(b *flatbuffers.Builder, open FDID) []byte {
	fb.OpenAtRespStart(b)
	fb.OpenAtRespAddOpenFd(b, uint64(open))
	return finish(b, fb.OpenAtRespEnd(b))
}

func decodeOpenAtResp(buf []byte) (open FDID, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, err
	}
	var r fb.OpenAtResp
	r.Init(buf, pos)
	return FDID(r.OpenFd()), nil
}

// createReq holds the arguments of the requests that create a file.
type createReq struct {
	dir          FDID
	name         string
	flags, mode  uint32
	uid, gid     uint32
	major, minor uint32
	target       string // SymlinkAt
	targetFD     FDID   // LinkAt
	newDir       FDID   // RenameAt
	newName      string // RenameAt
}

func encodeOpenCreateAtReq(b *flatbuffers.Builder, r *createReq) []byte {
	name := b.CreateString(r.name)
	fb.OpenCreateAtReqStart(b)
	fb.OpenCreateAtReqAddDir(b, uint64(r.dir))
	fb.OpenCreateAtReqAddName(b, name)
	fb.OpenCreateAtReqAddFlags(b, r.flags)
	fb.OpenCreateAtReqAddMode(b, r.mode)
	fb.OpenCreateAtReqAddUid(b, r.uid)
	fb.OpenCreateAtReqAddGid(b, r.gid)
	return finish(b, fb.OpenCreateAtReqEnd(b))
}

func decodeOpenCreateAtReq(buf []byte) (c createReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return c, err
	}
	var r fb.OpenCreateAtReq
	r.Init(buf, pos)
	return createReq{dir: FDID(r.Dir()), name: string(r.Name()), flags: r.Flags(), mode: r.Mode(), uid: r.Uid(), gid: r.Gid()}, nil
}

func encodeOpenCreateAtResp(b *flatbuffers.Builder, ino *Inode, open FDID) []byte {
	fb.OpenCreateAtRespStart(b)
	fb.OpenCreateAtRespAddInode(b, putInode(b, ino))
	fb.OpenCreateAtRespAddOpenFd(b, uint64(open))
	return finish(b, fb.OpenCreateAtRespEnd(b))
}

func decodeOpenCreateAtResp(buf []byte) (ino Inode, open FDID, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return ino, 0, err
	}
	var r fb.OpenCreateAtResp
	r.Init(buf, pos)
	var f fb.Inode
	if r.Inode(&f) == nil {
		return ino, 0, fmt.Errorf("%w: reply has no inode", errMalformed)
	}
	return getInode(&f), FDID(r.OpenFd()), nil
}

func encodeCloseReq(b *flatbuffers.Builder, fds []FDID) []byte {
	fb.CloseReqStartFdsVector(b, len(fds))
	for i := len(fds) - 1; i >= 0; i-- {
		b.PrependUint64(uint64(fds[i]))
	}
	vec := b.EndVector(len(fds))
	fb.CloseReqStart(b)
	fb.CloseReqAddFds(b, vec)
	return finish(b, fb.CloseReqEnd(b))
}

func decodeCloseReq(buf []byte) (fds []FDID, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return nil, err
	}
	var r fb.CloseReq
	r.Init(buf, pos)
	n := r.FdsLength()
	if n > MaxCloseFDs {
		return nil, fmt.Errorf("%w: %d FDIDs, more than %d", errMalformed, n, MaxCloseFDs)
	}
	if err := checkVectorLen(n, 8, buf); err != nil {
		return nil, err
	}
	fds = make([]FDID, n)
	for i := range fds {
		fds[i] = FDID(r.Fds(i))
	}
	return fds, nil
}

func encodePReadReq(b *flatbuffers.Builder, fd FDID, off uint64, count uint32) []byte {
	fb.PReadReqStart(b)
	fb.PReadReqAddFd(b, uint64(fd))
	fb.PReadReqAddOffset(b, off)
	fb.PReadReqAddCount(b, count)
	return finish(b, fb.PReadReqEnd(b))
}

func decodePReadReq(buf []byte) (fd FDID, off uint64, count uint32, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, 0, 0, err
	}
	var r fb.PReadReq
	r.Init(buf, pos)
	return FDID(r.Fd()), r.Offset(), r.Count(), nil
}

func encodePWriteReq(b *flatbuffers.Builder, fd FDID, off uint64) []byte {
	fb.PWriteReqStart(b)
	fb.PWriteReqAddFd(b, uint64(fd))
	fb.PWriteReqAddOffset(b, off)
	return finish(b, fb.PWriteReqEnd(b))
}

func decodePWriteReq(buf []byte) (fd FDID, off uint64, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, 0, err
	}
	var r fb.PWriteReq
	r.Init(buf, pos)
	return FDID(r.Fd()), r.Offset(), nil
}

func encodePWriteResp(b *flatbuffers.Builder, n uint64) []byte {
	fb.PWriteRespStart(b)
	fb.PWriteRespAddCount(b, n)
	return finish(b, fb.PWriteRespEnd(b))
}

func decodePWriteResp(buf []byte) (n uint64, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, err
	}
	var r fb.PWriteResp
	r.Init(buf, pos)
	return r.Count(), nil
}

type fallocateReq struct {
	fd          FDID
	mode        uint32
	off, length uint64
}

func encodeFAllocateReq(b *flatbuffers.Builder, a fallocateReq) []byte {
	fb.FAllocateReqStart(b)
	fb.FAllocateReqAddFd(b, uint64(a.fd))
	fb.FAllocateReqAddMode(b, a.mode)
	fb.FAllocateReqAddOffset(b, a.off)
	fb.FAllocateReqAddLength(b, a.length)
	return finish(b, fb.FAllocateReqEnd(b))
}

func decodeFAllocateReq(buf []byte) (a fallocateReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return a, err
	}
	var r fb.FAllocateReq
	r.Init(buf, pos)
	return fallocateReq{fd: FDID(r.Fd()), mode: r.Mode(), off: r.Offset(), length: r.Length()}, nil
}

func encodeGetdents64Req(b *flatbuffers.Builder, fd FDID, count uint32) []byte {
	fb.Getdents64ReqStart(b)
	fb.Getdents64ReqAddFd(b, uint64(fd))
	fb.Getdents64ReqAddCount(b, count)
	return finish(b, fb.Getdents64ReqEnd(b))
}

func decodeGetdents64Req(buf []byte) (fd FDID, count uint32, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, 0, err
	}
	var r fb.Getdents64Req
	r.Init(buf, pos)
	return FDID(r.Fd()), r.Count(), nil
}

func encodeGetdents64Resp(b *flatbuffers.Builder, ds []Dirent) []byte {
	offs := make([]flatbuffers.UOffsetT, len(ds))
	for i := range ds {
		name := b.CreateString(ds[i].Name)
		fb.DirentStart(b)
		fb.DirentAddIno(b, ds[i].Ino)
		fb.DirentAddOff(b, ds[i].Off)
		fb.DirentAddType(b, ds[i].Type)
		fb.DirentAddName(b, name)
		offs[i] = fb.DirentEnd(b)
	}
	fb.Getdents64RespStartDirentsVector(b, len(ds))
	for i := len(offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(offs[i])
	}
	vec := b.EndVector(len(ds))
	fb.Getdents64RespStart(b)
	fb.Getdents64RespAddDirents(b, vec)
	return finish(b, fb.Getdents64RespEnd(b))
}

func decodeGetdents64Resp(buf []byte) (ds []Dirent, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return nil, err
	}
	var r fb.Getdents64Resp
	r.Init(buf, pos)
	n := r.DirentsLength()
	if err := checkVectorLen(n, 4, buf); err != nil {
		return nil, err
	}
	ds = make([]Dirent, n)
	var d fb.Dirent
	for i := range ds {
		if !r.Dirents(&d, i) {
			return nil, fmt.Errorf("%w: dirent %d missing", errMalformed, i)
		}
		ds[i] = Dirent{Ino: d.Ino(), Off: d.Off(), Type: d.Type(), Name: string(d.Name())}
	}
	return ds, nil
}

func encodeMknodAtReq(b *flatbuffers.Builder, r *createReq) []byte {
	name := b.CreateString(r.name)
	fb.MknodAtReqStart(b)
	fb.MknodAtReqAddDir(b, uint64(r.dir))
	fb.MknodAtReqAddName(b, name)
	fb.MknodAtReqAddMode(b, r.mode)
	fb.MknodAtReqAddUid(b, r.uid)
	fb.MknodAtReqAddGid(b, r.gid)
	fb.MknodAtReqAddMajor(b, r.major)
	fb.MknodAtReqAddMinor(b, r.minor)
	return finish(b, fb.MknodAtReqEnd(b))
}

func decodeMknodAtReq(buf []byte) (c createReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return c, err
	}
	var r fb.MknodAtReq
	r.Init(buf, pos)
	return createReq{dir: FDID(r.Dir()), name: string(r.Name()), mode: r.Mode(), uid: r.Uid(), gid: r.Gid(), major: r.Major(), minor: r.Minor()}, nil
}

func encodeSymlinkAtReq(b *flatbuffers.Builder, r *createReq) []byte {
	name := b.CreateString(r.name)
	target := b.CreateString(r.target)
	fb.SymlinkAtReqStart(b)
	fb.SymlinkAtReqAddDir(b, uint64(r.dir))
	fb.SymlinkAtReqAddName(b, name)
	fb.SymlinkAtReqAddTarget(b, target)
	fb.SymlinkAtReqAddUid(b, r.uid)
	fb.SymlinkAtReqAddGid(b, r.gid)
	return finish(b, fb.SymlinkAtReqEnd(b))
}

func decodeSymlinkAtReq(buf []byte) (c createReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return c, err
	}
	var r fb.SymlinkAtReq
	r.Init(buf, pos)
	return createReq{dir: FDID(r.Dir()), name: string(r.Name()), target: string(r.Target()), uid: r.Uid(), gid: r.Gid()}, nil
}

func encodeLinkAtReq(b *flatbuffers.Builder, r *createReq) []byte {
	name := b.CreateString(r.name)
	fb.LinkAtReqStart(b)
	fb.LinkAtReqAddDir(b, uint64(r.dir))
	fb.LinkAtReqAddName(b, name)
	fb.LinkAtReqAddTarget(b, uint64(r.targetFD))
	return finish(b, fb.LinkAtReqEnd(b))
}

func decodeLinkAtReq(buf []byte) (c createReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return c, err
	}
	var r fb.LinkAtReq
	r.Init(buf, pos)
	return createReq{dir: FDID(r.Dir()), name: string(r.Name()), targetFD: FDID(r.Target())}, nil
}

func encodeUnlinkAtReq(b *flatbuffers.Builder, r *createReq) []byte {
	name := b.CreateString(r.name)
	fb.UnlinkAtReqStart(b)
	fb.UnlinkAtReqAddDir(b, uint64(r.dir))
	fb.UnlinkAtReqAddName(b, name)
	fb.UnlinkAtReqAddFlags(b, r.flags)
	return finish(b, fb.UnlinkAtReqEnd(b))
}

func decodeUnlinkAtReq(buf []byte) (c createReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return c, err
	}
	var r fb.UnlinkAtReq
	r.Init(buf, pos)
	return createReq{dir: FDID(r.Dir()), name: string(r.Name()), flags: r.Flags()}, nil
}

func encodeRenameAtReq(b *flatbuffers.Builder, r *createReq) []byte {
	oldName := b.CreateString(r.name)
	newName := b.CreateString(r.newName)
	fb.RenameAtReqStart(b)
	fb.RenameAtReqAddOldDir(b, uint64(r.dir))
	fb.RenameAtReqAddOldName(b, oldName)
	fb.RenameAtReqAddNewDir(b, uint64(r.newDir))
	fb.RenameAtReqAddNewName(b, newName)
	return finish(b, fb.RenameAtReqEnd(b))
}

func decodeRenameAtReq(buf []byte) (c createReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return c, err
	}
	var r fb.RenameAtReq
	r.Init(buf, pos)
	return createReq{dir: FDID(r.OldDir()), name: string(r.OldName()), newDir: FDID(r.NewDir()), newName: string(r.NewName())}, nil
}

func encodeReadLinkAtResp(b *flatbuffers.Builder, target string) []byte {
	t := b.CreateString(target)
	fb.ReadLinkAtRespStart(b)
	fb.ReadLinkAtRespAddTarget(b, t)
	return finish(b, fb.ReadLinkAtRespEnd(b))
}

func decodeReadLinkAtResp(buf []byte) (target string, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return "", err
	}
	var r fb.ReadLinkAtResp
	r.Init(buf, pos)
	return string(r.Target()), nil
}

func encodeStatFSResp(b *flatbuffers.Builder, s *linux.Statfs) []byte {
	fb.StatFSRespStart(b)
	fb.StatFSRespAddType(b, s.Type)
	fb.StatFSRespAddBsize(b, s.Bsize)
	fb.StatFSRespAddBlocks(b, s.Blocks)
	fb.StatFSRespAddBfree(b, s.Bfree)
	fb.StatFSRespAddBavail(b, s.Bavail)
	fb.StatFSRespAddFiles(b, s.Files)
	fb.StatFSRespAddFfree(b, s.Ffree)
	fb.StatFSRespAddFsid0(b, s.Fsid[0])
	fb.StatFSRespAddFsid1(b, s.Fsid[1])
	fb.StatFSRespAddNamelen(b, s.Namelen)
	fb.StatFSRespAddFrsize(b, s.Frsize)
	fb.StatFSRespAddFlags(b, s.Flags)
	return finish(b, fb.StatFSRespEnd(b))
}

func decodeStatFSResp(buf []byte) (s linux.Statfs, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return s, err
	}
	var r fb.StatFSResp
	r.Init(buf, pos)
	return linux.Statfs{
		Type: r.Type(), Bsize: r.Bsize(), Blocks: r.Blocks(), Bfree: r.Bfree(), Bavail: r.Bavail(),
		Files: r.Files(), Ffree: r.Ffree(), Fsid: [2]int32{r.Fsid0(), r.Fsid1()},
		Namelen: r.Namelen(), Frsize: r.Frsize(), Flags: r.Flags(),
	}, nil
}

type xattrReq struct {
	fd          FDID
	name        string
	size, flags uint32
}

func encodeXattrReq(b *flatbuffers.Builder, x xattrReq) []byte {
	name := b.CreateString(x.name)
	fb.XattrReqStart(b)
	fb.XattrReqAddFd(b, uint64(x.fd))
	fb.XattrReqAddName(b, name)
	fb.XattrReqAddSize(b, x.size)
	return finish(b, fb.XattrReqEnd(b))
}

func decodeXattrReq(buf []byte) (x xattrReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return x, err
	}
	var r fb.XattrReq
	r.Init(buf, pos)
	return xattrReq{fd: FDID(r.Fd()), name: string(r.Name()), size: r.Size()}, nil
}

func encodeSetXattrReq(b *flatbuffers.Builder, x xattrReq) []byte {
	name := b.CreateString(x.name)
	fb.SetXattrReqStart(b)
	fb.SetXattrReqAddFd(b, uint64(x.fd))
	fb.SetXattrReqAddName(b, name)
	fb.SetXattrReqAddFlags(b, x.flags)
	return finish(b, fb.SetXattrReqEnd(b))
}

func decodeSetXattrReq(buf []byte) (x xattrReq, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return x, err
	}
	var r fb.SetXattrReq
	r.Init(buf, pos)
	return xattrReq{fd: FDID(r.Fd()), name: string(r.Name()), flags: r.Flags()}, nil
}

func encodeConnectReq(b *flatbuffers.Builder, fd FDID, sockType uint32) []byte {
	fb.ConnectReqStart(b)
	fb.ConnectReqAddFd(b, uint64(fd))
	fb.ConnectReqAddSockType(b, sockType)
	return finish(b, fb.ConnectReqEnd(b))
}

func decodeConnectReq(buf []byte) (fd FDID, sockType uint32, err error) {
	defer decodeGuard(&err)
	pos, err := rootPos(buf)
	if err != nil {
		return 0, 0, err
	}
	var r fb.ConnectReq
	r.Init(buf, pos)
	return FDID(r.Fd()), r.SockType(), nil
}
