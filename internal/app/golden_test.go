package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/internal/report"
	"github.com/redoubt-sec/redoubt/target"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenResults pins results.json and the text summary of a small run
// against the demo: the contract scripts read, and what people see. Run
// with -update after a deliberate change, and read the diff.
func TestGoldenResults(t *testing.T) {
	dir := t.TempDir()
	seed := int64(7)
	res, err := Redteam(context.Background(), RedteamRequest{
		Config: Config{
			Target:          targetConfig("demo"),
			Seed:            &seed,
			Vulnerabilities: []string{"prompt_leakage:instructions", "bola", "pii_leakage:direct_disclosure"},
			Attacks:         []string{"baseline", "base64", "roleplay"},
			Out:             filepath.Join(dir, "out"),
		},
		Store:   filepath.Join(dir, "db.sqlite"),
		Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	// What changes from run to run: the ID, the times and the paths.
	r := res.Results
	r.Run.ID, r.Run.Out = "RUN-ID", "OUT"
	r.Run.Started, r.Run.Finished = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	var results, summary bytes.Buffer
	if err := report.WriteJSON(&results, r); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteSummary(&summary, r.Summary); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.golden.json", results.Bytes())
	golden(t, "summary.golden.txt", summary.Bytes())

	// The file the run wrote is the same document.
	written, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if err := json.Unmarshal(written, &a); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(results.Bytes(), &b)
	delete(a, "run")
	delete(b, "run")
	if diff := cmp.Diff(b, a); diff != "" {
		t.Errorf("results.json differs from the rendered results (-rendered +written):\n%s", diff)
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s changed (-want +got); if on purpose, run go test -update and review the diff:\n%s", name, diff)
	}
}

// targetConfig is the configuration of a target of type typ with no other
// settings.
func targetConfig(typ string) target.Config { return target.Config{Type: typ} }
