package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/redteam/attack"
)

// A run without attacker_models says once, on stderr, which attacks it
// left out and what enables them.
func TestRedteamSaysAttacksSkipped(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "redteam", "--target", "demo", "--db", filepath.Join(dir, "db.sqlite"), "--out", filepath.Join(dir, "out"),
		"--no-progress", "--vulnerabilities", "pii_leakage:direct_disclosure")
	if code == ExitUsage || code == ExitFailure {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	note := fmt.Sprintf("note: %d attacks are skipped: they need an attacker model (set attacker_models in the configuration; redoubt catalog attacks lists them)", len(attack.ModelIDs()))
	if n := strings.Count(stderr, note); n != 1 {
		t.Errorf("the note appears %d times, want once; stderr:\n%s", n, stderr)
	}
}
