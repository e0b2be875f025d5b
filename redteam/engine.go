package redteam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// Judge decides a finished probe. *judge.Panel implements it.
type Judge interface {
	Judge(ctx context.Context, in judge.Input) (judge.Verdict, error)
}

// Sink receives a run's events. The engine calls it from one goroutine at a
// time, in order for each probe. An error from the sink for a verdict event
// stops the run: a result that cannot be recorded must not be reported as
// done.
type Sink func(Event) error

// Engine executes a plan against a target.
type Engine struct {
	Target target.Target
	Judge  Judge
	// JudgeContext tells judges what they know about the target.
	JudgeContext judge.Context
	// Concurrency bounds the probes in flight (default 8).
	Concurrency int
	Logger      *slog.Logger
	// Now returns the current time (tests set it for stable output).
	Now func() time.Time
}

// Execute runs every probe not in done and streams events to sink. It
// returns when all probes are finished, the context is cancelled, or the
// sink fails. Probes cut short by cancellation are dropped, not recorded, so
// a resumed run sends them again; finished probes are never sent twice.
func (e *Engine) Execute(ctx context.Context, run RunInfo, probes []Probe, done map[string]bool, sink Sink) error {
	now := e.Now
	if now == nil {
		now = time.Now
	}
	log := e.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var mu sync.Mutex // serialises sink calls
	emit := func(ev Event) error {
		ev.V, ev.Run, ev.Time = EventVersion, run.ID, now()
		mu.Lock()
		defer mu.Unlock()
		if err := sink(ev); err != nil {
			err = fmt.Errorf("recording %s event: %w", ev.Type, err)
			cancel(err)
			return err
		}
		return nil
	}

	work := make(chan Probe)
	var wg sync.WaitGroup
	for range max(e.Concurrency, 1) {
		wg.Go(func() {
			for p := range work {
				c, ok := e.runProbe(ctx, run.ID, p, now, emit)
				if !ok {
					continue
				}
				if err := emit(Event{Type: EventVerdict, ProbeID: p.ID, Case: &c}); err != nil {
					log.Error("cannot record verdict", "probe", p.ID, "err", err)
				}
			}
		})
	}
feed:
	for _, p := range probes {
		if done[p.ID] {
			continue
		}
		select {
		case work <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return ctx.Err()
}

// runProbe sends a probe's turns and judges the replies. ok is false when
// the run was cancelled before the probe finished.
func (e *Engine) runProbe(ctx context.Context, runID string, p Probe, now func() time.Time, emit func(Event) error) (c Case, ok bool) {
	if emit(Event{Type: EventProbeStarted, Probe: &p}) != nil {
		return c, false
	}
	c = Case{Probe: p, Started: now()}
	// One session per probe: stateful targets keep multi-turn context
	// within a probe and never leak it into another.
	sid := runID + "/" + p.ID
	sctx := target.WithSession(ctx, sid)
	if se, ok := e.Target.(target.SessionEnder); ok {
		defer se.EndSession(sid)
	}
	var sendErr error
	for i, turn := range p.Turns {
		c.Turns = append(c.Turns, target.Message{Role: target.RoleUser, Content: turn})
		reply, err := e.Target.Send(sctx, c.Turns)
		if ctx.Err() != nil {
			return c, false
		}
		if err != nil {
			sendErr = fmt.Errorf("turn %d: %w", i+1, err)
			break
		}
		c.Usage = c.Usage.Add(reply.Usage)
		c.Replies = append(c.Replies, reply)
		c.Turns = append(c.Turns, target.Message{Role: target.RoleAssistant, Content: reply.Content, ToolCalls: reply.ToolCalls})
		if emit(Event{Type: EventReply, ProbeID: p.ID, Turn: i, Reply: &reply}) != nil {
			return c, false
		}
	}
	if sendErr != nil {
		c.Verdict = judge.Verdict{Outcome: judge.Error, Reason: "target error: " + sendErr.Error()}
	} else {
		c.Verdict, _ = e.Judge.Judge(ctx, judge.Input{
			Vulnerability: p.Vulnerability,
			Type:          p.Type,
			Goal:          p.Goal,
			Conversation:  c.Turns,
			Replies:       c.Replies,
			Judges:        p.Judges,
			Markers:       p.Markers,
			Context:       e.JudgeContext,
		})
		if ctx.Err() != nil {
			return c, false
		}
	}
	c.Elapsed = now().Sub(c.Started)
	return c, true
}
