package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// Judge models' replies are cached next to the run store: a second run of
// the same plan asks the judge model nothing and gives the same verdicts;
// model_cache: false asks again.
func TestRedteamJudgeModelCache(t *testing.T) {
	srv, calls := judgeServer(t, func(tr string) string {
		if strings.Contains(tr, "redoubt demo]") {
			return "fail"
		}
		return "pass"
	}, nil)
	dir := t.TempDir()
	run := func(out, extra string) map[string]judge.Outcome {
		t.Helper()
		cfgText := fmt.Sprintf("target: {type: demo}\nvulnerabilities: [misinformation]\nattacks: [baseline]\nseed: 7\n"+
			"judge_models:\n  - {type: openai, base_url: %q, model: judge-sim, retries: 0}\nout: %q\n%s",
			srv.URL+"/v1", filepath.Join(dir, out), extra)
		cfgPath := filepath.Join(dir, "redoubt.yaml")
		if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Redteam(t.Context(), RedteamRequest{Config: *cfg, ConfigPath: cfgPath,
			Store: filepath.Join(dir, "store", "db.sqlite"), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]judge.Outcome{}
		for _, c := range res.Results.Cases {
			if c.Verdict.Outcome == judge.Error {
				t.Errorf("%s: error %s", c.ID, c.Verdict.Reason)
			}
			got[c.ID] = c.Verdict.Outcome
		}
		return got
	}
	first := run("out1", "")
	asked := calls.Load()
	if asked == 0 {
		t.Fatal("the judge model was not asked")
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "store", "cache", "*", "*.json")); int64(len(entries)) != asked {
		t.Fatalf("%d cache entries for %d calls", len(entries), asked)
	}
	second := run("out2", "")
	if n := calls.Load() - asked; n != 0 {
		t.Errorf("the second run asked the judge model %d times, want 0 (cached)", n)
	}
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Errorf("verdicts differ:\n%v\n%v", first, second)
	}
	before := calls.Load()
	run("out3", "model_cache: false\n")
	if calls.Load() == before {
		t.Error("model_cache: false still answered from the cache")
	}
}
