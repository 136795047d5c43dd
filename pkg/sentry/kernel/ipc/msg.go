package ipc

import (
	"math"
	"sync"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// Message queues.
//
// A blocked sender or receiver waits for the queue to change (a message
// sent or received, IPC_SET, removal) and then looks again. Unlike
// Linux, a message is not handed straight to a receiver that was already
// waiting for it: the first receiver to look takes it.

// msgRegistry is the namespace's message queues.
type msgRegistry struct {
	mu  sync.Mutex
	reg registry[*Queue]
	// msgs and bytes count the messages in all queues (MSG_INFO).
	msgs, bytes int
}

func (r *msgRegistry) init() { r.reg.init(linux.MSGMNI) }

// Queue is a message queue (struct msg_queue), protected by
// msgRegistry.mu.
type Queue struct {
	object
	msgs []message
	// bytes is the size of the messages (msg_cbytes); qbytes the most
	// there may be (msg_qbytes).
	bytes, qbytes uint64
	stime, rtime  int64
	lspid, lrpid  int32
	// changed is closed (and replaced) whenever the queue changes.
	changed chan struct{}
}

type message struct {
	mtype int64
	text  []byte
}

// notifyLocked wakes everyone waiting for q to change.
//
// Preconditions: the registry's mu is held.
func (q *Queue) notifyLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// MsgGet implements msgget(2).
func (ns *Namespace) MsgGet(creds *auth.Credentials, key int32, flags int32) (int32, error) {
	r := &ns.msg
	r.mu.Lock()
	defer r.mu.Unlock()
	create := func() (*Queue, error) {
		return &Queue{
			object:  newObject(creds, key, uint32(flags)),
			qbytes:  linux.MSGMNB,
			changed: make(chan struct{}),
		}, nil
	}
	return r.reg.get(creds, key, flags, func(*Queue) error { return nil }, create, nil)
}

// MsgSend implements msgsnd(2) for process pid, after the syscall layer
// checked the size (EINVAL) and mtype (EINVAL) and copied the text in.
// A full queue blocks on b unless IPC_NOWAIT (EAGAIN); an interruption
// is ERESTARTNOHAND, the removal of the queue EIDRM.
func (ns *Namespace) MsgSend(b Blocker, creds *auth.Credentials, pid int32, id int32, mtype int64, text []byte, flags int32) error {
	r := &ns.msg
	r.mu.Lock()
	defer r.mu.Unlock()
	q, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	size := uint64(len(text))
	for {
		if !q.permits(creds, modeWrite) {
			return linux.EACCES
		}
		if q.dead {
			return linux.EIDRM
		}
		if q.bytes+size <= q.qbytes && uint64(len(q.msgs))+1 <= q.qbytes {
			break
		}
		if flags&linux.IPC_NOWAIT != 0 {
			return linux.EAGAIN
		}
		ch := q.changed
		r.mu.Unlock()
		err := b.Block(ch, time.Time{})
		r.mu.Lock()
		if err != nil {
			return linux.ERESTARTNOHAND
		}
	}
	q.msgs = append(q.msgs, message{mtype: mtype, text: text})
	q.bytes += size
	r.msgs++
	r.bytes += len(text)
	q.lspid = pid
	q.stime = now()
	q.notifyLocked()
	return nil
}

// MsgReceive implements msgrcv(2) for process pid, after the syscall
// layer checked the id and size (EINVAL). It returns the message's type
// and text; the caller copies out at most bufsz bytes of it (more only
// with MSG_NOERROR, else E2BIG). msgtyp 0 takes the first message, a
// positive one the first of that type (with MSG_EXCEPT: of another
// type), a negative one the first of the lowest type at most -msgtyp.
// MSG_COPY (with IPC_NOWAIT, without MSG_EXCEPT) returns a copy of the
// message at position msgtyp and leaves it queued. Without a message it
// blocks on b unless IPC_NOWAIT (ENOMSG); an interruption is
// ERESTARTNOHAND, the removal of the queue EIDRM.
func (ns *Namespace) MsgReceive(b Blocker, creds *auth.Credentials, pid int32, id int32, bufsz uint64, msgtyp int64, flags int32) (int64, []byte, error) {
	copying := flags&linux.MSG_COPY != 0
	if copying && (flags&linux.MSG_EXCEPT != 0 || flags&linux.IPC_NOWAIT == 0) {
		return 0, nil, linux.EINVAL
	}
	r := &ns.msg
	r.mu.Lock()
	defer r.mu.Unlock()
	q, err := r.reg.lookup(id)
	if err != nil {
		return 0, nil, err
	}
	for {
		if !q.permits(creds, modeRead) {
			return 0, nil, linux.EACCES
		}
		if q.dead {
			return 0, nil, linux.EIDRM
		}
		if i := q.find(msgtyp, flags); i >= 0 {
			m := q.msgs[i]
			if bufsz < uint64(len(m.text)) && flags&linux.MSG_NOERROR == 0 {
				return 0, nil, linux.E2BIG
			}
			if copying {
				if uint64(len(m.text)) > min(bufsz, linux.MSGMAX) {
					return 0, nil, linux.EINVAL
				}
				return m.mtype, append([]byte(nil), m.text...), nil
			}
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			q.bytes -= uint64(len(m.text))
			r.msgs--
			r.bytes -= len(m.text)
			q.lrpid = pid
			q.rtime = now()
			q.notifyLocked()
			return m.mtype, m.text, nil
		}
		if flags&linux.IPC_NOWAIT != 0 {
			return 0, nil, linux.ENOMSG
		}
		ch := q.changed
		r.mu.Unlock()
		err := b.Block(ch, time.Time{})
		r.mu.Lock()
		if err != nil {
			return 0, nil, linux.ERESTARTNOHAND
		}
	}
}

// find returns the index of the message msgrcv takes, -1 if none.
//
// Preconditions: the registry's mu is held.
func (q *Queue) find(msgtyp int64, flags int32) int {
	switch {
	case flags&linux.MSG_COPY != 0:
		if msgtyp >= 0 && msgtyp < int64(len(q.msgs)) {
			return int(msgtyp)
		}
		return -1
	case msgtyp == 0:
		if len(q.msgs) > 0 {
			return 0
		}
		return -1
	case msgtyp < 0:
		limit := int64(math.MaxInt64)
		if msgtyp != math.MinInt64 {
			limit = -msgtyp
		}
		best := -1
		for i, m := range q.msgs {
			if m.mtype <= limit && (best < 0 || m.mtype < q.msgs[best].mtype) {
				best = i
			}
		}
		return best
	}
	for i, m := range q.msgs {
		if (m.mtype == msgtyp) != (flags&linux.MSG_EXCEPT != 0) {
			return i
		}
	}
	return -1
}

// MsgStat implements msgctl IPC_STAT, and MSG_STAT and MSG_STAT_ANY
// (byIndex: id is an index; any: no read permission needed). It returns
// the queue's id.
func (ns *Namespace) MsgStat(creds *auth.Credentials, id int32, byIndex, any bool) (linux.MsqidDS, int32, error) {
	r := &ns.msg
	r.mu.Lock()
	defer r.mu.Unlock()
	var q *Queue
	var err error
	if byIndex {
		q, err = r.reg.byIndex(id)
	} else {
		q, err = r.reg.lookup(id)
	}
	if err != nil {
		return linux.MsqidDS{}, 0, err
	}
	if !any && !q.permits(creds, modeRead) {
		return linux.MsqidDS{}, 0, linux.EACCES
	}
	return linux.MsqidDS{
		Perm:   q.perm(),
		Stime:  q.stime,
		Rtime:  q.rtime,
		Ctime:  q.ctime,
		Cbytes: q.bytes,
		Qnum:   uint64(len(q.msgs)),
		Qbytes: q.qbytes,
		LSPID:  q.lspid,
		LRPID:  q.lrpid,
	}, q.id, nil
}

// MsgSet implements msgctl IPC_SET: the owner, mode and msg_qbytes (above
// MSGMNB only with CAP_SYS_RESOURCE).
func (ns *Namespace) MsgSet(creds *auth.Credentials, id int32, ds *linux.MsqidDS) error {
	r := &ns.msg
	r.mu.Lock()
	defer r.mu.Unlock()
	q, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	if !q.controlledBy(creds) {
		return linux.EPERM
	}
	if ds.Qbytes > linux.MSGMNB && !creds.HasCapability(linux.CAP_SYS_RESOURCE) {
		return linux.EPERM
	}
	if err := q.setPerm(&ds.Perm); err != nil {
		return err
	}
	q.qbytes = ds.Qbytes
	// Senders may fit now; waiters may have lost their permission.
	q.notifyLocked()
	return nil
}

// MsgRemove implements msgctl IPC_RMID: the messages are dropped and
// blocked senders and receivers fail with EIDRM.
func (ns *Namespace) MsgRemove(creds *auth.Credentials, id int32) error {
	r := &ns.msg
	r.mu.Lock()
	defer r.mu.Unlock()
	q, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	if !q.controlledBy(creds) {
		return linux.EPERM
	}
	r.reg.remove(q)
	r.msgs -= len(q.msgs)
	r.bytes -= int(q.bytes)
	q.msgs, q.bytes = nil, 0
	q.notifyLocked()
	return nil
}

// MsgInfo implements msgctl IPC_INFO, and MSG_INFO if usage (which
// reports the queues, messages and bytes in use in msgpool, msgmap and
// msgtql). It returns the highest index in use as well.
func (ns *Namespace) MsgInfo(usage bool) (linux.Msginfo, int32) {
	r := &ns.msg
	r.mu.Lock()
	defer r.mu.Unlock()
	info := linux.Msginfo{
		Msgpool: linux.MSGPOOL,
		Msgmap:  linux.MSGMAP,
		Msgmax:  linux.MSGMAX,
		Msgmnb:  linux.MSGMNB,
		Msgmni:  linux.MSGMNI,
		Msgssz:  linux.MSGSSZ,
		Msgtql:  linux.MSGTQL,
		Msgseg:  linux.MSGSEG,
	}
	if usage {
		info.Msgpool = int32(len(r.reg.byIdx))
		info.Msgmap = int32(r.msgs)
		info.Msgtql = int32(r.bytes)
	}
	return info, r.reg.maxIdx()
}
