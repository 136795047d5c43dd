package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRuntimeLogRecords(t *testing.T) {
	now := time.Date(2026, 11, 23, 19, 50, 1, 500, time.UTC)
	for _, tc := range []struct {
		format, msg, want string
	}{
		{"json", `state: container "x" does not exist`,
			`{"level":"error","msg":"state: container \"x\" does not exist","time":"2026-11-23T19:50:01.0000005Z"}`},
		{"text", `state: container "x" does not exist`,
			`time="2026-11-23T19:50:01.0000005Z" level=error msg="state: container \"x\" does not exist"`},
		{"text", "plain", `time="2026-11-23T19:50:01.0000005Z" level=error msg=plain`},
		{"", "two words", `time="2026-11-23T19:50:01.0000005Z" level=error msg="two words"`},
	} {
		path := filepath.Join(t.TempDir(), "log")
		l, err := openRuntimeLog(path, tc.format)
		if err != nil {
			t.Fatal(err)
		}
		l.record("error", tc.msg, now)
		l.close()
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want+"\n" {
			t.Errorf("format %q, msg %q:\n got %s\nwant %s", tc.format, tc.msg, got, tc.want)
		}
	}
}

// TestLogFlag runs failing commands with --log and checks that each error
// line runsc prints is also a record in the file, after what was there.
func TestLogFlag(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "runtime.log")
	if err := os.WriteFile(path, []byte("{\"level\":\"info\",\"msg\":\"earlier\",\"time\":\"x\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "state")
	_, stderr, code := runRunsc(t, nil, "--root", root, "--log", path, "--log-format=json", "--debug", "state", "no-such-container")
	if code == 0 {
		t.Fatalf("state of a missing container succeeded")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("log has %d lines, want the earlier one, a debug and an error record:\n%s", len(lines), data)
	}
	var recs []map[string]string
	for _, line := range lines {
		var rec map[string]string
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		recs = append(recs, rec)
	}
	if recs[0]["msg"] != "earlier" {
		t.Errorf("first record %v: the file was not appended to", recs[0])
	}
	if recs[1]["level"] != "debug" || !strings.Contains(recs[1]["msg"], "state no-such-container") {
		t.Errorf("debug record %v does not name the command", recs[1])
	}
	if recs[2]["level"] != "error" || "runsc: "+recs[2]["msg"]+"\n" != stderr {
		t.Errorf("error record %v is not the stderr line %q", recs[2], stderr)
	}
	if _, err := time.Parse(time.RFC3339Nano, recs[2]["time"]); err != nil {
		t.Errorf("error record's time: %v", err)
	}

	// A --log that cannot be opened is one error line and a usage exit.
	_, stderr, code = runRunsc(t, nil, "--root", root, "--log", filepath.Join(dir, "missing", "log"), "list")
	if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--log") {
		t.Errorf("unopenable --log: exit %d, stderr %q", code, stderr)
	}
}
