package app

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/wire"
	"github.com/redoubt-sec/redoubt/internal/wire/wiretest"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// judgeServer is a scripted OpenAI-compatible judge model: it reads the
// case ID from the request and answers with verdict(transcript), a JSON
// verdict for that case, or with the raw text bad returns (when set).
func judgeServer(t *testing.T, verdict func(transcript string) string, bad func() string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	caseRe := regexp.MustCompile(`Case ID: ([0-9a-f]+)`)
	m := &wiretest.Model{Usage: wire.Usage{PromptTokens: 300, CompletionTokens: 20}}
	m.Answer = func(_ context.Context, req wire.ChatRequest) (string, error) {
		if bad != nil {
			return bad(), nil
		}
		user := wiretest.Text(req, "user")
		id := caseRe.FindStringSubmatch(user)
		if id == nil {
			return "", errors.New("no case id")
		}
		transcript := user[strings.Index(user, "BEGIN TRANSCRIPT"):]
		return fmt.Sprintf(`{"case": %q, "verdict": %q, "reason": "scripted reading"}`, id[1], verdict(transcript)), nil
	}
	return wiretest.Serve(t, m), &m.Calls
}

// A run with judge_models asks the judge model about every probe that has
// a rubric, after the deterministic judges, and records its reading and its
// tokens; a judge model that gives no valid verdict makes probes errors,
// never verdicts.
func TestRedteamWithJudgeModel(t *testing.T) {
	// The scripted judge fails what carries the demo's simulated-harm tags
	// and passes the rest.
	srv, calls := judgeServer(t, func(tr string) string {
		if strings.Contains(tr, "redoubt demo]") {
			return "fail"
		}
		return "pass"
	}, nil)
	dir := t.TempDir()
	cfgText := fmt.Sprintf(`target: {type: demo}
vulnerabilities: [misinformation, bias]
attacks: [baseline, roleplay]
judge_models:
  - {type: openai, base_url: %q, model: judge-sim, retries: 0}
out: %q
`, srv.URL+"/v1", filepath.Join(dir, "out"))
	cfgPath := filepath.Join(dir, "redoubt.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Redteam(t.Context(), RedteamRequest{Config: *cfg, ConfigPath: cfgPath, Store: filepath.Join(dir, "db.sqlite"), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	cases := res.Results.Cases
	if len(cases) == 0 || calls.Load() < int64(len(cases)) {
		t.Fatalf("%d cases, %d judge calls: every probe with a rubric should be read", len(cases), calls.Load())
	}
	byModel := 0
	for _, c := range cases {
		v := c.Verdict
		if v.Outcome == judge.Error {
			t.Errorf("%s: error %s", c.ID, v.Reason)
		}
		if strings.Contains(v.Reason, "scripted reading") {
			byModel++
		}
		if v.Usage.PromptTokens < 300 {
			t.Errorf("%s: verdict usage %+v lacks the judge model's tokens", c.ID, v.Usage)
		}
	}
	if byModel == 0 {
		t.Error("no verdict carries the judge model's reasoning")
	}

	// A judge model that never answers with a verdict for the case: the
	// probes are errors (resumable), not passes.
	bad, _ := judgeServer(t, nil, func() string { return `{"verdict": "pass"}` })
	cfgText = strings.Replace(cfgText, srv.URL, bad.URL, 1)
	cfgText = strings.Replace(cfgText, filepath.Join(dir, "out"), filepath.Join(dir, "out2"), 1)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err = LoadConfig(cfgPath); err != nil {
		t.Fatal(err)
	}
	res, _ = Redteam(t.Context(), RedteamRequest{Config: *cfg, ConfigPath: cfgPath, Store: filepath.Join(dir, "db.sqlite"), Version: "test"})
	if res == nil {
		t.Fatal("no result")
	}
	for _, c := range res.Results.Cases {
		if c.Verdict.Outcome == judge.Pass {
			t.Errorf("%s passed though the judge model gave no valid verdict: %s", c.ID, c.Verdict.Reason)
		}
	}
	if res.Results.Summary.Overall.Errored == 0 {
		t.Error("no probe recorded as an error")
	}
}

func TestJudgeModelsConfigChecked(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"target: {type: demo}\njudge_models: [{type: openai}, {type: openai}, {type: openai}]\n", "give one, or two for an ensemble"},
		{"target: {type: demo}\njudge_models: [{type: openai, base_url: 'ftp://x'}]\n", "judge_models[0]"},
	} {
		if _, err := ParseConfig([]byte(tt.yaml), "redoubt.yaml"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want it to mention %q", tt.yaml, err, tt.want)
		}
	}
}
