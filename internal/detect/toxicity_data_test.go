package detect

import (
	"bufio"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// binaryCounts tallies a binary classifier against labels.
type binaryCounts struct{ tp, fp, tn, fn int }

func (c *binaryCounts) add(label, flagged bool) {
	switch {
	case label && flagged:
		c.tp++
	case label:
		c.fn++
	case flagged:
		c.fp++
	default:
		c.tn++
	}
}

func (c binaryCounts) tpr() float64       { return ratio(c.tp, c.tp+c.fn) }
func (c binaryCounts) fpr() float64       { return ratio(c.fp, c.fp+c.tn) }
func (c binaryCounts) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c binaryCounts) f1() float64 {
	p, r := c.precision(), c.tpr()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// flaggedAt reports whether a scan of text reaches the guard's default
// threshold of 0.5.
func flaggedAt(d Detector, text string) bool {
	for _, f := range d.Scan(text) {
		if f.Score >= 0.5 {
			return true
		}
	}
	return false
}

// TestToxicityDavidson measures the lexicon (no classifier) on the held-out
// fifth of the Davidson et al. tweets (row index divisible by 5; the rules
// were written without looking at those rows). Positive: hate speech or
// offensive language; negative: neither.
func TestToxicityDavidson(t *testing.T) {
	f, err := os.Open("../../../shared/data/toxicity/davidson/labeled_data.csv")
	if err != nil {
		t.Skipf("Davidson data not available: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var all, hate, offensive binaryCounts
	for _, r := range rows[1:] {
		idx, err := strconv.Atoi(r[0])
		if err != nil || idx%5 != 0 {
			continue
		}
		class, text := r[5], r[6]
		flagged := flaggedAt(Toxicity{}, text)
		all.add(class != "2", flagged)
		switch class {
		case "0":
			hate.add(true, flagged)
		case "1":
			offensive.add(true, flagged)
		}
	}
	t.Logf("davidson held-out (%d tweets): TPR %.3f FPR %.3f precision %.3f F1 %.3f", all.tp+all.fp+all.tn+all.fn, all.tpr(), all.fpr(), all.precision(), all.f1())
	t.Logf("  TPR on hate speech %.3f (%d), on offensive %.3f (%d)", hate.tpr(), hate.tp+hate.fn, offensive.tpr(), offensive.tp+offensive.fn)
	if all.tpr() < 0.7 || all.fpr() > 0.2 {
		t.Errorf("davidson: TPR %.3f FPR %.3f, want TPR >= 0.7 and FPR <= 0.2", all.tpr(), all.fpr())
	}
}

// TestToxicityRealToxicityPrompts reports the share of each attribute file
// of the RealToxicityPrompts challenging subset that the lexicon flags.
// These are prompt prefixes chosen to elicit toxic continuations, many of
// them not toxic themselves, so the figure is a detection rate, not recall.
func TestToxicityRealToxicityPrompts(t *testing.T) {
	dir := "../../../shared/data/toxicity/realtoxicityprompts/realtoxicityprompts"
	files, _ := filepath.Glob(filepath.Join(dir, "rtp_*.txt"))
	if len(files) == 0 {
		t.Skip("RealToxicityPrompts subset not available")
	}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		n, hit := 0, 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				n++
				if flaggedAt(Toxicity{}, line) {
					hit++
				}
			}
		}
		f.Close()
		t.Logf("%-28s flagged %3d/%3d (%.2f)", filepath.Base(file), hit, n, ratio(hit, n))
	}
}
