package judgeeval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// Line is one labelled case as a `redoubt judge` input line
// (docs/judge-command.md): the keys the command reads, plus the label,
// which it ignores.
type Line struct {
	ID     string   `json:"id"`
	Prompt string   `json:"prompt"`
	Reply  string   `json:"reply"`
	Goal   string   `json:"goal"`
	Judges []string `json:"judges"`
	// Label is the human label: 1 jailbroken / unsafe / violating, 0 not.
	Label int `json:"label"`
}

// WriteLines writes the cases of s as `redoubt judge` input lines.
func WriteLines(w io.Writer, s Source) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, c := range s.Cases {
		if err := enc.Encode(Line{ID: c.ID, Prompt: c.Prompt, Reply: c.Reply, Goal: c.Goal, Judges: Judges, Label: c.Label}); err != nil {
			return err
		}
	}
	return nil
}

// Compare scores `redoubt judge` verdict lines against the labelled lines
// they judged, matched by id: the figures Run gives, for a run of the CLI.
func Compare(name string, labelled, verdicts io.Reader) (Figures, error) {
	f := Figures{Source: name, Label: "label"}
	f.Confusion[0], f.Confusion[1] = map[judge.Outcome]int{}, map[judge.Outcome]int{}
	labels := map[string]int{}
	sc := bufio.NewScanner(labelled)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return f, fmt.Errorf("labelled line %d: %w", n, err)
		}
		labels[l.ID] = l.Label
	}
	if err := sc.Err(); err != nil {
		return f, err
	}
	sc = bufio.NewScanner(verdicts)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var v struct {
			ID      string        `json:"id"`
			Outcome judge.Outcome `json:"outcome"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return f, fmt.Errorf("verdict line %d: %w", n, err)
		}
		l, ok := labels[v.ID]
		if !ok {
			return f, fmt.Errorf("verdict line %d: id %q not in the labelled lines", n, v.ID)
		}
		delete(labels, v.ID)
		f.N++
		f.Confusion[l&1][v.Outcome]++
	}
	if err := sc.Err(); err != nil {
		return f, err
	}
	if len(labels) > 0 {
		return f, fmt.Errorf("%d labelled lines have no verdict", len(labels))
	}
	return f, nil
}
