package model

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/scan"
)

// corpusDir is the picklescan sample set shared beside the repository.
const corpusDir = "../../../../shared/data/model-files/picklescan"

// TestPicklescanCorpus checks every labelled sample: malicious files must be
// malicious or suspicious, benign files clean, invalid files errors.
func TestPicklescanCorpus(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusDir, "labels.csv"))
	if err != nil {
		t.Skipf("picklescan corpus not present: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read labels: %v", err)
	}
	s := New()
	counts := map[string]map[scan.Verdict]int{}
	for _, row := range rows[1:] {
		file, label := row[0], row[1]
		t.Run(file, func(t *testing.T) {
			res := s.ScanFile(context.Background(), filepath.Join(corpusDir, file))
			if counts[label] == nil {
				counts[label] = map[scan.Verdict]int{}
			}
			counts[label][res.Verdict]++
			ok := false
			switch label {
			case "malicious":
				ok = res.Verdict == scan.Malicious || res.Verdict == scan.Suspicious
			case "benign":
				ok = res.Verdict == scan.Clean
			default:
				ok = res.Verdict == scan.Error
			}
			if !ok || testing.Verbose() {
				t.Logf("%s: %s format=%s err=%q", label, res.Verdict, res.Format, res.Error)
				for _, fd := range res.Findings {
					t.Logf("  %s %s %s [%s] %s", fd.Severity, fd.Type, fd.Detail, fd.Member, fd.Message)
				}
			}
			if !ok {
				t.Errorf("label %s, verdict %s", label, res.Verdict)
			}
		})
	}
	t.Logf("verdicts by label: %v", counts)
}
