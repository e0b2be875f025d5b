// Package judgeeval measures the refusal and harmful-compliance judges on
// real model replies labelled by people: the public sets under
// ../shared/data/judge (GPTFuzz, purseclab, JailJudge, Safe-RLHF). Each
// labelled row becomes a judge.Input (Goal = the plain intent,
// Conversation = the user's prompt and the model's reply, Judges =
// harmful_compliance and refusal) with the outcome the label expects:
// label 1 (jailbroken, unsafe, violating) → fail, 0 → pass.
//
// The data is never shipped; tests that read it skip when it is absent.
package judgeeval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// Judges are the judges every case names.
var Judges = []string{"harmful_compliance", "refusal"}

// Case is one labelled reply.
type Case struct {
	// ID names the row: source and line.
	ID string
	// Goal is the plain intent (the question or AdvBench behaviour).
	Goal string
	// Prompt is what the user sent (the jailbreak prompt when the set has
	// it, else the question).
	Prompt string
	// Reply is the model's reply.
	Reply string
	// Label is the human label: 1 jailbroken / unsafe / violating, 0 not.
	Label int
}

// Want is the outcome the label expects: fail for 1, pass for 0.
func (c Case) Want() judge.Outcome {
	if c.Label == 1 {
		return judge.Fail
	}
	return judge.Pass
}

// Input is the judge input of the case.
func (c Case) Input() judge.Input {
	return judge.Input{
		Goal: c.Goal,
		Conversation: target.Conversation{
			{Role: target.RoleUser, Content: c.Prompt},
			{Role: target.RoleAssistant, Content: c.Reply},
		},
		Replies: []target.Reply{{Content: c.Reply}},
		Judges:  Judges,
	}
}

// Source is one labelled set.
type Source struct {
	// Name identifies the set in reports ("gptfuzz-eval", ...).
	Name string
	// Label says in words which label is used.
	Label string
	// Trainable: its licence allows training a shipped model on it.
	Trainable bool
	Cases     []Case
}

// ErrNoData is returned by Load when the data folder is absent.
var ErrNoData = errors.New("judgeeval: labelled data not found")

// Load reads every set under dir (../shared/data/judge). Sets whose files
// are missing are skipped; ErrNoData when none is found.
func Load(dir string) ([]Source, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoData, err)
	}
	var out []Source
	type loader func(string) ([]Source, error)
	for _, l := range []loader{loadGPTFuzz, loadPurseclab, loadJailbreakEval} {
		ss, err := l(dir)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoData, dir)
	}
	return out, nil
}

// readCSV reads a CSV file with a header into maps keyed by column name.
// A missing file gives (nil, nil).
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	head[0] = strings.TrimPrefix(head[0], "\ufeff")
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		m := make(map[string]string, len(head))
		for i, h := range head {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		rows = append(rows, m)
	}
	return rows, nil
}

func loadGPTFuzz(dir string) ([]Source, error) {
	base := filepath.Join(dir, "gptfuzz-labeled-responses")
	qs, err := readCSV(filepath.Join(base, "question_list.csv"))
	if err != nil || qs == nil {
		return nil, err
	}
	questions := map[string]string{}
	for _, q := range qs {
		questions[q["index"]] = q["text"]
	}
	var out []Source
	for _, part := range []struct{ file, name string }{{"evaluate.csv", "gptfuzz-eval"}, {"train.csv", "gptfuzz-train"}} {
		rows, err := readCSV(filepath.Join(base, part.file))
		if err != nil {
			return nil, err
		}
		if rows == nil {
			continue
		}
		s := Source{Name: part.name, Label: "label (1 = jailbroken)", Trainable: true}
		for i, r := range rows {
			q := questions[r["question"]]
			l, err := strconv.Atoi(strings.TrimSpace(r["label"]))
			if err != nil {
				return nil, fmt.Errorf("%s row %d: label %q", part.file, i+2, r["label"])
			}
			s.Cases = append(s.Cases, Case{ID: fmt.Sprintf("%s:%d", part.name, i+1), Goal: q, Prompt: q, Reply: r["Response"], Label: l})
		}
		out = append(out, s)
	}
	return out, nil
}

func loadPurseclab(dir string) ([]Source, error) {
	rows, err := readCSV(filepath.Join(dir, "purseclab-manual-labels", "manual_data.csv"))
	if err != nil || rows == nil {
		return nil, err
	}
	viol := Source{Name: "purseclab", Label: "manual_safeguard_violation_label", Trainable: true}
	info := Source{Name: "purseclab-informative", Label: "manual_informativeness_label", Trainable: true}
	for i, r := range rows {
		c := Case{ID: fmt.Sprintf("purseclab:%d", i+1), Goal: r["intent"], Prompt: r["prompt"], Reply: r["response"]}
		if r["prompt"] == "" {
			c.Prompt = r["intent"]
		}
		c.Label = boolLabel(r["manual_safeguard_violation_label"])
		viol.Cases = append(viol.Cases, c)
		c.ID = fmt.Sprintf("purseclab-informative:%d", i+1)
		c.Label = boolLabel(r["manual_informativeness_label"])
		info.Cases = append(info.Cases, c)
	}
	return []Source{viol, info}, nil
}

func boolLabel(s string) int {
	if strings.EqualFold(strings.TrimSpace(s), "true") || strings.TrimSpace(s) == "1" {
		return 1
	}
	return 0
}

func loadJailbreakEval(dir string) ([]Source, error) {
	base := filepath.Join(dir, "jailbreakeval-jailjudge-saferlhf")
	var out []Source
	for _, part := range []struct{ file, name, label string }{
		{"JAILJUDGEmini.csv", "jailjudge", "label (1 = jailbroken)"},
		{"Safe-RLHFmini.csv", "saferlhf", "label (1 = unsafe answer)"},
	} {
		rows, err := readCSV(filepath.Join(base, part.file))
		if err != nil {
			return nil, err
		}
		if rows == nil {
			continue
		}
		s := Source{Name: part.name, Label: part.label}
		for i, r := range rows {
			l, err := strconv.Atoi(strings.TrimSpace(r["label"]))
			if err != nil {
				return nil, fmt.Errorf("%s row %d: label %q", part.file, i+2, r["label"])
			}
			// The question is the prompt actually sent (often a jailbreak);
			// it is also the only statement of the intent these sets have.
			s.Cases = append(s.Cases, Case{ID: fmt.Sprintf("%s:%d", part.name, i+1), Goal: r["question"], Prompt: r["question"], Reply: r["answer"], Label: l})
		}
		out = append(out, s)
	}
	return out, nil
}
