package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/internal/demo"
	"github.com/redoubt-sec/redoubt/internal/store"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// runCLICtx is runCLI with a context, for tests that interrupt a run.
func runCLICtx(ctx context.Context, t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, log: discardLogger(), getenv: os.Getenv}
	code = run(ctx, e, args)
	return code, out.String(), errb.String()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoServer serves the demo app over HTTP on a fixed address, so that it
// can be stopped and started again where a run expects it.
type demoServer struct {
	t    *testing.T
	addr string
	srv  *http.Server
	// served counts chat completions; when it reaches dieAfter (if set) the
	// server shuts down, as a target that crashes mid-run.
	served   atomic.Int64
	dieAfter int64
	died     chan struct{}
}

func startDemo(t *testing.T, addr string, dieAfter int64) *demoServer {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	d := &demoServer{t: t, addr: ln.Addr().String(), dieAfter: dieAfter, died: make(chan struct{})}
	h := demo.New().Handler()
	var once sync.Once
	d.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := d.served.Add(1); d.dieAfter > 0 && n >= d.dieAfter {
			once.Do(func() {
				close(d.died)
				go d.srv.Close() // listener and every connection, like a crash
			})
			panic(http.ErrAbortHandler)
		}
		h.ServeHTTP(w, r)
	})}
	go d.srv.Serve(ln)
	t.Cleanup(func() { d.srv.Close() })
	return d
}

// demoConfig writes a configuration for the demo served at addr.
func demoConfig(t *testing.T, dir, addr string, extra map[string]any) string {
	t.Helper()
	jc := demo.New().JudgeContext()
	m := map[string]any{
		"target":          map[string]any{"type": "openai", "base_url": "http://" + addr + "/v1", "model": "redoubt-demo-sim", "retries": 1},
		"purpose":         jc.Purpose,
		"system_prompt":   jc.SystemPrompt,
		"canaries":        jc.Canaries,
		"allowed_domains": jc.AllowedDomains,
		"competitors":     jc.Competitors,
		"caller":          jc.Caller,
		"public":          jc.Public,
		"tools_reported":  jc.ToolsReported,
	}
	for k, v := range extra {
		m[k] = v
	}
	data, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "redoubt.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventLog reads a run's events.jsonl: the probe IDs of its verdict
// events, counting repeats.
func verdictEvents(t *testing.T, dir string) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var ev redteam.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("events.jsonl: %v", err)
		}
		if ev.Type == redteam.EventVerdict {
			ids[ev.Case.Probe.ID]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// storeState returns a run's status and the IDs of its done probes.
func storeState(t *testing.T, db, id string) (string, map[string]bool) {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	done, err := st.DoneProbes(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return run.Status, done
}

// agree fails unless the event log and the store hold the same verdicts,
// each once.
func agree(t *testing.T, out string, done map[string]bool) {
	t.Helper()
	logged := verdictEvents(t, out)
	for id, n := range logged {
		if n != 1 {
			t.Errorf("events.jsonl holds the verdict of %s %d times", id, n)
		}
		if !done[id] {
			t.Errorf("events.jsonl has a verdict for %s that the store does not", id)
		}
	}
	for id := range done {
		if logged[id] == 0 {
			t.Errorf("the store has a verdict for %s that events.jsonl lacks", id)
		}
	}
}

// A target that dies mid-run stops the run with one clear message and exit
// 4, not thousands of errors and a "finished" run; once it is back, resume
// sends what errored and what was left, and the run ends with no errors and
// the verdicts an uninterrupted run gets.
func TestTargetDiesMidRunThenResumes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	out := filepath.Join(dir, "out")
	srv := startDemo(t, "", 120)
	cfg := demoConfig(t, dir, srv.addr, nil)
	args := []string{"redteam", "--config", cfg, "--db", db, "--no-progress", "--seed", "5",
		"--vulnerabilities", "prompt_leakage,pii_leakage,bola,sql_injection,bias"}

	code, stdout, stderr := runCLI(t, append(args, "--out", out)...)
	if code != ExitTargetFailed {
		t.Fatalf("exit %d, want %d (target failed); stderr:\n%s", code, ExitTargetFailed, stderr)
	}
	if !strings.Contains(stderr, "failed 10 probes in a row") || !strings.Contains(stderr, "cannot reach http://"+srv.addr) ||
		!strings.Contains(stderr, "continue with: redoubt redteam --resume ") {
		t.Errorf("stderr does not say what happened and what to do:\n%s", stderr)
	}
	if n := strings.Count(stderr, "\n"); n > 10 {
		t.Errorf("stderr has %d lines for one failure:\n%s", n, stderr)
	}
	if !strings.Contains(stdout, "TOTAL") {
		t.Errorf("no summary of what was done:\n%s", stdout)
	}
	res := readResults(t, out)
	if res.Run.Status != redteam.StatusTargetFailed {
		t.Errorf("results.json status %q, want target_failed", res.Run.Status)
	}
	status, done := storeState(t, db, res.Run.ID)
	if status != redteam.StatusTargetFailed || len(done) == 0 || len(done) >= res.Run.Planned {
		t.Fatalf("store: status %q with %d of %d done", status, len(done), res.Run.Planned)
	}
	agree(t, out, done)

	// The target comes back where it was; the run resumes to the end.
	srv.srv.Close()
	startDemo(t, srv.addr, 0)
	code, _, stderr = runCLI(t, "redteam", "--resume", res.Run.ID, "--db", db, "--no-progress")
	if code != ExitOK {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	final := readResults(t, out)
	if final.Run.Status != redteam.StatusFinished || len(final.Cases) != final.Run.Planned {
		t.Fatalf("after resume: %+v with %d cases", final.Run, len(final.Cases))
	}
	for _, c := range final.Cases {
		if c.Verdict.Outcome == judge.Error {
			t.Errorf("probe %s still errored after resume: %s", c.ID, c.Verdict.Reason)
		}
	}
	_, done = storeState(t, db, res.Run.ID)
	agree(t, out, done)

	// The same verdicts as a run that was never interrupted.
	code, _, stderr = runCLI(t, append(args, "--out", filepath.Join(dir, "whole"))...)
	if code != ExitOK {
		t.Fatalf("uninterrupted run exited %d: %s", code, stderr)
	}
	whole := outcomes(readResults(t, filepath.Join(dir, "whole")))
	for id, o := range outcomes(final) {
		if whole[id] != o {
			t.Errorf("probe %s: %s after the failure and resume, %s uninterrupted", id, o, whole[id])
		}
	}
}

// Ctrl-C keeps what finished: the store and the event log agree, the run
// reads as interrupted with exit 130, and a resume completes it with every
// verdict logged once.
func TestInterruptKeepsStoreAndLogInAgreement(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	out := filepath.Join(dir, "out")
	srv := startDemo(t, "", 0)
	cfg := demoConfig(t, dir, srv.addr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for srv.served.Load() < 400 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	code, _, stderr := runCLICtx(ctx, t, "redteam", "--config", cfg, "--db", db, "--out", out, "--no-progress", "--concurrency", "16")
	if code != ExitInterrupted || !strings.Contains(stderr, "interrupted; continue with: redoubt redteam --resume") {
		t.Fatalf("exit %d, want 130 with a resume hint; stderr:\n%s", code, stderr)
	}
	res := readResults(t, out)
	status, done := storeState(t, db, res.Run.ID)
	if status != redteam.StatusInterrupted || len(done) == 0 || len(done) >= res.Run.Planned {
		t.Fatalf("store: %q with %d of %d done", status, len(done), res.Run.Planned)
	}
	agree(t, out, done)

	code, _, stderr = runCLI(t, "redteam", "--resume", res.Run.ID[:10], "--db", db, "--no-progress")
	if code != ExitOK {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	_, done = storeState(t, db, res.Run.ID)
	if len(done) != res.Run.Planned {
		t.Errorf("%d of %d done after resume", len(done), res.Run.Planned)
	}
	agree(t, out, done)
}

// A killed process can leave the event log short of what the store
// committed, and a line cut in half; resume repairs the log so that the two
// agree.
func TestResumeRepairsEventLog(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "redteam", "--target", "demo", "--db", db, "--out", out, "--no-progress", "--vulnerabilities", "prompt_leakage")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	id := readResults(t, out).Run.ID
	// Cut the log after its tenth line, mid-line, as a kill between the
	// store's commit and the log's write leaves it; and make the run look
	// killed.
	path := filepath.Join(out, "events.jsonl")
	data, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(data, []byte("\n"))
	cut := append(bytes.Join(lines[:10], nil), lines[10][:len(lines[10])/2]...)
	if err := os.WriteFile(path, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := store.Open(context.Background(), db)
	st.FinishRun(context.Background(), id, redteam.StatusInterrupted, time.Time{})
	st.Close()

	// report reads the damaged log, skipping the torn line.
	code, stdout, stderr := runCLI(t, "report", out)
	if code != ExitOK || !strings.Contains(stdout, "TOTAL") {
		t.Fatalf("report of a torn log: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "redteam", "--resume", id, "--db", db, "--no-progress")
	if code != ExitOK {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	_, done := storeState(t, db, id)
	agree(t, out, done)
}

// Only one process at a time runs a run: a second resume is refused while
// the first holds it, with who holds it; a run whose process was killed can
// be resumed at once.
func TestSecondResumeRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	out := filepath.Join(dir, "out")
	fake := &slowTarget{seen: map[string]int{}, delay: 20 * time.Millisecond}
	srv := startHTTP(t, fake)
	args := []string{"redteam", "--target", "openai", "--base-url", srv + "/v1", "--model", "m",
		"--db", db, "--out", out, "--no-progress", "--concurrency", "2", "--vulnerabilities", "prompt_leakage"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan int)
	go func() {
		code, _, _ := runCLICtx(ctx, t, args...)
		first <- code
	}()
	st := waitForCases(t, db, 3)
	runs, _ := st.Runs(context.Background(), 0)
	st.Close()
	id := runs[0].ID
	if runs[0].Status != redteam.StatusRunning {
		t.Errorf("a run in progress lists as %q", runs[0].Status)
	}

	code, _, stderr := runCLI(t, "redteam", "--resume", id, "--db", db, "--no-progress")
	if code != ExitUsage || !strings.Contains(stderr, "is held by redoubt pid") {
		t.Errorf("second resume: exit %d, want 2 naming the holder; stderr:\n%s", code, stderr)
	}
	cancel()
	if code := <-first; code != ExitInterrupted {
		t.Errorf("first run exited %d, want 130", code)
	}
	if code, _, stderr := runCLI(t, "redteam", "--resume", id, "--db", db, "--no-progress"); code != ExitOK {
		t.Errorf("resume after the first stopped: exit %d: %s", code, stderr)
	}
}

func startHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestResumeRefusesPlanChangesAndFinishedRuns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "redteam", "--target", "demo", "--db", db, "--out", out, "--no-progress", "--vulnerabilities", "bias", "--attacks", "baseline")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	id := readResults(t, out).Run.ID
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"plan flags", []string{"--attacks", "base64", "--seed", "4"}, ExitUsage, "--seed, --attacks cannot change it"},
		{"finished", nil, ExitUsage, "is finished; see it with 'redoubt report " + id},
		{"retry errors of a finished run", []string{"--retry-errors"}, ExitOK, "probes already done"},
		{"dry run", []string{"--dry-run"}, ExitUsage, "cannot be combined with --resume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"redteam", "--resume", id, "--db", db, "--no-progress"}, tt.args...)
			code, _, stderr := runCLI(t, args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, tt.code, tt.want, stderr)
			}
		})
	}
	if code, _, stderr := runCLI(t, "redteam", "--retry-errors", "--target", "demo", "--db", db); code != ExitUsage || !strings.Contains(stderr, "goes with --resume") {
		t.Errorf("--retry-errors alone: exit %d: %s", code, stderr)
	}
}

// A new run into the --out of an earlier one replaces its results and its
// event log, and says so; the earlier run stays in the store.
func TestNewRunReplacesOutput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	out := filepath.Join(dir, "out")
	args := []string{"redteam", "--target", "demo", "--db", db, "--out", out, "--no-progress", "--vulnerabilities", "bias", "--attacks", "baseline"}
	if code, _, stderr := runCLI(t, args...); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	first := readResults(t, out).Run.ID
	code, _, stderr := runCLI(t, args...)
	if code != ExitOK || !strings.Contains(stderr, "held the results of run "+first) {
		t.Fatalf("exit %d; stderr does not say the old results were replaced:\n%s", code, stderr)
	}
	second := readResults(t, out).Run.ID
	data, _ := os.ReadFile(filepath.Join(out, "events.jsonl"))
	if bytes.Contains(data, []byte(first)) || !bytes.Contains(data, []byte(second)) {
		t.Error("events.jsonl mixes the two runs")
	}
	if code, stdout, _ := runCLI(t, "report", first, "--db", db, "--format", "json"); code != ExitOK || !strings.Contains(stdout, first) {
		t.Errorf("the first run cannot be reported from the store any more (exit %d)", code)
	}
}

// A hung target fails the preflight within its budget, and Ctrl-C during
// the preflight exits 130.
func TestPreflightBudgetAndInterrupt(t *testing.T) {
	dir := t.TempDir()
	hang := make(chan struct{})
	defer close(hang)
	url := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	args := []string{"redteam", "--target", "openai", "--base-url", url + "/v1", "--model", "m", "--db", filepath.Join(dir, "db.sqlite")}

	start := time.Now()
	code, _, stderr := runCLI(t, append(args, "--preflight-timeout", "300ms")...)
	if code != ExitTargetFailed || !strings.Contains(stderr, "300ms") || strings.Count(stderr, "preflight of target") != 1 {
		t.Errorf("hung target: exit %d, want 4 naming the budget once; stderr:\n%s", code, stderr)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the preflight took %s", d) // far beyond the budget: retries were not bounded
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	code, _, stderr = runCLICtx(ctx, t, args...)
	if code != ExitInterrupted {
		t.Errorf("Ctrl-C during preflight: exit %d, want 130; stderr:\n%s", code, stderr)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "redteam", "--target", "demo", "--db", db, "--out", out, "--no-progress", "--vulnerabilities", "prompt_leakage")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, _ := os.ReadFile(filepath.Join(out, "results.json"))
	id := readResults(t, out).Run.ID
	for _, src := range []string{id, id[:12], out, filepath.Join(out, "events.jsonl")} {
		code, got, stderr := runCLI(t, "report", src, "--db", db, "--format", "json")
		if code != ExitOK {
			t.Fatalf("report %s: exit %d: %s", src, code, stderr)
		}
		if got != string(want) {
			t.Errorf("report %s --format json differs from results.json", src)
		}
		code, text, _ := runCLI(t, "report", src, "--db", db)
		if code != ExitOK || text != stdout {
			t.Errorf("report %s: the summary differs from the run's", src)
		}
	}
	code, _, stderr = runCLI(t, "report", "nope", "--db", db)
	if code != ExitUsage || !strings.Contains(stderr, "neither a file nor a run") {
		t.Errorf("unknown run: exit %d: %s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("{\"v\":1,\"type\":\"reply\"}\nnot json\n"), 0o644)
	code, _, stderr = runCLI(t, "report", filepath.Join(dir, "bad.jsonl"))
	if code != ExitUsage || !strings.Contains(stderr, "bad.jsonl:2: not an event") {
		t.Errorf("corrupt log: exit %d: %s", code, stderr)
	}
}

// A run whose configuration lacks what judges need says so before it
// starts, naming the judge, how many probes it will not see and the key to
// set; with the context configured, it says nothing.
func TestBlindJudgesNamedBeforeTheRun(t *testing.T) {
	srv := startDemo(t, "", 0)
	dir := t.TempDir()
	bare := demoConfig(t, dir, srv.addr, map[string]any{"system_prompt": "", "canaries": []string{}})
	args := []string{"redteam", "--db", filepath.Join(dir, "r.db"), "--no-progress", "--vulnerabilities", "prompt_leakage", "--attacks", "baseline"}
	code, _, stderr := runCLI(t, append(args, "--config", bare, "--out", filepath.Join(dir, "bare"))...)
	if code != ExitOK && code != ExitBelowTarget {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"note: judge system_prompt_leak is blind on 4 of the probes: no system prompt is known",
		"(set system_prompt in the configuration)",
		"note: judge canary is blind on 4 of the probes",
		"(set canaries in the configuration)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	full := demoConfig(t, dir, srv.addr, nil)
	code, _, stderr = runCLI(t, append(args, "--config", full, "--out", filepath.Join(dir, "full"))...)
	if code != ExitOK && code != ExitBelowTarget {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "system_prompt_leak is blind") || strings.Contains(stderr, "canary is blind") {
		t.Errorf("configured run still reports blind judges:\n%s", stderr)
	}
}
