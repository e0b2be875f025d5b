package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// crashEnv names the database the child process of TestCrashSafety writes
// to; when it is set, TestCrashChild acts as that child. crashRoundEnv
// keeps the probe IDs of successive children apart.
const (
	crashEnv      = "REDOUBT_STORE_CRASH_DB"
	crashRoundEnv = "REDOUBT_STORE_CRASH_ROUND"
)

// TestCrashChild is not a test on its own: TestCrashSafety runs the test
// binary again with crashEnv set, and this function then saves cases from
// several goroutines until it is killed, printing each probe ID only after
// its SaveCase has returned.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrashSafety")
	}
	round := os.Getenv(crashRoundEnv)
	ctx := context.Background()
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var (
		next int64
		mu   sync.Mutex // keeps lines whole on stdout
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				i := atomic.AddInt64(&next, 1)
				id := fmt.Sprintf("r%s-p%07d", round, i)
				if err := s.SaveCase(ctx, "crash", sampleCase(id, int(i), judge.Fail)); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "saved %s\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait() // never returns: the parent kills this process
}

// TestCrashSafety kills a process with SIGKILL while it saves cases and
// checks that every case whose SaveCase had returned is in the database
// afterwards, and that the database is intact.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "runs.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, sampleRun("crash", base)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Each round kills a fresh child after a different number of saves;
	// the larger one spans several WAL checkpoints (one per 1000 pages).
	saved := map[string]bool{}
	for round, killAfter := range []int{50, 400, 3000} {
		n := killChild(t, path, round, killAfter, saved)
		t.Logf("round %d: child acknowledged %d cases before it died", round, n)
	}

	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	done, err := s.DoneProbes(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	var lost []string
	for id := range saved {
		if !done[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged cases lost after SIGKILL, e.g. %s", len(lost), len(saved), lost[0])
	}
	// Every stored case must also decode: no torn rows.
	cases, err := s.Cases(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != len(done) {
		t.Errorf("Cases returned %d cases, DoneProbes %d", len(cases), len(done))
	}
	t.Logf("children acknowledged %d cases, database holds %d", len(saved), len(done))
}

// killChild runs TestCrashChild against the database at path, kills it with
// SIGKILL once it has acknowledged killAfter cases, and adds every
// acknowledged probe ID to saved. It returns how many it acknowledged.
func killChild(t *testing.T, path string, round, killAfter int, saved map[string]bool) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("%s=%d", crashRoundEnv, round))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once enough cases are saved that the child is surely mid-stream,
	// then keep reading: lines already in the pipe were saved too.
	n, killed := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "saved ")
		if !ok {
			continue
		}
		saved[id] = true
		n++
		if n == killAfter && !killed {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill child: %v", err)
			}
			killed = true
		}
	}
	waitErr := cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d cases, before it was killed: %v\n%s", n, waitErr, stderr.String())
	}
	return n
}
