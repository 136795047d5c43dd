package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// runtimeLog is the file of runc's global --log flag. Container engines
// pass one to every runtime call and, when a call fails, read the error
// records back to tell their user why (podman's conmon reads the "msg" of
// JSON records of level "error"). runsc writes each error line it prints
// there too, and with --debug a record of every command it runs.
//
// The records have runc's shape: with --log-format=json one object per line
// with "level", "msg" and "time"; with text (the default) the logfmt line
// `time="..." level=error msg="..."`.
type runtimeLog struct {
	f    *os.File
	json bool
}

// openRuntimeLog opens (appending, creating) the --log file path.
func openRuntimeLog(path, format string) (*runtimeLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open --log file: %w", err)
	}
	return &runtimeLog{f: f, json: format == "json"}, nil
}

// record appends one record of level with message msg. A failing write
// is ignored: the same message has gone to stderr.
func (l *runtimeLog) record(level, msg string, now time.Time) {
	if l == nil {
		return
	}
	stamp := now.UTC().Format(time.RFC3339Nano)
	var line []byte
	if l.json {
		line, _ = json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, stamp})
	} else {
		line = []byte(fmt.Sprintf("time=%q level=%s msg=%s", stamp, level, logfmtValue(msg)))
	}
	// One write per record, so that records of concurrent runsc calls
	// on the same file (O_APPEND) never interleave.
	l.f.Write(append(line, '\n'))
}

// close closes the file; nil is fine.
func (l *runtimeLog) close() {
	if l != nil {
		l.f.Close()
	}
}

// logfmtValue quotes v as logfmt does when it needs quoting.
func logfmtValue(v string) string {
	if v == "" || strings.ContainsAny(v, " =\"\\\t\n") {
		return strconv.Quote(v)
	}
	return v
}

// errorf prints runsc's one error line, "runsc: " and the message, on
// stderr and records it in the --log file.
func (e Env) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(e.Stderr, "runsc: %s\n", msg)
	e.log.record("error", msg, time.Now())
}
