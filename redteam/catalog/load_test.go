package catalog

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// wantCatalog is the shape the assignment fixes for the core of the built-in
// catalog (data/core.yaml): every vulnerability with its category and
// sub-types, in order.
var wantCatalog = []struct {
	id, category string
	types        []string
}{
	{"prompt_leakage", "data_privacy", []string{"secrets_and_credentials", "instructions", "guard_exposure", "permissions_and_roles"}},
	{"pii_leakage", "data_privacy", []string{"direct_disclosure", "api_and_database_access", "session_leak", "social_manipulation"}},
	{"sql_injection", "security", []string{"blind_sql_injection", "union_based_injection", "error_based_injection"}},
	{"shell_injection", "security", []string{"command_injection", "system_command_execution", "shell_escape_sequences"}},
	{"ssrf", "security", []string{"internal_service_access", "cloud_metadata_access", "port_scanning"}},
	{"bola", "security", []string{"object_access_bypass", "cross_customer_access", "unauthorized_object_manipulation"}},
	{"bfla", "security", []string{"privilege_escalation", "function_bypass", "authorization_bypass"}},
	{"excessive_agency", "agentic", []string{"functionality", "permissions", "autonomy"}},
	{"indirect_instruction", "agentic", []string{"rag_injection", "tool_output_injection", "document_embedded_instructions", "cross_context_injection"}},
	{"toxicity", "responsible_ai", []string{"profanity", "insults", "threats", "mockery"}},
	{"illegal_activity", "safety", []string{"weapons", "illegal_drugs", "violent_crimes", "non_violent_crimes", "sex_crimes", "cybercrime", "child_exploitation"}},
	{"bias", "responsible_ai", []string{"religion", "politics", "gender", "race"}},
}

func TestDefaultShape(t *testing.T) {
	// The core file comes first in the built-in catalog, whatever other
	// files there are, so these are its first vulnerabilities.
	c := Default()
	type shape struct {
		ID, Category string
		Types        []string
	}
	var got, want []shape
	for _, v := range c.Vulnerabilities[:min(len(wantCatalog), len(c.Vulnerabilities))] {
		got = append(got, shape{v.ID, v.Category, v.typeIDs()})
	}
	for _, w := range wantCatalog {
		want = append(want, shape{w.id, w.category, w.types})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("built-in catalog shape (-want +got):\n%s", diff)
	}
}

// TestDefaultQuality checks the properties every built-in sub-type must have,
// beyond what Parse enforces for any catalog.
func TestDefaultQuality(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() on the built-in catalog: %v", err)
	}
	seen := map[string]string{}
	ids := map[string]bool{}
	for _, v := range c.Vulnerabilities {
		if ids[v.ID] || !snakeCase.MatchString(v.ID) {
			t.Errorf("vulnerability id %q is repeated or not snake_case", v.ID)
		}
		ids[v.ID] = true
		if v.Name == "" || v.Description == "" {
			t.Errorf("%s: missing name or description", v.ID)
		}
		for _, ty := range v.Types {
			name := v.ID + ":" + ty.ID
			t.Run(name, func(t *testing.T) {
				if !snakeCase.MatchString(ty.ID) {
					t.Errorf("type id %q is not snake_case", ty.ID)
				}
				// The built-in catalog promises more than the minimum.
				if len(ty.Seeds) < 6 {
					t.Errorf("%d seeds, want at least 6", len(ty.Seeds))
				}
				if !slices.Contains(Severities(), ty.Severity) {
					t.Errorf("severity %v is not one of %v", ty.Severity, Severities())
				}
				if len(ty.Judges) == 0 {
					t.Error("no judges")
				}
				for _, j := range ty.Judges {
					if !slices.Contains(judge.Names(), j) {
						t.Errorf("unknown judge %q", j)
					}
				}
				// A rubric is 2-4 sentences.
				if n := strings.Count(ty.Rubric, ". "); n < 1 || n > 4 {
					t.Errorf("rubric has %d sentences, want 2-4: %q", n+1, ty.Rubric)
				}
				if !strings.Contains(ty.Rubric, "not fail") {
					t.Errorf("rubric does not say what does not count as failing: %q", ty.Rubric)
				}
				for _, s := range ty.Seeds {
					if prev, dup := seen[s]; dup {
						t.Errorf("seed repeated from %s: %q", prev, s)
					}
					seen[s] = name
				}
				// Every indirect-instruction seed must be checkable by the
				// marker judge; it is the only deterministic proof that the
				// injected instruction was followed.
				if v.ID == "indirect_instruction" {
					for _, s := range ty.Seeds {
						if !strings.Contains(s, PlaceholderMarker) {
							t.Errorf("seed has no %s: %q", PlaceholderMarker, s)
						}
					}
				}
			})
		}
	}
}

func TestDefaultPurposeIsUsed(t *testing.T) {
	// Purpose-awareness: most sub-types phrase at least one seed in terms of
	// the target's purpose.
	c := Default()
	without := 0
	for _, v := range c.Vulnerabilities {
		for _, ty := range v.Types {
			if !slices.ContainsFunc(ty.Seeds, func(s string) bool { return strings.Contains(s, PlaceholderPurpose) }) {
				without++
			}
		}
	}
	if without > 3 {
		t.Errorf("%d sub-types have no seed using %s, want at most 3", without, PlaceholderPurpose)
	}
}

func TestDefaultReturnsCopies(t *testing.T) {
	a := Default()
	a.Vulnerabilities[0].ID = "changed"
	a.Vulnerabilities[0].Types[0].Seeds[0] = "changed"
	a.Vulnerabilities[0].Types[0].Judges[0] = "changed"
	b := Default()
	if b.Vulnerabilities[0].ID == "changed" || b.Vulnerabilities[0].Types[0].Seeds[0] == "changed" ||
		b.Vulnerabilities[0].Types[0].Judges[0] == "changed" {
		t.Fatal("a change to one Default() result is visible in the next")
	}
}

// base is a minimal valid catalog; the line numbers in TestParseErrors refer
// to it.
const base = `vulnerabilities:
  - id: demo_vuln
    name: Demo
    category: security
    description: A vulnerability for tests.
    types:
      - id: first
        description: The first type.
        severity: high
        judges: [refusal, marker]
        rubric: Fails when it complies.
        seeds:
          - "seed one {marker}"
          - seed two
          - seed three
          - seed four
          - "seed five for the {purpose}"
`

// second is another valid vulnerability to append to base.
const second = `  - id: other_vuln
    name: Other
    category: safety
    description: Another one.
    types:
      - id: only
        description: The only type.
        severity: low
        judges: [refusal]
        rubric: Fails when it complies.
        seeds: [a, b, c, d, e]
`

func TestParseValid(t *testing.T) {
	c, err := Parse([]byte(base+second), "ok.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Catalog{Vulnerabilities: []Vulnerability{
		{
			ID: "demo_vuln", Name: "Demo", Category: "security", Description: "A vulnerability for tests.",
			Types: []Type{{
				ID: "first", Description: "The first type.", Severity: finding.High,
				Judges: []string{"refusal", "marker"}, Rubric: "Fails when it complies.",
				Seeds: []string{"seed one {marker}", "seed two", "seed three", "seed four", "seed five for the {purpose}"},
			}},
		},
		{
			ID: "other_vuln", Name: "Other", Category: "safety", Description: "Another one.",
			Types: []Type{{
				ID: "only", Description: "The only type.", Severity: finding.Low,
				Judges: []string{"refusal"}, Rubric: "Fails when it complies.",
				Seeds: []string{"a", "b", "c", "d", "e"},
			}},
		},
	}}
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(Type{})); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseTrimsBlockScalars(t *testing.T) {
	in := strings.Replace(base, "          - seed two\n", "          - |\n            seed two\n\n", 1)
	c, err := Parse([]byte(in), "t.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := c.Vulnerabilities[0].Types[0].Seeds[1]; got != "seed two" {
		t.Errorf("seed = %q, want %q", got, "seed two")
	}
}

// edit returns base with the first occurrence of old replaced; it fails the
// test if old is not there, so that a change to base cannot silently turn a
// case into a no-op.
func edit(t *testing.T, in, old, new string) string {
	t.Helper()
	if !strings.Contains(in, old) {
		t.Fatalf("edit: %q not in input", old)
	}
	return strings.Replace(in, old, new, 1)
}

func TestParseErrors(t *testing.T) {
	const snake = " is not snake_case (lowercase letters, digits and single underscores, starting with a letter)"
	tests := []struct {
		name string
		in   func(t *testing.T) string
		want []string
	}{
		{
			name: "empty input",
			in:   func(*testing.T) string { return "" },
			want: []string{`t.yaml: catalog is empty`},
		},
		{
			name: "only a comment",
			in:   func(*testing.T) string { return "# nothing here\n" },
			want: []string{`t.yaml: catalog is empty`},
		},
		{
			name: "two documents",
			in:   func(*testing.T) string { return base + "---\n" + base },
			want: []string{`t.yaml:18: a catalog is one YAML document; found another`},
		},
		{
			name: "syntax error",
			in:   func(t *testing.T) string { return edit(t, base, "    name: Demo\n", "    name: Demo: x\n") },
			want: []string{`t.yaml:3: invalid YAML: mapping values are not allowed in this context`},
		},
		{
			name: "top level is a list",
			in:   func(*testing.T) string { return "- a\n- b\n" },
			want: []string{`t.yaml:1: the catalog must be a mapping, not a list`},
		},
		{
			name: "unknown top-level key",
			in:   func(*testing.T) string { return base + "extras: 1\n" },
			want: []string{`t.yaml:18: unknown key "extras" at the top level`},
		},
		{
			name: "missing vulnerabilities",
			in:   func(*testing.T) string { return "vulnerabilites: []\n" },
			want: []string{
				`t.yaml:1: unknown key "vulnerabilites" at the top level; did you mean "vulnerabilities"?`,
				`t.yaml:1: missing key "vulnerabilities"`,
			},
		},
		{
			name: "no vulnerabilities",
			in:   func(*testing.T) string { return "# comment\n\nvulnerabilities: []\n" },
			want: []string{`t.yaml:3: the catalog has no vulnerabilities`},
		},
		{
			name: "unknown key in vulnerability",
			in:   func(t *testing.T) string { return edit(t, base, "    name: Demo\n", "    name: Demo\n    nmae: x\n") },
			want: []string{`t.yaml:4: unknown key "nmae" in vulnerability "demo_vuln"; did you mean "name"?`},
		},
		{
			name: "unknown key in type",
			in: func(t *testing.T) string {
				return edit(t, base, "        severity: high\n", "        severity: high\n        foo: bar\n")
			},
			want: []string{`t.yaml:10: unknown key "foo" in type "demo_vuln:first"`},
		},
		{
			name: "duplicate key",
			in: func(t *testing.T) string {
				return edit(t, base, "    name: Demo\n", "    name: Demo\n    name: Again\n")
			},
			want: []string{`t.yaml:4: duplicate key "name" in vulnerability "demo_vuln" (first at line 3)`},
		},
		{
			name: "missing field in type",
			in:   func(t *testing.T) string { return edit(t, base, "        rubric: Fails when it complies.\n", "") },
			want: []string{`t.yaml:7: missing field "rubric" in type "demo_vuln:first"`},
		},
		{
			name: "missing field in vulnerability",
			in:   func(t *testing.T) string { return edit(t, base, "    category: security\n", "") },
			want: []string{`t.yaml:2: missing field "category" in vulnerability "demo_vuln"`},
		},
		{
			name: "missing id",
			in:   func(t *testing.T) string { return edit(t, base, "      - id: first\n", "      - id: ~\n") },
			want: []string{`t.yaml:7: missing field "id" in type #1 of vulnerability "demo_vuln"`},
		},
		{
			name: "bad severity",
			in:   func(t *testing.T) string { return edit(t, base, "severity: high", "severity: urgent") },
			want: []string{`t.yaml:9: invalid severity "urgent" in type "demo_vuln:first": want one of low, medium, high, critical`},
		},
		{
			name: "unknown judge",
			in:   func(t *testing.T) string { return edit(t, base, "[refusal, marker]", "[refusl, marker]") },
			want: []string{`t.yaml:10: unknown judge "refusl" in type "demo_vuln:first"; did you mean "refusal"?`},
		},
		{
			name: "judge listed twice",
			in:   func(t *testing.T) string { return edit(t, base, "[refusal, marker]", "[refusal, marker, refusal]") },
			want: []string{`t.yaml:10: judge "refusal" is listed twice in type "demo_vuln:first"`},
		},
		{
			name: "no judges",
			in:   func(t *testing.T) string { return edit(t, base, "[refusal, marker]", "[]") },
			want: []string{
				`t.yaml:10: type "demo_vuln:first" names no judges`,
				`t.yaml:10: type "demo_vuln:first" has seeds with {marker} but does not list the "marker" judge`,
			},
		},
		{
			name: "too few seeds",
			in:   func(t *testing.T) string { return edit(t, base, "          - seed three\n          - seed four\n", "") },
			want: []string{`t.yaml:12: type "demo_vuln:first" has 3 seeds; at least 5 are required`},
		},
		{
			name: "empty seed",
			in:   func(t *testing.T) string { return edit(t, base, "          - seed two\n", "          - \"  \"\n") },
			want: []string{`t.yaml:14: seed #2 of type "demo_vuln:first" is empty`},
		},
		{
			name: "seed repeated in another vulnerability",
			in: func(t *testing.T) string {
				return base + edit(t, second, "seeds: [a, b, c, d, e]", "seeds: [a, b, c, d, seed two]")
			},
			want: []string{`t.yaml:28: seed #5 of type "other_vuln:only" repeats a seed of type "demo_vuln:first" at line 14`},
		},
		{
			name: "unknown placeholder",
			in:   func(t *testing.T) string { return edit(t, base, "for the {purpose}", "for the {purpse}") },
			want: []string{`t.yaml:17: seed #5 of type "demo_vuln:first" uses unknown placeholder {purpse}; did you mean "{purpose}"?`},
		},
		{
			name: "marker judge without marker seed",
			in:   func(t *testing.T) string { return edit(t, base, `"seed one {marker}"`, "seed one") },
			want: []string{`t.yaml:10: type "demo_vuln:first" lists the "marker" judge but no seed uses {marker}`},
		},
		{
			name: "id not snake_case",
			in:   func(t *testing.T) string { return edit(t, base, "id: demo_vuln", "id: Demo-Vuln") },
			want: []string{`t.yaml:2: id "Demo-Vuln" of vulnerability "Demo-Vuln"` + snake},
		},
		{
			name: "type id not snake_case",
			in:   func(t *testing.T) string { return edit(t, base, "id: first", "id: first__type") },
			want: []string{`t.yaml:7: id "first__type" of type "demo_vuln:first__type"` + snake},
		},
		{
			name: "category not snake_case",
			in:   func(t *testing.T) string { return edit(t, base, "category: security", "category: Security Stuff") },
			want: []string{`t.yaml:4: category "Security Stuff" of vulnerability "demo_vuln" is not snake_case`},
		},
		{
			name: "duplicate vulnerability id",
			in:   func(t *testing.T) string { return base + edit(t, second, "id: other_vuln", "id: demo_vuln") },
			want: []string{`t.yaml:18: duplicate vulnerability id "demo_vuln" (first defined at line 2)`},
		},
		{
			name: "duplicate type id",
			in: func(t *testing.T) string {
				return base + `      - id: first
        description: Again.
        severity: low
        judges: [refusal]
        rubric: Fails.
        seeds: [a, b, c, d, e]
`
			},
			want: []string{`t.yaml:18: duplicate type id "first" in vulnerability "demo_vuln" (first defined at line 7)`},
		},
		{
			name: "no types",
			in: func(t *testing.T) string {
				return "vulnerabilities:\n  - id: v\n    name: V\n    category: c\n    description: d\n    types: []\n"
			},
			want: []string{`t.yaml:6: vulnerability "v" has no types`},
		},
		{
			name: "wrong kind",
			in:   func(t *testing.T) string { return edit(t, base, "[refusal, marker]", "refusal") },
			want: []string{`t.yaml:10: judges of type "demo_vuln:first" must be a list, not a single value`},
		},
		{
			name: "seed is not a string",
			in:   func(t *testing.T) string { return edit(t, base, "          - seed two\n", "          - {a: b}\n") },
			want: []string{`t.yaml:14: seed #2 of type "demo_vuln:first" must be a single value, not a mapping`},
		},
		{
			name: "alias",
			in: func(t *testing.T) string {
				in := edit(t, base, "description: The first type.", "description: &d The first type.")
				return edit(t, in, "rubric: Fails when it complies.", "rubric: *d")
			},
			want: []string{`t.yaml:11: rubric of type "demo_vuln:first": YAML aliases are not allowed in a catalog`},
		},
		{
			name: "several problems at once",
			in: func(t *testing.T) string {
				in := edit(t, base, "severity: high", "severity: HIGH")
				return edit(t, in, "    name: Demo\n", "")
			},
			want: []string{
				`t.yaml:2: missing field "name" in vulnerability "demo_vuln"`,
				`t.yaml:8: invalid severity "HIGH" in type "demo_vuln:first": want one of low, medium, high, critical`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in(t)), "t.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded, want errors %q; got %+v", tt.want, c)
			}
			if c != nil {
				t.Errorf("Parse returned a catalog along with an error")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Source != "t.yaml" {
				t.Errorf("errors.As(*Error) = %v, source %q; want an *Error from t.yaml", ce, ce.Source)
			}
		})
	}
}

func TestParseFSOrder(t *testing.T) {
	third := strings.NewReplacer("other_vuln", "third_vuln", "[a, b, c, d, e]", "[f, g, h, i, j]").Replace(second)
	fsys := fstest.MapFS{
		"cat/b.yaml":    {Data: []byte("vulnerabilities:\n" + second)},
		"cat/core.yaml": {Data: []byte(base)},
		"cat/a.yaml":    {Data: []byte("vulnerabilities:\n" + third)},
		"cat/notes.txt": {Data: []byte("not a catalog")},
	}
	c, err := parseFS(fsys, "cat/*.yaml", func(n string) string { return n })
	if err != nil {
		t.Fatalf("parseFS: %v", err)
	}
	// core.yaml first, then the others by name; other files are ignored.
	if diff := cmp.Diff([]string{"demo_vuln", "third_vuln", "other_vuln"}, c.ids()); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("merged catalog does not validate: %v", err)
	}
}

func TestParseFSErrors(t *testing.T) {
	other := "vulnerabilities:\n" + second
	tests := []struct {
		name    string
		files   func(t *testing.T) fstest.MapFS
		pattern string
		want    []string
	}{
		{
			name: "vulnerability id in two files",
			files: func(t *testing.T) fstest.MapFS {
				return fstest.MapFS{"a.yaml": {Data: []byte(base)}, "b.yaml": {Data: []byte(edit(t, other, "id: other_vuln", "id: demo_vuln"))}}
			},
			want: []string{`b.yaml:2: duplicate vulnerability id "demo_vuln" (first defined at a.yaml:2)`},
		},
		{
			name: "seed in two files",
			files: func(t *testing.T) fstest.MapFS {
				return fstest.MapFS{"a.yaml": {Data: []byte(base)}, "b.yaml": {Data: []byte(edit(t, other, "d, e]", "d, seed two]"))}}
			},
			want: []string{`b.yaml:12: seed #5 of type "other_vuln:only" repeats a seed of type "demo_vuln:first" at a.yaml:14`},
		},
		{
			name: "a broken file does not hide a clash between the others",
			files: func(t *testing.T) fstest.MapFS {
				return fstest.MapFS{
					"a.yaml": {Data: []byte(base)},
					"b.yaml": {Data: []byte(edit(t, other, "id: other_vuln", "id: demo_vuln"))},
					"c.yaml": {Data: []byte(edit(t, other, "severity: low", "severity: lowest"))},
				}
			},
			want: []string{
				`c.yaml:9: invalid severity "lowest" in type "other_vuln:only": want one of low, medium, high, critical`,
				`b.yaml:2: duplicate vulnerability id "demo_vuln" (first defined at a.yaml:2)`,
			},
		},
		{
			name:  "no file matches",
			files: func(t *testing.T) fstest.MapFS { return fstest.MapFS{"a.yml": {Data: []byte(base)}} },
			want:  []string{`catalog files "*.yaml": no file matches`},
		},
		{
			name:    "bad pattern",
			files:   func(t *testing.T) fstest.MapFS { return fstest.MapFS{} },
			pattern: "[",
			want:    []string{`catalog files "[": syntax error in pattern`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pattern := tt.pattern
			if pattern == "" {
				pattern = "*.yaml"
			}
			c, err := parseFS(tt.files(t), pattern, func(n string) string { return n })
			if err == nil {
				t.Fatalf("parseFS succeeded with %d vulnerabilities, want errors %q", len(c.Vulnerabilities), tt.want)
			}
			if c != nil {
				t.Error("parseFS returned a catalog along with an error")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmbeddedFilesNameTheirPath(t *testing.T) {
	// Errors in the built-in data name the file from the repository root.
	fsys := fstest.MapFS{"data/core.yaml": {Data: []byte("vulnerabilities: [")}}
	_, err := parseFS(fsys, embeddedPattern, func(name string) string { return embeddedPrefix + name })
	if err == nil || !strings.HasPrefix(err.Error(), "redteam/catalog/data/core.yaml:") {
		t.Errorf("error = %v, want one naming redteam/catalog/data/core.yaml:LINE", err)
	}
}

func TestDefaultIsEveryEmbeddedFile(t *testing.T) {
	names, err := fs.Glob(embeddedData, embeddedPattern)
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded files: %v, %v", names, err)
	}
	orderFiles(names)
	var want []string
	for i, name := range names {
		data, err := fs.ReadFile(embeddedData, name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(data, name)
		if err != nil {
			t.Fatalf("%s alone: %v", name, err)
		}
		if i == 0 && path.Base(name) != CoreFile {
			t.Errorf("first file is %s, want %s", name, CoreFile)
		}
		want = append(want, c.ids()...)
	}
	if diff := cmp.Diff(want, Default().ids()); diff != "" {
		t.Errorf("Default() ids (-want +got):\n%s", diff)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Source: "f.yaml", Line: 3, Msg: "bad"}, "f.yaml:3: bad"},
		{Error{Source: "f.yaml", Msg: "bad"}, "f.yaml: bad"},
		{Error{Line: 3, Msg: "bad"}, "line 3: bad"},
		{Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

// Sub-types decoded by other readers (the configuration's custom
// vulnerabilities go through yamlx) keep what the catalog's own parser
// guarantees: a bad severity is kept for Validate, with the sub-type's other
// problems, rather than failing the decoding without a line; an unknown key
// is an error although a strict decoder does not look inside UnmarshalYAML.
func TestTypeUnmarshalYAML(t *testing.T) {
	decode := func(in string) ([]Type, error) {
		var ts []Type
		dec := yaml.NewDecoder(strings.NewReader(in))
		dec.KnownFields(true)
		return ts, dec.Decode(&ts)
	}
	ts, err := decode("- id: a\n  description: d\n  severity: \" critical \"\n  rubric: r\n- id: b\n  severity: urgent\n")
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].Severity != finding.Critical || ts[0].badSeverity != "" {
		t.Errorf("severity %v (bad %q), want critical", ts[0].Severity, ts[0].badSeverity)
	}
	if ts[1].Severity != 0 || ts[1].badSeverity != "urgent" {
		t.Errorf("severity %v (bad %q), want none, with urgent kept", ts[1].Severity, ts[1].badSeverity)
	}
	c := &Catalog{Vulnerabilities: []Vulnerability{{ID: "v", Name: "V", Category: "security", Description: "d", Types: ts[1:]}}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `invalid severity "urgent" in type "v:b"`) {
		t.Errorf("Validate() = %v, want the bad severity reported", err)
	}

	_, err = decode("- id: a\n  severity: low\n  severty: high\n")
	if err == nil || !strings.Contains(err.Error(), "line 3: field severty not found") {
		t.Errorf("unknown key: err = %v, want go-yaml's unknown-field error with its line", err)
	}
	if _, err := decode("- [a, b]\n"); err == nil {
		t.Error("a sequence decoded as a sub-type")
	}
}

func TestValidateInMemory(t *testing.T) {
	c := Default()
	c.Vulnerabilities[1].Types[0].Severity = finding.Info
	err := c.Validate()
	want := `invalid severity "info" in type "pii_leakage:direct_disclosure": want one of low, medium, high, critical`
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
}

func TestVulnerability(t *testing.T) {
	c := Default()
	v, ok := c.Vulnerability("ssrf")
	if !ok || v.ID != "ssrf" {
		t.Fatalf("Vulnerability(ssrf) = %v, %t", v, ok)
	}
	// The pointer refers into the catalog.
	v.Name = "changed"
	if c.Vulnerabilities[4].Name != "changed" {
		t.Error("Vulnerability returned a copy, want a pointer into the catalog")
	}
	if v, ok := c.Vulnerability("nope"); ok || v != nil {
		t.Errorf("Vulnerability(nope) = %v, %t; want nil, false", v, ok)
	}
}

// flatten renders a selection as "vuln:type" strings for comparison.
func flatten(sel []Selection) []string {
	var out []string
	for _, s := range sel {
		for _, t := range s.Types {
			out = append(out, s.Vuln.ID+":"+t.ID)
		}
	}
	return out
}

func TestResolve(t *testing.T) {
	c := Default()
	var all []string
	for _, v := range c.Vulnerabilities {
		for _, ty := range v.Types {
			all = append(all, v.ID+":"+ty.ID)
		}
	}
	tests := []struct {
		name      string
		selectors []string
		want      []string
		wantErr   string
	}{
		{name: "nothing selects everything", selectors: nil, want: all},
		{
			name:      "whole vulnerability",
			selectors: []string{"pii_leakage"},
			want:      []string{"pii_leakage:direct_disclosure", "pii_leakage:api_and_database_access", "pii_leakage:session_leak", "pii_leakage:social_manipulation"},
		},
		{
			name:      "types come back in catalog order",
			selectors: []string{"pii_leakage:session_leak", " prompt_leakage:instructions ", "pii_leakage:direct_disclosure"},
			want:      []string{"prompt_leakage:instructions", "pii_leakage:direct_disclosure", "pii_leakage:session_leak"},
		},
		{
			name:      "whole wins over one type",
			selectors: []string{"ssrf:port_scanning", "ssrf", "ssrf:port_scanning"},
			want:      []string{"ssrf:internal_service_access", "ssrf:cloud_metadata_access", "ssrf:port_scanning"},
		},
		{
			name:      "truncated vulnerability name",
			selectors: []string{"pii_leak"},
			wantErr:   `unknown vulnerability "pii_leak"; did you mean "pii_leakage"?`,
		},
		{
			name:      "misspelt type",
			selectors: []string{"pii_leakage:sesion_leak"},
			wantErr:   `unknown type "sesion_leak" of vulnerability "pii_leakage"; did you mean "session_leak"?`,
		},
		{
			name:      "nothing close lists the known names",
			selectors: []string{"bola:zzzzzzzzzzzz"},
			wantErr:   `unknown type "zzzzzzzzzzzz" of vulnerability "bola" (known: object_access_bypass, cross_customer_access, unauthorized_object_manipulation)`,
		},
		{
			name:      "every bad selector is reported",
			selectors: []string{"", "bola:", "sql_injectoin", "bias"},
			wantErr: `invalid selector "": want "vulnerability" or "vulnerability:type"
invalid selector "bola:": want "vulnerability" or "vulnerability:type"
unknown vulnerability "sql_injectoin"; did you mean "sql_injection"?`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := c.Resolve(tt.selectors)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Resolve(%q) error = %v, want %q", tt.selectors, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.selectors, err)
			}
			if diff := cmp.Diff(tt.want, flatten(sel)); diff != "" {
				t.Errorf("Resolve(%q) (-want +got):\n%s", tt.selectors, diff)
			}
			for _, s := range sel {
				if v, _ := c.Vulnerability(s.Vuln.ID); v != s.Vuln {
					t.Errorf("Selection.Vuln for %s does not point into the catalog", s.Vuln.ID)
				}
			}
		})
	}
}

func TestMerge(t *testing.T) {
	builtin := Default()
	user, err := Parse([]byte(base), "user.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	merged, err := builtin.Merge(user)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	want := append(builtin.ids(), "demo_vuln")
	if diff := cmp.Diff(want, merged.ids()); diff != "" {
		t.Errorf("merged ids (-want +got):\n%s", diff)
	}
	// The merged catalog shares nothing with its inputs.
	merged.Vulnerabilities[len(merged.Vulnerabilities)-1].Types[0].Seeds[0] = "changed"
	merged.Vulnerabilities[0].Types[0].Seeds[0] = "changed"
	if user.Vulnerabilities[0].Types[0].Seeds[0] == "changed" || builtin.Vulnerabilities[0].Types[0].Seeds[0] == "changed" {
		t.Error("Merge result shares slices with its inputs")
	}
	if len(builtin.Vulnerabilities) != len(Default().Vulnerabilities) {
		t.Errorf("Merge changed its receiver: %d vulnerabilities", len(builtin.Vulnerabilities))
	}

	t.Run("nil adds nothing", func(t *testing.T) {
		got, err := builtin.Merge(nil)
		if err != nil || len(got.Vulnerabilities) != len(builtin.Vulnerabilities) {
			t.Errorf("Merge(nil) = %d vulnerabilities, %v", len(got.Vulnerabilities), err)
		}
	})
	t.Run("id clash", func(t *testing.T) {
		clash, err := Parse([]byte(edit(t, base, "id: demo_vuln", "id: bola")), "user.yaml")
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		_, err = builtin.Merge(clash)
		if want := `merge catalogs: vulnerability "bola" is defined in both`; err == nil || err.Error() != want {
			t.Errorf("Merge error = %v, want %q", err, want)
		}
	})
	t.Run("invalid other", func(t *testing.T) {
		bad := user.clone()
		bad.Vulnerabilities[0].Types[0].Judges = []string{"nope", "marker"}
		_, err := builtin.Merge(bad)
		if err == nil || !strings.Contains(err.Error(), `unknown judge "nope"`) {
			t.Errorf("Merge error = %v, want an unknown judge error", err)
		}
	})
}

func TestSuggest(t *testing.T) {
	names := []string{"pii_leakage", "prompt_leakage", "sql_injection", "shell_injection", "ssrf"}
	tests := []struct {
		name, want string
	}{
		{"pii_leak", `; did you mean "pii_leakage"?`},
		{"prompt_leak", `; did you mean "prompt_leakage"?`},
		{"sql_injectoin", `; did you mean "sql_injection"?`},
		{"srf", `; did you mean "ssrf"?`},
		{"shell", `; did you mean "shell_injection"?`},
		{"toxicity", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Suggest(tt.name, names); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
	if got := Suggest("x", nil); got != "" {
		t.Errorf("Suggest with no candidates = %q, want empty", got)
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts is
// valid. The embedded catalog is left out of the seeds on purpose: at 70 KB
// it slows every mutation down a hundredfold, and base covers its shape.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(base + second))
	f.Add([]byte("vulnerabilities: [{id: a, types: [{id: b, seeds: *x}]}]"))
	f.Add([]byte("a: &a [*a, *a]\nvulnerabilities: *a\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("vulnerabilities:\n  - !!binary aGVsbG8=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a catalog along with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// Whatever Parse accepts is a valid catalog.
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a catalog that Validate rejects: %v", err)
		}
		if _, err := c.Resolve(nil); err != nil {
			t.Fatalf("Resolve(nil) on a parsed catalog: %v", err)
		}
	})
}

func BenchmarkParseEmbedded(b *testing.B) {
	for b.Loop() {
		if _, err := parseFS(embeddedData, embeddedPattern, func(n string) string { return n }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		_ = Default()
	}
}
