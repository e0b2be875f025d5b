package redteam

import (
	"errors"
	"fmt"
	"sync"
)

// ErrTargetFailed is what Execute returns, wrapped in a *TargetFailure,
// when the breaker stops a run because the target kept failing. Test with
// errors.Is.
var ErrTargetFailed = errors.New("target failed")

// Breaker stops a run whose target keeps failing, instead of recording
// every remaining probe as an error: a dead endpoint would otherwise turn a
// campaign into thousands of errors, each after its retries. Only probes
// that errored because the target failed count; a probe whose judge or
// strategy failed does not.
type Breaker struct {
	// Consecutive trips the breaker after this many finished probes in a
	// row failed on the target. Zero means 10; negative disables it.
	Consecutive int
	// Window and Rate trip it when, among the last Window finished probes,
	// the share that failed on the target is at least Rate: a target that
	// fails most of the time, not every time. Zero means 50 and 0.5;
	// a negative Window disables it.
	Window int
	Rate   float64
}

// Breaker defaults.
const (
	DefaultBreakerConsecutive = 10
	DefaultBreakerWindow      = 50
	DefaultBreakerRate        = 0.5
)

// TargetFailure says why the breaker tripped.
type TargetFailure struct {
	Target string
	// Consecutive is set when the failures came in a row; Failed and Of
	// when they were a share of the window.
	Consecutive int
	Failed, Of  int
	// Last is the reason the last failing probe gave.
	Last string
}

// Error describes the failure in one sentence.
func (e *TargetFailure) Error() string {
	var s string
	if e.Consecutive > 0 {
		s = fmt.Sprintf("target %q failed %d probes in a row", e.Target, e.Consecutive)
	} else {
		s = fmt.Sprintf("target %q failed %d of the last %d probes", e.Target, e.Failed, e.Of)
	}
	if e.Last != "" {
		s += "; the last: " + e.Last
	}
	return s
}

// Is makes errors.Is(err, ErrTargetFailed) true.
func (e *TargetFailure) Is(target error) bool { return target == ErrTargetFailed }

// breaker is a Breaker in use.
type breaker struct {
	conf   Breaker
	target string

	mu      sync.Mutex
	streak  int
	recent  []bool // ring of the last Window results: true = target failure
	next    int
	filled  int
	failed  int
	tripped bool
	last    string
}

func (b Breaker) start(target string) *breaker {
	if b.Consecutive == 0 {
		b.Consecutive = DefaultBreakerConsecutive
	}
	if b.Window == 0 {
		b.Window = DefaultBreakerWindow
	}
	if b.Rate == 0 {
		b.Rate = DefaultBreakerRate
	}
	br := &breaker{conf: b, target: target}
	if b.Window > 0 {
		br.recent = make([]bool, b.Window)
	}
	return br
}

// record notes a finished probe and returns a *TargetFailure the first time
// the breaker trips.
func (b *breaker) record(targetFailed bool, reason string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped {
		return nil
	}
	if targetFailed {
		b.streak++
		b.last = reason
	} else {
		b.streak = 0
	}
	if b.recent != nil {
		if b.filled == len(b.recent) && b.recent[b.next] {
			b.failed--
		}
		b.recent[b.next] = targetFailed
		if targetFailed {
			b.failed++
		}
		b.next = (b.next + 1) % len(b.recent)
		b.filled = min(b.filled+1, len(b.recent))
	}
	switch {
	case b.conf.Consecutive > 0 && b.streak >= b.conf.Consecutive:
		b.tripped = true
		return &TargetFailure{Target: b.target, Consecutive: b.streak, Last: b.last}
	case b.recent != nil && b.filled == len(b.recent) && float64(b.failed) >= b.conf.Rate*float64(b.filled):
		b.tripped = true
		return &TargetFailure{Target: b.target, Failed: b.failed, Of: b.filled, Last: b.last}
	}
	return nil
}
