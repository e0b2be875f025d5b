package redteam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// Judge decides a finished attempt. *judge.Panel implements it.
type Judge interface {
	Judge(ctx context.Context, in judge.Input) (judge.Verdict, error)
}

// DefaultMaxTurns bounds the user turns of one probe, across its attempts,
// when Engine.MaxTurns is zero: a strategy that never says it is done must
// not run up an unbounded bill.
const DefaultMaxTurns = 64

// Engine executes a plan against a target.
type Engine struct {
	Target target.Target
	Judge  Judge
	// JudgeContext tells judges what they know about the target.
	JudgeContext judge.Context
	// Attacks give each probe its strategy (Attack.Strategy, found by the
	// probe's attack ID). A probe whose attack has none, or is not listed,
	// is played by Scripted.
	Attacks []Attack
	// Concurrency bounds the probes in flight (default 8).
	Concurrency int
	// MaxTurns bounds the user turns of one probe (default
	// DefaultMaxTurns).
	MaxTurns int
	// Breaker stops the run when the target keeps failing; the zero value
	// has the defaults.
	Breaker Breaker
	Logger  *slog.Logger
	// Now returns the current time (tests set it for stable output).
	Now func() time.Time
}

// Execute plays every probe not in done and sends the run's events to h.
// It returns when all probes are finished, the context is cancelled, h
// fails, or the breaker trips (an error matching ErrTargetFailed).
//
// Events go to h from one goroutine, in order, through a buffer: workers do
// not wait for handlers, and a Flusher handler is flushed whenever no event
// is waiting, so a store commits in batches under load and at once when
// idle. Every event emitted before Execute returns has been handled and
// flushed, cancellation included. Probes cut short by cancellation are
// dropped, not recorded, so a resumed run sends them again; probes that
// finished are never sent twice.
func (e *Engine) Execute(ctx context.Context, run RunInfo, probes []Probe, done map[string]bool, h Handler) error {
	now := e.Now
	if now == nil {
		now = time.Now
	}
	log := e.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workers := max(e.Concurrency, 1)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	rec := newRecorder(h, 4*workers+16, cancel)
	emit := func(ev Event) {
		ev.V, ev.Run, ev.Time = EventVersion, run.ID, now()
		rec.ch <- ev
	}
	strategies := map[string]func(Probe) Strategy{}
	for _, a := range e.Attacks {
		if a.Strategy != nil {
			strategies[a.ID] = a.Strategy
		}
	}
	breaker := e.Breaker.start(e.Target.Name())

	work := make(chan Probe)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for p := range work {
				newStrategy := strategies[p.Attack]
				var s Strategy = Scripted{}
				if newStrategy != nil {
					s = newStrategy(p)
				}
				pl := player{e: e, run: run.ID, now: now, emit: emit}
				c, targetErr, ok := pl.play(ctx, p, s)
				if !ok {
					continue
				}
				typ := EventVerdict
				if c.Errored() {
					typ = EventProbeErrored
					log.Debug("probe errored", "probe", p.ID, "reason", c.Verdict.Reason)
				}
				raw, _ := json.Marshal(c) // a Case always encodes; nil makes handlers encode it
				emit(Event{Type: typ, ProbeID: p.ID, Case: &c, CaseJSON: raw})
				if err := breaker.record(targetErr, c.Verdict.Reason); err != nil {
					cancel(err)
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
	if err := rec.close(); err != nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return ctx.Err()
}

// recorder hands events to a Handler from one goroutine.
type recorder struct {
	h      Handler
	ch     chan Event
	cancel context.CancelCauseFunc
	done   chan struct{}
	err    error
}

// Batching bounds: a Flusher is flushed at the latest after flushEvery
// events or flushInterval, so a busy run still commits often enough that a
// kill loses little, and buffers stay small.
const (
	flushEvery    = 256
	flushInterval = 200 * time.Millisecond
)

func newRecorder(h Handler, buffer int, cancel context.CancelCauseFunc) *recorder {
	r := &recorder{h: h, ch: make(chan Event, buffer), cancel: cancel, done: make(chan struct{})}
	go r.loop()
	return r
}

func (r *recorder) loop() {
	defer close(r.done)
	f, _ := r.h.(Flusher)
	pending := 0
	last := time.Now()
	flush := func() {
		if f != nil && pending > 0 && r.err == nil {
			if err := f.Flush(); err != nil {
				r.fail(err)
			}
		}
		pending, last = 0, time.Now()
	}
	for ev := range r.ch {
		if r.err != nil {
			continue // drain: nothing after a failure may count as recorded
		}
		if err := r.h.Handle(ev); err != nil {
			r.fail(fmt.Errorf("recording %s event: %w", ev.Type, err))
			continue
		}
		pending++
		if len(r.ch) == 0 || pending >= flushEvery || time.Since(last) >= flushInterval {
			flush()
		}
	}
	flush()
}

func (r *recorder) fail(err error) {
	r.err = err
	r.cancel(err)
}

// close waits until every event sent has been handled and flushed, and
// returns the first handler error.
func (r *recorder) close() error {
	close(r.ch)
	<-r.done
	return r.err
}

// player plays one probe.
type player struct {
	e    *Engine
	run  string
	now  func() time.Time
	emit func(Event)
}

// play runs strategy s for probe p and judges the attempts. ok is false when
// the run was cancelled before the probe finished; targetErr is true when
// the probe errored because the target failed.
func (pl player) play(ctx context.Context, p Probe, s Strategy) (c Case, targetErr, ok bool) {
	pl.emit(Event{Type: EventProbeStarted, Probe: &p})
	c = Case{Probe: p, Started: pl.now()}
	d := &Dialogue{Probe: p}
	sessions, _ := pl.e.Target.(target.SessionEnder)
	session := ""
	endSession := func() {
		if sessions != nil && session != "" {
			sessions.EndSession(session)
		}
	}
	defer endSession()
	finish := func(v judge.Verdict) (Case, bool, bool) {
		c.Verdict = v
		c.Elapsed = pl.now().Sub(c.Started)
		return c, false, true
	}
	errored := func(reason string) (Case, bool, bool) {
		c.Verdict = judge.Verdict{Outcome: judge.Error, Reason: reason, Usage: c.Verdict.Usage}
		c.setAttempts(d.Attempts)
		c.Elapsed = pl.now().Sub(c.Started)
		return c, false, true
	}

	maxTurns := pl.e.MaxTurns
	if maxTurns <= 0 {
		maxTurns = DefaultMaxTurns
	}
	turns := 0
	for {
		mv, err := s.Next(ctx, d)
		if ctx.Err() != nil {
			return c, false, false
		}
		c.AttackUsage = c.AttackUsage.Add(mv.Usage) // an attacker model's tokens count even when its move failed
		if err != nil {
			return errored("attack strategy: " + err.Error())
		}
		if mv.Done {
			break
		}
		if turns++; turns > maxTurns {
			return errored(fmt.Sprintf("attack strategy: more than %d turns without finishing", maxTurns))
		}
		cur := d.Current()
		if cur == nil || mv.Fork {
			var kept target.Conversation
			if cur != nil {
				if mv.Keep < 0 || mv.Keep > len(cur.Turns) {
					return errored(fmt.Sprintf("attack strategy: fork keeps %d of %d messages", mv.Keep, len(cur.Turns)))
				}
				kept = cur.Turns[:mv.Keep]
				if err := pl.judgeAttempt(ctx, cur, &c); err != nil {
					if ctx.Err() != nil {
						return c, false, false
					}
					return errored(err.Error())
				}
				endSession()
			}
			// The first attempt's session ID is the probe's, as before
			// attempts existed; later ones are numbered.
			session = pl.run + "/" + p.ID
			if n := len(d.Attempts); n > 0 {
				session += fmt.Sprintf("#%d", n)
			}
			d.Attempts = append(d.Attempts, Attempt{})
			cur = d.Current()
			if err := pl.replay(ctx, session, cur, kept, &c); err != nil {
				if ctx.Err() != nil {
					return c, false, false
				}
				c, _, ok := errored("target error: " + err.Error())
				return c, true, ok
			}
		}
		if err := pl.send(ctx, session, len(d.Attempts)-1, cur, mv.Message, &c); err != nil {
			if ctx.Err() != nil {
				return c, false, false
			}
			c, _, ok := errored(fmt.Sprintf("target error: turn %d: %v", cur.userTurns(), err))
			return c, true, ok
		}
	}
	cur := d.Current()
	if cur == nil {
		return errored("attack strategy: it sent nothing")
	}
	if err := pl.judgeAttempt(ctx, cur, &c); err != nil {
		if ctx.Err() != nil {
			return c, false, false
		}
		return errored(err.Error())
	}
	v, pick := decide(d.Attempts, c.Verdict.Usage)
	c.setAttempts(d.Attempts)
	c.Turns, c.Replies = d.Attempts[pick].Turns, d.Attempts[pick].Replies
	return finish(v)
}

// send adds msg to attempt a as a user turn and the target's answer as an
// assistant turn.
func (pl player) send(ctx context.Context, session string, attempt int, a *Attempt, msg string, c *Case) error {
	a.Turns = append(a.Turns, target.Message{Role: target.RoleUser, Content: msg})
	reply, err := pl.e.Target.Send(target.WithSession(ctx, session), a.Turns)
	if err != nil {
		return err
	}
	c.Usage = c.Usage.Add(reply.Usage)
	a.Replies = append(a.Replies, reply)
	a.Turns = append(a.Turns, target.Message{Role: target.RoleAssistant, Content: reply.Content, ToolCalls: reply.ToolCalls})
	pl.emit(Event{Type: EventReply, ProbeID: c.Probe.ID, Attempt: attempt, Turn: len(a.Replies) - 1, Reply: &reply})
	return nil
}

// replay starts attempt a with the kept messages of the one before. A
// target that keeps state per session hears the kept user turns again, in
// the new session, so that its state matches what the attempt shows;
// other targets receive the whole conversation with every turn anyway.
func (pl player) replay(ctx context.Context, session string, a *Attempt, kept target.Conversation, c *Case) error {
	if len(kept) == 0 {
		return nil
	}
	if st, ok := pl.e.Target.(target.Stateful); !ok || !st.Stateful() {
		a.Turns = append(a.Turns, kept...)
		return nil
	}
	for _, m := range kept {
		if m.Role != target.RoleUser {
			continue
		}
		if err := pl.send(ctx, session, -1, a, m.Content, c); err != nil {
			return fmt.Errorf("replaying the kept turns of a forked attempt: %w", err)
		}
	}
	return nil
}

// judgeAttempt judges an attempt that has ended and adds the judges' usage
// to the case.
func (pl player) judgeAttempt(ctx context.Context, a *Attempt, c *Case) error {
	p := c.Probe
	v, err := pl.e.Judge.Judge(ctx, judge.Input{
		Vulnerability: p.Vulnerability,
		Type:          p.Type,
		Goal:          p.Goal,
		Conversation:  a.Turns,
		Replies:       a.Replies,
		Judges:        p.Judges,
		Rubric:        p.Rubric,
		Markers:       p.Markers,
		Severity:      p.Severity,
		Context:       pl.e.JudgeContext,
	})
	c.Verdict.Usage = c.Verdict.Usage.Add(v.Usage)
	if err != nil {
		return fmt.Errorf("judge error: %w", err)
	}
	a.Verdict = &v
	return nil
}

// setAttempts records the attempts on the case: Turns and Replies are the
// last attempt's, and Attempts lists them all when there are several.
func (c *Case) setAttempts(as []Attempt) {
	if len(as) == 0 {
		return
	}
	last := as[len(as)-1]
	c.Turns, c.Replies = last.Turns, last.Replies
	if len(as) > 1 {
		c.Attempts = as
	}
}

// decide combines the verdicts of a probe's judged attempts: the attack
// succeeded if any attempt failed (the first that did is the one
// reported); the target is safe only if every attempt passed; otherwise
// nobody could tell. pick is the index of the attempt reported.
func decide(as []Attempt, usage target.Usage) (v judge.Verdict, pick int) {
	pick = len(as) - 1
	outcome := judge.Pass
	for i := range as {
		switch as[i].Verdict.Outcome {
		case judge.Fail:
			pick, outcome = i, judge.Fail
		case judge.Pass:
		default:
			if outcome == judge.Pass {
				pick, outcome = i, judge.Unknown
			}
		}
		if outcome == judge.Fail {
			break
		}
	}
	v = *as[pick].Verdict
	if len(as) > 1 {
		v.Reason = fmt.Sprintf("attempt %d of %d: %s", pick+1, len(as), v.Reason)
		v.Outcome = outcome
	}
	v.Usage = usage
	return v, pick
}
