package catalog

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// completeCatalog lists every vulnerability the built-in catalog must have
// (issue 4): the core file, then the other data files.
var completeCatalog = []string{
	// data/core.yaml
	"prompt_leakage", "pii_leakage", "sql_injection", "shell_injection", "ssrf", "bola", "bfla",
	"excessive_agency", "indirect_instruction", "toxicity", "illegal_activity", "bias",
	// responsible AI, safety and business
	"child_protection", "ethics", "fairness", "graphic_content", "personal_safety",
	"unexpected_code_execution", "misinformation", "intellectual_property", "competition", "hallucination",
	// security and agentic
	"rbac", "debug_access", "tool_metadata_poisoning", "cross_context_retrieval", "system_reconnaissance",
	"goal_theft", "recursive_hijacking", "robustness", "tool_orchestration_abuse", "agent_identity_abuse",
	"inter_agent_communication", "autonomous_agent_drift", "exploit_tool_agent", "external_system_abuse",
	// beyond
	"improper_output_handling", "training_data_extraction", "model_extraction", "hallucinated_packages",
	"unbounded_consumption", "cross_session_leakage", "mcp_tool_poisoning",
}

func TestCompleteCatalog(t *testing.T) {
	c := Default()
	var missing []string
	for _, id := range completeCatalog {
		if _, ok := c.Vulnerability(id); !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the built-in catalog lacks %d vulnerabilities: %s", len(missing), strings.Join(missing, ", "))
	}
}

func TestFrameworksShape(t *testing.T) {
	fws := Frameworks()
	var ids []string
	for _, f := range fws {
		ids = append(ids, f.ID)
	}
	if diff := cmp.Diff(frameworkOrder, ids); diff != "" {
		t.Errorf("framework IDs (-want +got):\n%s", diff)
	}
	names := func(id string) []string {
		f, ok := frameworkByID(id)
		if !ok {
			t.Fatalf("framework %q not found", id)
		}
		var out []string
		for _, c := range f.Categories {
			out = append(out, c.ID+" "+c.Name)
		}
		return out
	}
	// The OWASP lists are fixed by their publishers; a typo in an ID or a
	// name would mislabel every report.
	wantLLM := []string{
		"LLM01 Prompt Injection", "LLM02 Sensitive Information Disclosure", "LLM03 Supply Chain",
		"LLM04 Data and Model Poisoning", "LLM05 Improper Output Handling", "LLM06 Excessive Agency",
		"LLM07 System Prompt Leakage", "LLM08 Vector and Embedding Weaknesses", "LLM09 Misinformation",
		"LLM10 Unbounded Consumption",
	}
	if diff := cmp.Diff(wantLLM, names("owasp-llm-2025")); diff != "" {
		t.Errorf("owasp-llm-2025 (-want +got):\n%s", diff)
	}
	wantASI := []string{
		"ASI01 Agent Goal Hijack", "ASI02 Tool Misuse and Exploitation", "ASI03 Identity and Privilege Abuse",
		"ASI04 Agentic Supply Chain Vulnerabilities", "ASI05 Unexpected Code Execution",
		"ASI06 Memory and Context Poisoning", "ASI07 Insecure Inter-Agent Communication",
		"ASI08 Cascading Failures", "ASI09 Human-Agent Trust Exploitation", "ASI10 Rogue Agents",
	}
	if diff := cmp.Diff(wantASI, names("owasp-agentic-2026")); diff != "" {
		t.Errorf("owasp-agentic-2026 (-want +got):\n%s", diff)
	}
	// NIST: the twelve risks of the generative-AI profile are all there.
	var gai int
	for _, n := range names("nist-ai-rmf") {
		if strings.HasPrefix(n, "gai-") {
			gai++
		}
	}
	if gai != 12 {
		t.Errorf("nist-ai-rmf has %d generative-AI profile risks, want 12", gai)
	}
	for _, f := range fws {
		if f.Name == "" || f.Description == "" || !strings.HasPrefix(f.URL, "https://") {
			t.Errorf("%s: missing name, description or https URL", f.ID)
		}
		for _, c := range f.Categories {
			if c.Description == "" {
				t.Errorf("%s:%s has no description", f.ID, c.ID)
			}
		}
	}
}

// testAttackIDs are attacks the test frameworks may name (the built-in
// frameworks are checked against attack.All in package attack).
var testAttackIDs = []string{"baseline", "base64", "rot13", "roleplay"}

func TestEverySubTypeIsInAFramework(t *testing.T) {
	// Reports group results by framework; a sub-type in none of them would
	// be tested but never reported against a framework.
	c := Default()
	for _, v := range c.Vulnerabilities {
		for _, ty := range v.Types {
			if len(c.FrameworksFor(v.ID, ty.ID)) == 0 {
				t.Errorf("%s:%s is in no framework category", v.ID, ty.ID)
			}
		}
	}
}

func TestRelatedIDsResolve(t *testing.T) {
	tactic := regexp.MustCompile(`^AML\.TA\d{4}$`)
	known := map[string]bool{}
	for _, f := range Frameworks() {
		for _, c := range f.Categories {
			known[c.ID] = true
		}
	}
	for _, f := range Frameworks() {
		for _, c := range f.Categories {
			for _, r := range c.Related {
				if !known[r] && !tactic.MatchString(r) {
					t.Errorf("%s:%s: related %q is neither a framework category nor an ATLAS tactic", f.ID, c.ID, r)
				}
				if r == c.ID {
					t.Errorf("%s:%s is related to itself", f.ID, c.ID)
				}
			}
			if f.ID == "mitre-atlas" && !slices.ContainsFunc(c.Related, tactic.MatchString) {
				t.Errorf("%s:%s names no ATLAS tactic in related", f.ID, c.ID)
			}
		}
	}
}

func TestFrameworksReturnsCopies(t *testing.T) {
	a := Frameworks()
	a[0].ID = "changed"
	a[0].Categories[0].Vulnerabilities[0] = "changed"
	a[0].Categories[0].Attacks[0].Weight = 99
	f, _ := frameworkByID(frameworkOrder[0])
	f.Categories[0].Related = append(f.Categories[0].Related[:0], "changed")
	b := Frameworks()
	if b[0].ID == "changed" || b[0].Categories[0].Vulnerabilities[0] == "changed" ||
		b[0].Categories[0].Attacks[0].Weight == 99 || slices.Contains(b[0].Categories[0].Related, "changed") {
		t.Fatal("a change to a returned framework is visible in the next call")
	}
}

func TestFrameworksFor(t *testing.T) {
	c := Default()
	tests := []struct {
		vuln, typ   string
		has, hasNot []string
	}{
		{
			vuln: "prompt_leakage", typ: "instructions",
			has: []string{"owasp-llm-2025:LLM07", "mitre-atlas:AML.T0056", "mitre-atlas:AML.T0068"},
			// LLM02 selects only the credentials sub-type.
			hasNot: []string{"owasp-llm-2025:LLM02", "mitre-atlas:AML.T0055"},
		},
		{
			vuln: "prompt_leakage", typ: "secrets_and_credentials",
			has:    []string{"owasp-llm-2025:LLM02", "owasp-llm-2025:LLM07", "mitre-atlas:AML.T0055"},
			hasNot: []string{"mitre-atlas:AML.T0056"},
		},
		{
			// Without a type, any selector of the vulnerability counts.
			vuln: "prompt_leakage",
			has:  []string{"owasp-llm-2025:LLM02", "owasp-llm-2025:LLM07", "mitre-atlas:AML.T0055", "mitre-atlas:AML.T0056"},
		},
		{vuln: "ssrf", typ: "port_scanning", has: []string{"owasp-llm-2025:LLM05", "eu-ai-act:art15-cybersecurity"}},
	}
	for _, tt := range tests {
		t.Run(tt.vuln+":"+tt.typ, func(t *testing.T) {
			got := c.FrameworksFor(tt.vuln, tt.typ)
			for _, ref := range tt.has {
				if !slices.Contains(got, ref) {
					t.Errorf("FrameworksFor = %v, want it to contain %s", got, ref)
				}
			}
			for _, ref := range tt.hasNot {
				if slices.Contains(got, ref) {
					t.Errorf("FrameworksFor = %v, want it not to contain %s", got, ref)
				}
			}
			// References come in framework order.
			var order []int
			for _, ref := range got {
				fw, _, _ := strings.Cut(ref, ":")
				order = append(order, slices.Index(frameworkOrder, fw))
			}
			if !slices.IsSorted(order) {
				t.Errorf("FrameworksFor = %v, not in framework order", got)
			}
		})
	}
	for _, bad := range [][2]string{{"nope", ""}, {"ssrf", "nope"}} {
		if got := c.FrameworksFor(bad[0], bad[1]); got != nil {
			t.Errorf("FrameworksFor(%q, %q) = %v, want nil", bad[0], bad[1], got)
		}
	}
}

func TestSelects(t *testing.T) {
	sels := []string{"ssrf", "pii_leakage:session_leak", " bola : cross_customer_access "}
	tests := []struct {
		vuln, typ string
		want      bool
	}{
		{"ssrf", "", true},
		{"ssrf", "port_scanning", true},
		{"pii_leakage", "", true},
		{"pii_leakage", "session_leak", true},
		{"pii_leakage", "direct_disclosure", false},
		{"bola", "cross_customer_access", true},
		{"bfla", "", false},
		{"ssr", "", false},
	}
	for _, tt := range tests {
		if got := selects(sels, tt.vuln, tt.typ); got != tt.want {
			t.Errorf("selects(%q, %q) = %t, want %t", tt.vuln, tt.typ, got, tt.want)
		}
	}
}

// fwBase is a minimal valid framework; the line numbers in
// TestParseFrameworkErrors refer to it.
const fwBase = `id: demo-fw
name: Demo framework
description: A framework for tests.
url: https://example.com/fw
categories:
  - id: D01
    name: First
    vulnerabilities: [ssrf, "pii_leakage:session_leak"]
    attacks:
      - {id: baseline, weight: 1}
      - {id: base64, weight: 2}
    related: [AML.TA0005]
  - id: D02
    name: Second
    vulnerabilities:
      - bola
    attacks:
      - id: roleplay
        weight: 3
`

func TestParseFramework(t *testing.T) {
	f, err := parseFramework1([]byte(fwBase), "fw.yaml")
	if err != nil {
		t.Fatalf("ParseFramework: %v", err)
	}
	want := Framework{
		ID: "demo-fw", Name: "Demo framework", Description: "A framework for tests.", URL: "https://example.com/fw",
		Categories: []Category{
			{
				ID: "D01", Name: "First", Vulnerabilities: []string{"ssrf", "pii_leakage:session_leak"},
				Attacks: []WeightedAttack{{"baseline", 1}, {"base64", 2}}, Related: []string{"AML.TA0005"},
			},
			{ID: "D02", Name: "Second", Vulnerabilities: []string{"bola"}, Attacks: []WeightedAttack{{"roleplay", 3}}},
		},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("ParseFramework (-want +got):\n%s", diff)
	}
	if err := Default().ValidateFramework(f, testAttackIDs); err != nil {
		t.Errorf("ValidateFramework: %v", err)
	}
}

func TestParseFrameworkErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{
			name: "unknown top-level key",
			old:  "url:", new: "link:",
			want: []string{`fw.yaml:4: unknown key "link" at the top level`},
		},
		{
			name: "unknown category key with a hint",
			old:  "    related:", new: "    relatd:",
			want: []string{`fw.yaml:12: unknown key "relatd" in category "D01"; did you mean "related"?`},
		},
		{
			name: "weight is not a number",
			old:  "weight: 3", new: "weight: lots",
			want: []string{"fw.yaml:19: cannot unmarshal !!str `lots` into int"},
		},
		{
			name: "weight out of range",
			old:  "weight: 2}", new: "weight: 0}",
			want: []string{`fw.yaml:11: weight 0 of attack "base64" in category "D01" of framework "demo-fw" is out of range: want 1 to 5`},
		},
		{
			name: "attack without weight",
			old:  "{id: baseline, weight: 1}", new: "{id: baseline}",
			want: []string{`fw.yaml:10: missing key "weight" in attack #1 of category "D01"`},
		},
		{
			name: "attack is a bare name",
			old:  "{id: baseline, weight: 1}", new: "baseline",
			want: []string{`fw.yaml:10: attack #1 of category "D01" must be a mapping, not a single value`},
		},
		{
			name: "duplicate category",
			old:  "id: D02", new: "id: D01",
			want: []string{`fw.yaml:13: duplicate category id "D01" in framework "demo-fw" (first defined at line 6)`},
		},
		{
			name: "duplicate attack",
			old:  "{id: base64, weight: 2}", new: "{id: baseline, weight: 2}",
			want: []string{`fw.yaml:11: attack "baseline" is listed twice in category "D01" of framework "demo-fw"`},
		},
		{
			name: "selector listed twice",
			old:  `[ssrf, "pii_leakage:session_leak"]`, new: `[ssrf, ssrf]`,
			want: []string{`fw.yaml:8: vulnerability "ssrf" is listed twice in category "D01" of framework "demo-fw"`},
		},
		{
			name: "no vulnerabilities",
			old:  `[ssrf, "pii_leakage:session_leak"]`, new: `[]`,
			want: []string{`fw.yaml:8: category "D01" of framework "demo-fw" selects no vulnerabilities`},
		},
		{
			name: "framework id not kebab-case",
			old:  "id: demo-fw", new: "id: Demo_FW",
			want: []string{`fw.yaml:1: id "Demo_FW" of framework is not kebab-case (lowercase letters and digits joined by single hyphens)`},
		},
		{
			name: "category id with a colon",
			old:  "id: D02", new: "id: 'D:02'",
			want: []string{`fw.yaml:13: id "D:02" of category #2 of framework "demo-fw" must be letters and digits joined by '.', '-' or '_'`},
		},
		{
			name: "plain http url",
			old:  "https://example.com/fw", new: "http://example.com/fw",
			want: []string{`fw.yaml:4: url "http://example.com/fw" of framework "demo-fw" must start with https://`},
		},
		{
			name: "alias",
			old:  "name: First", new: "name: &n First\n    description: *n",
			want: []string{`fw.yaml:8: description of category "D01": YAML aliases are not allowed in a framework`},
		},
		{
			name: "several problems at once",
			old:  "    name: Second\n", new: "    related: [x, x]\n",
			want: []string{
				`fw.yaml:13: missing field "name" in category "D02" of framework "demo-fw"`,
				`fw.yaml:14: related id "x" is listed twice in category "D02" of framework "demo-fw"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := edit(t, fwBase, tt.old, tt.new)
			_, err := parseFramework1([]byte(in), "fw.yaml")
			if err == nil {
				t.Fatalf("ParseFramework succeeded, want %q", tt.want)
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateFramework(t *testing.T) {
	c := Default()
	f, err := parseFramework1([]byte(fwBase), "fw.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.Categories[0].Vulnerabilities = []string{"pii_leak", "ssrf:port_scan"}
	f.Categories[1].Attacks = []WeightedAttack{{"rot31", 1}, {"roleplay", 0}}
	err = c.ValidateFramework(f, testAttackIDs)
	want := []string{
		`framework "demo-fw", category "D01": unknown vulnerability "pii_leak"; did you mean "pii_leakage"?`,
		`framework "demo-fw", category "D01": unknown type "port_scan" of vulnerability "ssrf"; did you mean "port_scanning"?`,
		`framework "demo-fw", category "D02": unknown attack "rot31"; did you mean "rot13"?`,
	}
	if err == nil {
		t.Fatal("ValidateFramework succeeded")
	}
	got := strings.Split(err.Error(), "\n")
	// The structural problem (weight 0) comes first, without a line.
	if len(got) == 0 || !strings.Contains(got[0], `weight 0 of attack "roleplay"`) {
		t.Errorf("first error = %q, want the weight problem", got[0])
	}
	if diff := cmp.Diff(want, got[1:]); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestFrameworkFileMustBeNamedByID(t *testing.T) {
	fsys := fstest.MapFS{"fw/other.yaml": {Data: []byte(fwBase)}}
	_, err := parseFrameworkFS(fsys, "fw/*.yaml", func(s string) string { return s })
	want := `fw/other.yaml:1: framework id "demo-fw" does not match the file name: want "other"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	fsys = fstest.MapFS{"fw/demo-fw.yaml": {Data: []byte(fwBase)}}
	if fws, err := parseFrameworkFS(fsys, "fw/*.yaml", func(s string) string { return s }); err != nil || len(fws) != 1 {
		t.Errorf("parseFrameworkFS = %d frameworks, %v; want 1", len(fws), err)
	}
}

// FuzzParseFramework checks that ParseFramework never panics and that what
// it accepts passes its own structural rules again.
func FuzzParseFramework(f *testing.F) {
	f.Add([]byte(fwBase))
	f.Add([]byte("id: a\ncategories: [{id: x, attacks: [{id: b, weight: *w}]}]"))
	f.Add([]byte("id: &a b\nname: *a\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("categories:\n  - !!binary aGVsbG8=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fw, err := parseFramework1(data, "fuzz.yaml")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if errs := validateFramework(&fw, "", nil); len(errs) > 0 {
			t.Fatalf("ParseFramework accepted a framework that fails validation: %v", errs)
		}
	})
}

// frameworkByID returns a copy of the built-in framework with the given ID.
func frameworkByID(id string) (Framework, bool) {
	for _, f := range Frameworks() {
		if f.ID == id {
			return f, true
		}
	}
	return Framework{}, false
}

// parseFramework1 is parseFramework without the id's line.
func parseFramework1(data []byte, source string) (Framework, error) {
	f, _, err := parseFramework(data, source)
	return f, err
}
