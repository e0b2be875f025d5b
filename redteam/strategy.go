package redteam

import (
	"context"

	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// A Strategy plays the attacker's side of one probe. The engine asks it for
// a move, sends the move's message to the target, adds the reply to the
// dialogue and asks again, until the strategy says it is done. Because it
// sees every reply before writing the next turn, a strategy can adapt:
// escalate after a partial answer, rephrase after a refusal, or go back
// and try another branch of the conversation.
//
// A strategy value serves one probe; the engine makes a new one per probe
// (Attack.Strategy), so it may keep state between moves. It must not
// assume how long a target takes, and should return promptly when ctx ends.
type Strategy interface {
	Next(ctx context.Context, d *Dialogue) (Move, error)
}

// Move is what a strategy does next.
type Move struct {
	// Done ends the probe; the other fields are then ignored.
	Done bool
	// Message is the user turn to send next.
	Message string
	// Fork ends the current attempt, which is judged, and starts a new one
	// that begins with the first Keep messages of the current attempt:
	// Keep 0 starts afresh, a Keep that cuts off the last exchange
	// backtracks. The new attempt gets its own target session; on a target
	// that keeps state per session (target.Stateful), the engine sends the
	// kept user turns again so that the target's state matches.
	Fork bool
	Keep int
	// Usage counts the tokens an attacker model spent on this move.
	Usage target.Usage
}

// Dialogue is what a strategy sees: the probe and every attempt so far,
// the last one being the current one.
type Dialogue struct {
	Probe    Probe
	Attempts []Attempt
}

// Current returns the attempt in progress, or nil before the first move.
func (d *Dialogue) Current() *Attempt {
	if len(d.Attempts) == 0 {
		return nil
	}
	return &d.Attempts[len(d.Attempts)-1]
}

// Attempt is one conversation with the target within a probe. A probe whose
// strategy never forks has exactly one.
type Attempt struct {
	// Turns alternate user and assistant messages, oldest first.
	Turns target.Conversation `json:"turns"`
	// Replies are the target's full replies (tool calls, retrieved context,
	// usage), one per assistant turn.
	Replies []target.Reply `json:"replies,omitempty"`
	// Verdict is set when the attempt has ended and been judged.
	Verdict *judge.Verdict `json:"verdict,omitempty"`
}

// userTurns counts the user messages of the attempt.
func (a *Attempt) userTurns() int {
	n := 0
	for _, m := range a.Turns {
		if m.Role == target.RoleUser {
			n++
		}
	}
	return n
}

// Scripted is the strategy of every attack without one of its own: it
// sends the probe's planned turns (Probe.Turns) in order, in one attempt,
// whatever the target answers.
type Scripted struct{}

// Next implements Strategy.
func (Scripted) Next(_ context.Context, d *Dialogue) (Move, error) {
	sent := 0
	if a := d.Current(); a != nil {
		sent = a.userTurns()
	}
	if sent >= len(d.Probe.Turns) {
		return Move{Done: true}, nil
	}
	return Move{Message: d.Probe.Turns[sent]}, nil
}

var _ Strategy = Scripted{}
