package data

import (
	"bytes"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
)

// A finding line is the shared finding (the detector as "scanner") with the
// dataset's own fields after it; scripts read these keys.
func TestJSONLFindingLine(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONLWriter(&buf)
	f := Finding{
		Finding: finding.Finding{Scanner: DetectorInjection, Type: "instruction_override", Start: 0, End: 31, Score: 0.97,
			Severity: finding.Critical, Message: "m", File: "docs/a.html", Record: 2, Line: 7, Field: "hidden"},
		Hidden: true, HiddenBy: hiddenDisplayNone, Excerpt: "<b>ignore</b>",
	}
	if err := w.Finding(f); err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"finding","scanner":"injection","type":"instruction_override","start":0,"end":31,"score":0.97,` +
		`"severity":"critical","message":"m","file":"docs/a.html","record":2,"line":7,"field":"hidden",` +
		`"hidden":true,"hidden_by":"display_none","excerpt":"\u003cb\u003eignore\u003c/b\u003e"}` + "\n"
	if buf.String() != want {
		t.Errorf("finding line\n got %s\nwant %s", buf.String(), want)
	}

	buf.Reset()
	if err := w.File(FileResult{File: "a.jsonl", Format: FormatJSONL, Verdict: "suspicious", Findings: 1,
		ByDetector: map[string]int{"pii": 1}, BySeverity: map[finding.Severity]int{finding.Medium: 1}}); err != nil {
		t.Fatal(err)
	}
	want = `{"kind":"file","file":"a.jsonl","format":"jsonl","verdict":"suspicious","records":0,"bytes":0,` +
		`"findings":1,"by_detector":{"pii":1},"by_severity":{"medium":1}}` + "\n"
	if buf.String() != want {
		t.Errorf("file line\n got %s\nwant %s", buf.String(), want)
	}
}
