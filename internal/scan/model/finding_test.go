package model

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
)

// offsetOf returns a finding's offset, -1 when it has none (the parsers'
// own convention, which offsetAt turns into nil), for tests that check
// offsets fall inside the input.
func offsetOf(f Finding) int64 {
	if f.Offset == nil {
		return -1
	}
	return *f.Offset
}

func TestOffsetAt(t *testing.T) {
	if offsetAt(-1) != nil {
		t.Error("offsetAt(-1) is not nil: a finding without a location would claim byte -1")
	}
	if p := offsetAt(0); p == nil || *p != 0 {
		t.Errorf("offsetAt(0) = %v, want a pointer to 0: byte 0 is a location", p)
	}
}

// A model finding is the shared finding (the format scanner as "scanner",
// the rule as "type", score 1) with the model's "detail"; offset 0 is
// printed, a finding without an offset has none.
func TestFindingJSON(t *testing.T) {
	res := New().ScanFile(context.Background(), filepath.Join("testdata", "evil_global_p0.pkl"))
	if len(res.Findings) == 0 {
		t.Fatalf("no findings: %+v", res)
	}
	f := res.Findings[0]
	if f.Scanner != "pickle" || f.Type != "pickle_dangerous_global" || f.Score != 1 || f.Severity != finding.Critical || f.Offset == nil {
		t.Errorf("finding %+v: want scanner pickle, type pickle_dangerous_global, score 1, critical, an offset", f)
	}
	b, err := json.Marshal(Finding{Finding: finding.Finding{Scanner: "pickle", Type: "pickle_dangerous_global", Score: 1,
		Severity: finding.Critical, Message: "imports and calls posix.system", Offset: offsetAt(0)}, Detail: "posix.system"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"scanner":"pickle","type":"pickle_dangerous_global","start":0,"end":0,"score":1,"severity":"critical",` +
		`"message":"imports and calls posix.system","offset":0,"detail":"posix.system"}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

// Every finding of a scan names its scanner and scores 1, whichever format,
// container or member made it.
func TestFindingsAreClaimed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	s := New()
	for _, p := range files {
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			continue
		}
		for _, f := range s.ScanFile(context.Background(), p).Findings {
			if f.Scanner == "" || f.Score != 1 || f.Severity == 0 {
				t.Errorf("%s: finding %s has scanner %q, score %v, severity %v", p, f.Type, f.Scanner, f.Score, f.Severity)
			}
		}
	}
	// A member's finding names the member's format, not the container's.
	for _, f := range s.ScanFile(context.Background(), filepath.Join("testdata", "torch_evil.pt")).Findings {
		if f.Type == "pickle_dangerous_global" && f.Scanner != "pickle" {
			t.Errorf("%s in %s: scanner %q, want pickle", f.Type, f.Member, f.Scanner)
		}
	}
}
