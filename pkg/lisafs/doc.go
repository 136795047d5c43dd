// Package lisafs implements LISAFS, the protocol between the sentry (the
// Client) and the gofer (the Server), over unix SOCK_SEQPACKET sockets.
//
// Files are named by FDIDs: numbers the server hands out for control FDs
// (a file found by a walk; on the host, an O_PATH FD) and open FDs (a file
// opened for I/O). The client never sends a host path: only FDIDs and
// single path components, which the server checks (CheckName).
//
// Wire format: one message per packet, a fixed 24-byte header (frame.go),
// a FlatBuffers payload whose table the header's message type selects
// (lisafs.fbs, generated into package fb by gen.sh), then raw bulk bytes
// (PRead/PWrite data, xattr values) that never pass through FlatBuffers.
// Host FDs ride along with SCM_RIGHTS: channel sockets from the client,
// donated files and sockets from the server. Every length, count, offset
// and FD count is checked; a malformed request gets an EINVAL reply, a
// malformed reply ends the client's connection (ErrConnectionLost).
//
// Concurrency: the socket passed to Connect/Serve is the main socket; it
// carries the version handshake and Channel requests, which donate one end
// of a new socket pair to the server. Each channel serves one request at a
// time; the client keeps a pool of up to maxChannels of them, the server
// one goroutine per channel. The client's main-socket reader notices at once
// when the server goes away (Client.Done).
//
// Lock order: Client.ctrlMu before Client.mu; Server.mu is a leaf and no
// Handler method is called with it held.
//
// This package owns the protocol and the FDID table. It must not touch the
// host file system: the Server calls a Handler (runsc/fsgofer) for that.
// Errors that cross the wire are linux.Errno values.
package lisafs
