package redteam

import "math/rand/v2"

// Kinds of attack.
const (
	// KindDeterministic attacks transform the seed prompt at plan time; no
	// model is involved and the same seed gives the same prompt.
	KindDeterministic = "deterministic"
	// KindModel attacks have a model write the prompt.
	KindModel = "model"
	// KindMultiTurn attacks hold a conversation: a Strategy writes each
	// user turn from what the target said so far.
	KindMultiTurn = "multi-turn"
)

// Attack is one way of dressing a probe to slip past a target's defences.
// The built-in attacks are in package attack (attack.All); a plan draws on
// whatever list it is given, so a Go program can add its own.
type Attack struct {
	// ID is snake_case and stable: plans, results and configs use it.
	ID          string
	Name        string
	Kind        string
	Description string
	// Apply transforms the seed prompt into the probe's planned first turn.
	// Any variation must come from r, so that the same seed gives the same
	// prompt. Nil sends the seed prompt as written.
	Apply func(prompt string, r *rand.Rand) string
	// Applies reports whether the attack suits a vulnerability; nil means
	// every vulnerability.
	Applies func(vulnerability string) bool
	// Strategy, when set, makes the strategy that plays a probe of this
	// attack at run time, turn by turn. Nil means the planned turns are
	// sent in order (Scripted): every deterministic transform is that.
	Strategy func(p Probe) Strategy
}

// apply returns the attack's planned turn for prompt.
func (a Attack) apply(prompt string, r *rand.Rand) string {
	if a.Apply == nil {
		return prompt
	}
	return a.Apply(prompt, r)
}
