package data

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/redoubt-sec/redoubt/internal/scan"
)

// JSONLWriter writes a scan as JSON lines for scripts: one line per finding
// ({"kind":"finding", ...Finding}), one per file after its findings
// ({"kind":"file", ...FileResult}) and, from WriteSummary, a last line
// ({"kind":"summary", ...Summary}). It implements Sink.
type JSONLWriter struct {
	enc *json.Encoder
}

// NewJSONLWriter returns a writer to w. Lines are written as they come, so
// a consumer can follow a long scan.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	enc := json.NewEncoder(w)
	// Excerpts are attacker-controlled: keep <, > and & escaped so that
	// the output is safe to embed in HTML reports as is.
	enc.SetEscapeHTML(true)
	return &JSONLWriter{enc: enc}
}

// Finding writes one finding line.
func (w *JSONLWriter) Finding(f Finding) error {
	return w.write(struct {
		Kind string `json:"kind"`
		Finding
	}{"finding", f})
}

// File writes one file-result line.
func (w *JSONLWriter) File(r FileResult) error {
	return w.write(struct {
		Kind string `json:"kind"`
		FileResult
	}{"file", r})
}

// WriteSummary writes the summary line, with the worst verdict.
func (w *JSONLWriter) WriteSummary(s Summary) error {
	return w.write(struct {
		Kind  string       `json:"kind"`
		Worst scan.Verdict `json:"worst"`
		Summary
	}{"summary", s.Worst(), s})
}

func (w *JSONLWriter) write(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return fmt.Errorf("write scan output: %w", err)
	}
	return nil
}
