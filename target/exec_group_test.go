//go:build unix

package target

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A command that times out is killed with its children: a script's
// background subprocess must not outlive it.
func TestExecTimeoutKillsChildren(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	tg, err := New(Config{Type: TypeExec, Settings: &ExecConfig{Common: Common{Timeout: Duration(300 * time.Millisecond)}, Command: []string{sh, "-c", "sleep 30 & echo $! > " + pidFile + "; wait"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Send(context.Background(), Conversation{{Role: RoleUser, Content: "hi"}}); err == nil {
		t.Fatal("expected a timeout")
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d outlived the timed-out command", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
