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

// Finding is one thing a detector, judge or scanner saw.
type Finding struct {
	// Scanner names what made the finding: a detector ("pii"), a judge
	// ("canary") or a scanner ("pickle").
	Scanner string `json:"scanner"`
	// Type is the rule that matched, a stable snake_case ID such as
	// "email" or "pickle_dangerous_global".
	Type string `json:"type"`
	// Start and End are byte offsets into the located text, half-open:
	// text[Start:End] is what matched.
	Start int `json:"start"`
	End   int `json:"end"`
	// Score is the maker's confidence, 0..1.
	Score float64 `json:"score"`
	// Severity is how bad it is, when the maker rates it.
	Severity Severity `json:"severity,omitzero"`
	// Message says what was seen, in words. It may quote the scanned text,
	// which is attacker-controlled.
	Message string `json:"message,omitempty"`
}
