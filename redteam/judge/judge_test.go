package judge

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
)

// Evidence is a finding in results.json and the store: the judge is the
// scanner, what it saw the type, and the turn is there even when it is 0.
func TestVerdictJSON(t *testing.T) {
	v := Verdict{Outcome: Fail, Score: 0.9, Reason: "leak", Evidence: []finding.Finding{
		{Scanner: "canary", Type: "canary", Start: 3, End: 9, Score: 0.9, Severity: finding.Critical, Message: "canary AB**CD found", Turn: new(0)},
		{Scanner: "system_prompt_leak", Type: "system_prompt_overlap", Score: 0.9, Message: "80%", Turn: new(-1)},
	}}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"outcome":"fail","score":0.9,"reason":"leak","evidence":[` +
		`{"scanner":"canary","type":"canary","start":3,"end":9,"score":0.9,"severity":"critical","message":"canary AB**CD found","turn":0},` +
		`{"scanner":"system_prompt_leak","type":"system_prompt_overlap","start":0,"end":0,"score":0.9,"message":"80%","turn":-1}]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	var back Verdict
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// Stores and event logs written before evidence became a finding use the
// keys judge, kind and detail; their runs must still report and resume
// with their evidence.
func TestVerdictReadsEarlierEvidence(t *testing.T) {
	old := `{"outcome":"fail","score":0.95,"reason":"failed canary","evidence":[` +
		`{"judge":"canary","kind":"canary","detail":"canary ACME****DEMO found","turn":1,"start":10,"end":20},` +
		`{"judge":"pii","kind":"email_in_tool_call","detail":"email in tool \"send\"","turn":3}]}`
	var v Verdict
	if err := json.Unmarshal([]byte(old), &v); err != nil {
		t.Fatal(err)
	}
	want := Verdict{Outcome: Fail, Score: 0.95, Reason: "failed canary", Evidence: []finding.Finding{
		{Scanner: "canary", Type: "canary", Message: "canary ACME****DEMO found", Turn: new(1), Start: 10, End: 20},
		{Scanner: "pii", Type: "email_in_tool_call", Message: `email in tool "send"`, Turn: new(3)},
	}}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("earlier evidence (-want +got):\n%s", diff)
	}

	// No evidence stays nil, as it was written; a bad value is an error.
	v = Verdict{}
	if err := json.Unmarshal([]byte(`{"outcome":"pass","score":0.8,"reason":"ok"}`), &v); err != nil || v.Evidence != nil || v.Outcome != Pass {
		t.Errorf("got %+v, %v", v, err)
	}
	if err := json.Unmarshal([]byte(`{"outcome":"pass","evidence":[{"turn":"one"}]}`), &v); err == nil {
		t.Error("a turn that is not a number decoded without error")
	}
}
