package finding

import (
	"encoding/json"
	"testing"
)

func TestSeverityText(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatalf("%d: %v", s, err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%s: round trip gave %v, %v", b, back, err)
		}
	}
	if Info >= Low || Low >= Medium || Medium >= High || High >= Critical {
		t.Error("severities are not ordered from least to most severe")
	}
	if s, err := ParseSeverity(" HIGH "); err != nil || s != High {
		t.Errorf("ParseSeverity(\" HIGH \") = %v, %v; want high", s, err)
	}
	for _, bad := range []string{"urgent", "none", "0"} {
		if _, err := ParseSeverity(bad); err == nil {
			t.Errorf("ParseSeverity(%q) accepted", bad)
		}
	}
	var s Severity = High
	if err := s.UnmarshalText(nil); err != nil || s != 0 {
		t.Errorf("empty text gave %v, %v; want the zero value", s, err)
	}
	if _, err := Severity(9).MarshalText(); err == nil {
		t.Error("an out-of-range severity marshalled")
	}
}

// Every job encodes its findings with the same struct, and each leaves out
// the fields it does not use: the guard's --jsonl contract is exactly
// {"scanner","type","start","end","score"}, a judge's turn 0 and a model
// file's offset 0 are positions, not absences.
func TestFindingJSON(t *testing.T) {
	tests := []struct {
		name string
		f    Finding
		want string
	}{
		{"guard", Finding{Scanner: "secrets", Type: "github_token", Start: 7, End: 47, Score: 0.95},
			`{"scanner":"secrets","type":"github_token","start":7,"end":47,"score":0.95}`},
		{"judge", Finding{Scanner: "refusal", Type: "refusal", Start: 0, End: 12, Score: 0.9, Message: `"I can't help"`, Turn: new(0)},
			`{"scanner":"refusal","type":"refusal","start":0,"end":12,"score":0.9,"message":"\"I can't help\"","turn":0}`},
		{"judge, whole conversation", Finding{Scanner: "unbounded_output", Type: "tool_budget_exceeded", Score: 0.8, Severity: Medium, Turn: new(-1)},
			`{"scanner":"unbounded_output","type":"tool_budget_exceeded","start":0,"end":0,"score":0.8,"severity":"medium","turn":-1}`},
		{"model", Finding{Scanner: "pickle", Type: "pickle_dangerous_global", Score: 1, Severity: Critical, Message: "imports posix.system", Member: "archive/data.pkl", Offset: new(int64(0))},
			`{"scanner":"pickle","type":"pickle_dangerous_global","start":0,"end":0,"score":1,"severity":"critical","message":"imports posix.system","member":"archive/data.pkl","offset":0}`},
		{"data", Finding{Scanner: "pii", Type: "email", Start: 4, End: 20, Score: 0.95, Severity: Medium, File: "d.jsonl", Record: 3, Line: 3, Path: "$[2]", Field: "messages[0].content"},
			`{"scanner":"pii","type":"email","start":4,"end":20,"score":0.95,"severity":"medium","file":"d.jsonl","record":3,"line":3,"path":"$[2]","field":"messages[0].content"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("JSON\n got %s\nwant %s", b, tt.want)
			}
			var back Finding
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			b2, _ := json.Marshal(back)
			if string(b2) != tt.want {
				t.Errorf("round trip\n got %s\nwant %s", b2, tt.want)
			}
		})
	}
}
