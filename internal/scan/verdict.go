// Package scan holds what the model and data scanners share: a file's
// verdict, and the one rule that derives it from the severities of the
// file's findings, so that "malicious" means the same in both.
package scan

import "github.com/redoubt-sec/redoubt/finding"

// Verdict is a file's overall result.
type Verdict string

// Verdicts, from worst to best. Error means the file could not be scanned
// to its end (unreadable, corrupt, truncated, unsupported); it is
// reported, never silently passed, and findings made before the failure
// are kept.
const (
	Malicious  Verdict = "malicious"
	Suspicious Verdict = "suspicious"
	Clean      Verdict = "clean"
	Error      Verdict = "error"
)

// VerdictOf returns the verdict of a file whose most severe finding has
// severity worst (0 when it has none) and whose scan failed or not:
//
//   - critical: malicious, even when the scan failed (a truncated pickle
//     that already imported os.system is still malicious);
//   - otherwise a failed scan: error (what was not read may hide worse);
//   - high or medium: suspicious;
//   - low, info or nothing rated: clean.
func VerdictOf(worst finding.Severity, failed bool) Verdict {
	switch {
	case worst >= finding.Critical:
		return Malicious
	case failed:
		return Error
	case worst >= finding.Medium:
		return Suspicious
	}
	return Clean
}
