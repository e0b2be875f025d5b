// Package finding is the one model of what redoubt's detectors, judges and
// scanners report: which rule matched, how severe that is, how sure the
// rule is, and where in the text, message or file it matched.
//
// The guard returns findings for a prompt or reply, a red-team verdict
// carries them as evidence, and the model and data scanners report them per
// file; reports render all of them the same way.
package finding

import (
	"fmt"
	"strings"
)

// Severity ranks how bad a finding is, on one scale shared by every job.
// The zero value means "not rated" (a detector reports a score, not a
// severity; the policy or judge that uses it decides what it means).
type Severity int8

// Severities, from least to most severe.
const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"", "info", "low", "medium", "high", "critical"}

// String returns the lower-case name ("high"), or "" for the zero value.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int8(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range severityNames {
		if i > 0 && s == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, low, medium, high or critical)", name)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(severityNames) {
		return nil, fmt.Errorf("invalid severity %d", int8(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. The empty string is
// the zero value.
func (s *Severity) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = 0
		return nil
	}
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one thing a detector, judge or scanner saw. It is one flat
// struct for every job so that reports render them all alike: the rule is
// Scanner/Type, the level is Severity, the text is Message, and the
// location is the span (Start, End) plus whichever location fields below
// the job sets. A field a job does not use stays zero and is left out of
// the JSON, so the guard's findings encode exactly as
// {"scanner","type","start","end","score"}.
//
// Who sets what:
//
//	guard, detectors  Start, End into the checked text
//	red-team judges   Turn, and Start, End into that message's content
//	model scanner     Member, Offset
//	data scanner      File, Record, Line, Path, Field, and Start, End into
//	                  the field's value
//
// The location fields that are pointers (Turn, Offset) are ones where 0 is
// a position: nil means "not located that way". Treat what they point to
// as read-only; findings are copied freely and share it.
type Finding struct {
	// Scanner names what made the finding: a detector ("pii"), a judge
	// ("canary") or a scanner ("pickle").
	Scanner string `json:"scanner"`
	// Type is the rule that matched, a stable snake_case ID such as
	// "email" or "pickle_dangerous_global".
	Type string `json:"type"`
	// Start and End are byte offsets into the located text, half-open:
	// text[Start:End] is what matched. Both are 0 when the finding has no
	// span in a text (a judge's evidence in a tool call, a model file
	// finding located by Offset).
	Start int `json:"start"`
	End   int `json:"end"`
	// Score is the maker's confidence, 0..1.
	Score float64 `json:"score"`
	// Severity is how bad it is, when the maker rates it.
	Severity Severity `json:"severity,omitzero"`
	// Message says what was seen, in words. It may quote the scanned text,
	// which is attacker-controlled.
	Message string `json:"message,omitempty"`

	// Turn is the index into a conversation of the message the span is in,
	// or -1 when the finding is about the whole conversation. Judges set
	// it; nil outside a conversation.
	Turn *int `json:"turn,omitempty"`
	// File is the scanned file's path, as given to the scanner.
	File string `json:"file,omitempty"`
	// Member is the path inside a container file (a zip member, a tar
	// entry, an HDF5 object; nested containers join with "!").
	Member string `json:"member,omitempty"`
	// Offset is the byte offset in the file, or in Member, where the
	// evidence starts; nil when it has no single location.
	Offset *int64 `json:"offset,omitempty"`
	// Record is the 1-based record number in a dataset (JSON lines: non-
	// blank line; CSV: data row; documents: paragraph or text segment); 0
	// for findings about a whole file.
	Record int64 `json:"record,omitempty"`
	// Line is the 1-based line of File where the matched text starts.
	Line int64 `json:"line,omitempty"`
	// Path is the JSON path of the record inside a JSON document, such as
	// "$.records[12]" (not a file path: that is File).
	Path string `json:"path,omitempty"`
	// Field names the field inside the record that Start and End index: a
	// dotted JSON path ("messages[0].content"), a CSV column, or a part of
	// a document ("text", "comment", "alt", ...).
	Field string `json:"field,omitempty"`
}
