package scan

import (
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
)

func TestVerdictOf(t *testing.T) {
	tests := []struct {
		worst  finding.Severity
		failed bool
		want   Verdict
	}{
		{0, false, Clean},
		{finding.Info, false, Clean},
		{finding.Low, false, Clean},
		{finding.Medium, false, Suspicious},
		{finding.High, false, Suspicious},
		{finding.Critical, false, Malicious},
		// A failed scan is an error unless something critical was already
		// seen: an unread rest may hide worse, but never undoes the worst.
		{0, true, Error},
		{finding.Low, true, Error},
		{finding.High, true, Error},
		{finding.Critical, true, Malicious},
	}
	for _, tt := range tests {
		if got := VerdictOf(tt.worst, tt.failed); got != tt.want {
			t.Errorf("VerdictOf(%v, %v) = %s, want %s", tt.worst, tt.failed, got, tt.want)
		}
	}
}
