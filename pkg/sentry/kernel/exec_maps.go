package kernel

import (
	"bulwark.dev/bulwark/pkg/sentry/loader"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

var _ loader.MappedFile = readerAt{}

// MappedFileID implements loader.MappedFile: the path of the file from
// the task's root (with " (deleted)" for a file that has been removed, as
// /proc/PID/maps shows it), its device and inode number.
func (r readerAt) MappedFileID() (name string, dev, ino uint64) {
	if st, err := r.f.Stat(); err == nil {
		dev, ino = st.Dev, st.Ino
	}
	pf, ok := r.f.(vfs.PathFile)
	t, isTask := r.b.(*Task)
	if ok && isTask && pf.VirtualDentry().Ok() {
		if p, _ := t.k.VFS.PathName(t.FSContext().Root(), pf.VirtualDentry()); p != "" {
			name = p
		}
	}
	return name, dev, ino
}
