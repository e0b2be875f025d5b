// Package detect holds redoubt's text detectors: small, deterministic
// scanners that report what they see in a text as findings with byte spans
// and scores. The same detectors serve the runtime guard (which blocks or
// redacts what they find) and the red-team judges (which turn findings into
// verdicts), so that both share one implementation.
//
// Detectors do no I/O and keep no mutable state: a Detector value is safe for
// concurrent use once built.
package detect

import (
	"cmp"
	"slices"

	"github.com/redoubt-sec/redoubt/finding"
)

// Finding is one thing a detector saw in a text: Scanner is the detector,
// Type what it found, Start and End the byte span, Score its confidence.
// Detectors leave Severity to the policy or judge that uses them.
type Finding = finding.Finding

// Detector scans a text and reports what it finds.
type Detector interface {
	// Name identifies the detector; it is the Scanner of its findings.
	Name() string
	// Scan returns the findings in text ordered by Start (then End). It
	// never fails: a text it cannot make sense of simply has no findings.
	Scan(text string) []Finding
}

// sortFindings orders findings by position, then by type, so that output is
// deterministic whatever order the rules ran in.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End), cmp.Compare(a.Type, b.Type))
	})
}

// overlaps reports whether the half-open spans [a0,a1) and [b0,b1) share a byte.
func overlaps(a0, a1, b0, b1 int) bool { return a0 < b1 && b0 < a1 }

// isDigit reports whether b is an ASCII digit.
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// isAlnum reports whether b is an ASCII letter or digit.
func isAlnum(b byte) bool {
	return isDigit(b) || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}
