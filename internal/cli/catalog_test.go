package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/redteam/attack"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
)

// TestCatalogDocsUpToDate fails when docs/catalog.md no longer matches what
// the catalog command generates from the embedded data.
func TestCatalogDocsUpToDate(t *testing.T) {
	code, stdout, stderr := runCLI(t, "catalog", "--format", "md")
	if code != ExitOK {
		t.Fatalf("catalog --format md exited %d: %s", code, stderr)
	}
	path := filepath.Join("..", "..", "docs", "catalog.md")
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v\nGenerate it with: %s", path, err, regenerateDocs)
	}
	if string(committed) != stdout {
		t.Errorf("docs/catalog.md is stale: the catalog, attacks or frameworks changed.\nRegenerate it from the repository root with:\n  %s\n\nfirst difference (-committed +generated):\n%s",
			regenerateDocs, firstDiff(string(committed), stdout))
	}
}

// firstDiff shows the first line where a and b differ, so that a stale-docs
// failure says what changed without printing two whole documents.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return "(none)"
}

// catalogJSON runs the catalog command with --format json and decodes it.
func catalogJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append(append([]string{"catalog"}, args...), "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("catalog %v exited %d: %s", args, code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("catalog %v --format json: %v\n%s", args, err, stdout)
	}
}

func TestCatalogJSONVulnerabilities(t *testing.T) {
	var got []vulnView
	catalogJSON(t, &got, "vulnerabilities")
	c := catalog.Default()
	if len(got) != len(c.Vulnerabilities) {
		t.Fatalf("%d vulnerabilities, want %d", len(got), len(c.Vulnerabilities))
	}
	for i, v := range got {
		want := c.Vulnerabilities[i]
		if v.ID != want.ID || v.Name != want.Name || v.Category != want.Category || v.Description == "" {
			t.Errorf("vulnerability #%d = %s/%s/%s, want %s/%s/%s", i, v.ID, v.Name, v.Category, want.ID, want.Name, want.Category)
		}
		if len(v.Types) != len(want.Types) {
			t.Errorf("%s: %d types, want %d", v.ID, len(v.Types), len(want.Types))
			continue
		}
		// The severity of a vulnerability is the highest of its types.
		best := -1
		for j, ty := range v.Types {
			if ty.ID != want.Types[j].ID || ty.SeedCount != len(want.Types[j].Seeds) || len(ty.Judges) == 0 {
				t.Errorf("%s: type #%d = %+v", v.ID, j, ty)
			}
			best = max(best, slices.Index(catalog.Severities(), ty.Severity))
		}
		if v.Severity != catalog.Severities()[best] {
			t.Errorf("%s: severity %q, want the highest of its types, %q", v.ID, v.Severity, catalog.Severities()[best])
		}
		if v.Frameworks == nil {
			t.Errorf("%s: frameworks is null, want a list", v.ID)
		}
	}
	pl := got[slices.IndexFunc(got, func(v vulnView) bool { return v.ID == "prompt_leakage" })]
	if !slices.Contains(pl.Frameworks, "owasp-llm-2025:LLM07") {
		t.Errorf("prompt_leakage frameworks = %v, want owasp-llm-2025:LLM07 among them", pl.Frameworks)
	}
	if creds := pl.Types[0]; creds.ID != "secrets_and_credentials" || !slices.Contains(creds.Frameworks, "mitre-atlas:AML.T0055") ||
		slices.Contains(creds.Frameworks, "mitre-atlas:AML.T0056") {
		t.Errorf("prompt_leakage:%s frameworks = %v, want AML.T0055 and not AML.T0056", creds.ID, creds.Frameworks)
	}
}

func TestCatalogJSONAttacksAndFrameworks(t *testing.T) {
	var attacks []attackView
	catalogJSON(t, &attacks, "attacks")
	var want []attackView
	// The catalog lists the attacks an attacker model drives too.
	for _, a := range append(attack.All(), attack.Model(nil, nil, "")...) {
		want = append(want, attackView{ID: a.ID, Name: a.Name, Kind: a.Kind, Description: a.Description})
	}
	if diff := cmp.Diff(want, attacks); diff != "" {
		t.Errorf("attacks (-want +got):\n%s", diff)
	}

	var fws []catalog.Framework
	catalogJSON(t, &fws, "frameworks")
	if diff := cmp.Diff(catalog.Frameworks(), fws); diff != "" {
		t.Errorf("frameworks (-want +got):\n%s", diff)
	}

	// Without a section: all three under their names.
	var all map[string]json.RawMessage
	code, stdout, _ := runCLI(t, "catalog", "--format", "json")
	if code != ExitOK || json.Unmarshal([]byte(stdout), &all) != nil {
		t.Fatalf("catalog --format json exited %d:\n%.300s", code, stdout)
	}
	var keys []string
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if diff := cmp.Diff([]string{"attacks", "frameworks", "vulnerabilities"}, keys); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
}

func TestCatalogText(t *testing.T) {
	code, stdout, stderr := runCLI(t, "catalog")
	if code != ExitOK {
		t.Fatalf("catalog exited %d: %s", code, stderr)
	}
	for _, want := range []string{
		"VULNERABILITIES (", "\nprompt_leakage: Prompt Leakage [data_privacy, critical]\n",
		"\nATTACKS (", "\nFRAMEWORKS (", "\nowasp-llm-2025: OWASP Top 10 for LLM Applications 2025\n",
		"  LLM07 System Prompt Leakage\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	// Wrapped text stays within the width; the attack table is left out,
	// as its descriptions are one line each.
	vulns, rest, _ := strings.Cut(stdout, "\nATTACKS (")
	_, fws, _ := strings.Cut(rest, "\nFRAMEWORKS (")
	for _, line := range strings.Split(vulns+fws, "\n") {
		if n := utf8.RuneCountInString(line); n > textWidth {
			t.Errorf("line of %d characters, want at most %d: %q", n, textWidth, line)
		}
	}
}

func TestCatalogUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"catalog", "vulnerabilites"}, `unknown catalog section "vulnerabilites"; did you mean "vulnerabilities"?`},
		{[]string{"catalog", "models"}, `unknown catalog section "models" (known: vulnerabilities, attacks, frameworks)`},
		{[]string{"catalog", "--format", "yaml"}, `--format must be text, json or md, got "yaml"`},
		{[]string{"catalog", "attacks", "frameworks"}, "accepts at most 1 arg(s)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %.80q; want exit %d and %q", code, stderr, stdout, ExitUsage, tt.want)
			}
		})
	}
}

func TestCatalogSection(t *testing.T) {
	for arg, want := range map[string]string{
		"vulnerabilities": "vulnerabilities", "vulnerability": "vulnerabilities",
		"attack": "attacks", "frameworks": "frameworks", "framework": "frameworks",
	} {
		if got, err := catalogSection(arg); got != want || err != nil {
			t.Errorf("catalogSection(%q) = %q, %v; want %q", arg, got, err, want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		text, first string
		width       int
		want        string
	}{
		{"a b c", "- ", 20, "- a b c\n"},
		{"alpha beta gamma delta", "  x: ", 16, "  x: alpha beta\n     gamma delta\n"},
		{"averyveryverylongword short", "", 8, "averyveryverylongword\nshort\n"},
		{"  spaced\n\nout  ", "", 20, "spaced out\n"},
		{"", "> ", 10, "> \n"},
		{"ä ö ü", "", 3, "ä ö\nü\n"},
	}
	for _, tt := range tests {
		if got := wrap(tt.text, tt.first, tt.width); got != tt.want {
			t.Errorf("wrap(%q, %q, %d) = %q, want %q", tt.text, tt.first, tt.width, got, tt.want)
		}
	}
}

func TestGroupRefs(t *testing.T) {
	refs := []string{"owasp-llm-2025:LLM02", "owasp-llm-2025:LLM07", "mitre-atlas:AML.T0055", "eu-ai-act:art15-cybersecurity"}
	want := "owasp-llm-2025: LLM02, LLM07; mitre-atlas: AML.T0055; eu-ai-act: art15-cybersecurity"
	if got := groupRefs(refs, "; "); got != want {
		t.Errorf("groupRefs = %q, want %q", got, want)
	}
	if got := groupRefs(nil, "; "); got != "" {
		t.Errorf("groupRefs(nil) = %q, want empty", got)
	}
}

func TestCell(t *testing.T) {
	if got, want := cell("a | b\nc"), `a \| b c`; got != want {
		t.Errorf("cell = %q, want %q", got, want)
	}
}
