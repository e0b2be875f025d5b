package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/guard"
)

// guardLine is one line of --jsonl output (see GuardLines).
type guardLine struct {
	ID       json.RawMessage    `json:"id"`
	Flagged  bool               `json:"flagged"`
	Action   guard.Action       `json:"action"`
	Scores   map[string]float64 `json:"scores"`
	Findings []finding.Finding  `json:"findings"`
	Redacted *string            `json:"redacted,omitempty"`
}

type guardInput struct {
	ID     json.RawMessage `json:"id"`
	Text   *string         `json:"text"`
	Prompt string          `json:"prompt"`
}

// GuardLines checks JSON lines {"id"?, "text", "prompt"?} read from r with g
// and writes one result line per input line to w, in input order (the
// `redoubt guard --jsonl` contract):
//
//	{"id", "flagged", "action", "scores": {"scanner": 0..1},
//	 "findings": [{"scanner", "type", "start", "end", "score"}], "redacted"?}
//
// Lines are checked on one worker per CPU. A line that is not valid JSON,
// has no text or is too long gets {"line": N, "error": "..."} in its place
// and the rest go on; bad counts them. err is a failure to read r or write w.
func GuardLines(g *guard.Guard, dir guard.Direction, r io.Reader, w io.Writer) (bad int, err error) {
	var nbad atomic.Int64
	err = eachLine(context.Background(), r, w, runtime.GOMAXPROCS(0), lineFuncs{
		do: func(n int, line []byte) []byte {
			res, err := checkLine(g, dir, n, line)
			if err != nil {
				nbad.Add(1)
			}
			return res
		},
		tooLong: func(n int) []byte {
			nbad.Add(1)
			b, _ := json.Marshal(map[string]any{"line": n, "error": fmt.Sprintf("line %d: longer than %d bytes; not checked", n, maxLineBytes)})
			return append(b, '\n')
		},
	})
	return int(nbad.Load()), err
}

// checkLine checks one input line and returns the output line.
func checkLine(g *guard.Guard, dir guard.Direction, n int, line []byte) ([]byte, error) {
	var in guardInput
	err := json.Unmarshal(line, &in)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		err = fmt.Errorf("invalid JSON at byte %d: %w", syn.Offset, err)
	}
	if err == nil && in.Text == nil {
		err = errors.New(`missing "text"`)
	}
	if err != nil {
		b, _ := json.Marshal(struct {
			Line  int             `json:"line"`
			ID    json.RawMessage `json:"id,omitempty"`
			Error string          `json:"error"`
		}{n, in.ID, fmt.Sprintf("line %d: %v", n, err)})
		return append(b, '\n'), err
	}
	d := g.Check(dir, in.Prompt, *in.Text)
	roundScores(&d)
	out := guardLine{ID: in.ID, Flagged: d.Flagged, Action: d.Action, Scores: d.Scores, Findings: d.Findings}
	if out.ID == nil {
		out.ID = json.RawMessage("null")
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if d.Redacted {
		out.Redacted = &d.Sanitized
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// roundScores keeps four decimals: more is noise to a reader and makes
// outputs churn between model versions.
func roundScores(d *guard.Decision) {
	r := func(v float64) float64 { return math.Round(v*1e4) / 1e4 }
	for k, v := range d.Scores {
		d.Scores[k] = r(v)
	}
	for i := range d.Findings {
		d.Findings[i].Score = r(d.Findings[i].Score)
	}
}
