package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

func testCase(id string, seq int, o judge.Outcome) redteam.Case {
	return redteam.Case{
		Probe:   redteam.Probe{ID: id, Seq: seq, Vulnerability: "v", Type: "t", Attack: "a", Turns: []string{"hi"}},
		Turns:   target.Conversation{{Role: "user", Content: "hi <b>"}, {Role: "assistant", Content: "no & \u2028"}},
		Verdict: judge.Verdict{Outcome: o, Reason: "because"},
		Started: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
	}
}

// The event log writes a case the engine encoded exactly as it would have
// encoded it itself, and reads back what it wrote.
func TestEventLogRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), EventsFile)
	run := redteam.RunInfo{ID: "r1", Status: redteam.StatusRunning}
	l, _, err := OpenEventLog(path, run, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2, c3 := testCase("p1", 1, judge.Pass), testCase("p2", 2, judge.Error), testCase("p2", 2, judge.Fail)
	raw, _ := json.Marshal(c3)
	events := []redteam.Event{
		{V: 1, Type: redteam.EventRunStarted, Run: "r1", RunInfo: &run},
		{V: 1, Type: redteam.EventVerdict, Run: "r1", ProbeID: "p1", Case: &c1},
		{V: 1, Type: redteam.EventProbeErrored, Run: "r1", ProbeID: "p2", Case: &c2},
		{V: 1, Type: redteam.EventVerdict, Run: "r1", ProbeID: "p2", Case: &c3, CaseJSON: raw},
	}
	for _, ev := range events {
		if err := l.Handle(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	spliced := lines[3]
	events[3].CaseJSON = nil
	plain, _ := json.Marshal(events[3])
	if !bytes.Equal(spliced, plain) {
		t.Errorf("spliced event differs from the plain encoding:\n%s\n%s", spliced, plain)
	}
	s, err := ReadEvents(bytes.NewReader(data), "events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	// The error of p2 gave way to its verdict; the run never finished, so
	// it reads as interrupted.
	if diff := cmp.Diff([]redteam.Case{c1, c3}, s.Cases); diff != "" {
		t.Errorf("cases read back (-want +got):\n%s", diff)
	}
	if s.Run.Status != redteam.StatusInterrupted {
		t.Errorf("status %q, want interrupted", s.Run.Status)
	}
}

func TestReadEventsErrors(t *testing.T) {
	tests := map[string]string{
		"":                                    "no run_started event",
		`{"v":9,"type":"run_started"}` + "\n": "event version 9 is newer",
		`{"v":1,"type":"verdict"}` + "\n":     "verdict event without case",
		"{}\nnope\n":                          "f:2: not an event",
	}
	for in, want := range tests {
		if _, err := ReadEvents(strings.NewReader(in), "f"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
	// A last line cut by a kill is skipped, not an error.
	run := `{"v":1,"type":"run_started","run":"r","run_info":{"id":"r","status":"running"}}` + "\n"
	s, err := ReadEvents(strings.NewReader(run+`{"v":1,"type":"verd`), "f")
	if err != nil || !s.Truncated {
		t.Errorf("torn last line: %v, truncated %v", err, s != nil && s.Truncated)
	}
}
