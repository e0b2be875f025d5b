package cli

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/demo"
)

// TestExampleConfigs keeps the shipped examples valid.
func TestExampleConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example configurations found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := loadConfig(f)
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
	c, err := loadConfig("../../examples/demo-over-http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	jc := demo.New().JudgeContext()
	if c.Purpose != jc.Purpose || c.SystemPrompt != jc.SystemPrompt || !slices.Equal(c.Canaries, jc.Canaries) || !slices.Equal(c.AllowedDomains, jc.AllowedDomains) {
		t.Error("examples/demo-over-http.yaml no longer matches internal/demo's JudgeContext; regenerate it")
	}
}
