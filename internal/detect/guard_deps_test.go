package detect

import (
	"os/exec"
	"strings"
	"testing"
)

// TestGuardLinksNoRedTeam keeps the red-team code out of the guard
// library: a program that embeds the guard must not link the attack
// transforms, the judges or the engine. The detectors sit between the two
// and are the usual way for such an import to creep in, so the test lives
// here. It lists the guard package's dependencies (tests excluded) with
// go list, as the linker would see them.
func TestGuardLinksNoRedTeam(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	// go test puts its own GOROOT/bin first on the PATH of test binaries.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	const module = "github.com/redoubt-sec/redoubt/"
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", module+"guard").Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %sguard: %s", module, msg)
	}
	deps := strings.Fields(string(out))
	// Make sure the list is the real one: it holds the detectors and the
	// codec, which the guard links by design.
	for _, want := range []string{module + "internal/detect", module + "internal/codec"} {
		found := false
		for _, d := range deps {
			found = found || d == want
		}
		if !found {
			t.Fatalf("go list -deps %sguard does not list %s; got %d packages", module, want, len(deps))
		}
	}
	for _, d := range deps {
		if d == module+"redteam" || strings.HasPrefix(d, module+"redteam/") {
			t.Errorf("the guard package links %s; the guard library must not depend on red-team code", d)
		}
	}
}
