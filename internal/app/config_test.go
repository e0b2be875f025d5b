package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/demo"
	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// TestExampleConfigs keeps the shipped examples valid.
func TestExampleConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example configurations found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := LoadConfig(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Target.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDemoOverHTTPExample keeps examples/demo-over-http.yaml in sync with
// what the demo tells its judges in-process.
func TestDemoOverHTTPExample(t *testing.T) {
	c, err := LoadConfig("../../examples/demo-over-http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	jc := demo.New().JudgeContext()
	if c.Purpose != jc.Purpose || c.SystemPrompt != jc.SystemPrompt || !slices.Equal(c.Canaries, jc.Canaries) || !slices.Equal(c.AllowedDomains, jc.AllowedDomains) {
		t.Error("examples/demo-over-http.yaml no longer matches internal/demo's JudgeContext; regenerate it")
	}
}

// FuzzCustomVulnerabilities checks that no configuration text crashes the
// custom-vulnerability checks, whose line-preserving rewrite (maskCustom)
// works on the raw text.
func FuzzCustomVulnerabilities(f *testing.F) {
	if data, err := os.ReadFile("../../examples/custom.yaml"); err == nil {
		f.Add(string(data))
	}
	f.Add("custom_vulnerabilities: [{id: x, criteria: c, types: []}]\n")
	f.Add("custom_vulnerabilities:\n- criteria: |\n    a\n  id: y\n  frameworks:\n  - owasp-llm-2025:LLM01\n")
	f.Fuzz(func(t *testing.T, data string) {
		var c Config
		if err := yamlx.Decode([]byte(data), "f.yaml", &c); err != nil || len(c.CustomVulnerabilities) == 0 {
			return
		}
		cat, _, err := loadCustom([]byte(data), "f.yaml", c.CustomVulnerabilities)
		if err == nil && cat.Validate() != nil {
			t.Fatalf("accepted custom vulnerabilities give an invalid catalog: %v", cat.Validate())
		}
	})
}

// FuzzParseConfig: no configuration text crashes the loader, and every
// error names the file.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Add("target: {type: openai, model: m, retries: -1}\nfail_under: 2\n")
	f.Add("dataset: {path: x.csv, columns: 3}\npreflight_timeout: 5\nmax_error_rate: .5\n")
	f.Fuzz(func(t *testing.T, data string) {
		_, err := ParseConfig([]byte(data), "f.yaml")
		if err != nil && !strings.Contains(err.Error(), "f.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
