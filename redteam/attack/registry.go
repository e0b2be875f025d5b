package attack

import (
	"math/rand/v2"
	"strings"

	"github.com/redoubt-sec/redoubt/redteam"
)

// All returns every built-in attack in a stable order, baseline first. The
// slice is new on each call, so callers may reorder or filter it freely.
func All() []redteam.Attack {
	return []redteam.Attack{
		deterministic("baseline", "Baseline",
			"Sends the seed prompt exactly as written; the control every other attack is compared with.",
			baseline),
		deterministic("base64", "Base64",
			"Encodes the prompt in Base64 and asks the model to decode it and follow it.",
			base64Attack),
		deterministic("rot13", "ROT13",
			"Encodes the prompt with ROT13 and asks the model to decode it and follow it.",
			rot13Attack),
		deterministic("leetspeak", "Leetspeak",
			"Replaces a random share of letters with look-alike digits (a->4, e->3, i->1, o->0, s->5, t->7).",
			leetspeak),
		deterministic("character_stream", "Character stream",
			"Spells the prompt out one character at a time with a separator and asks the model to join it.",
			characterStream),
		deterministic("homoglyph", "Homoglyph",
			"Swaps Latin letters for Cyrillic and Greek look-alikes so the text reads the same but matches no keyword.",
			homoglyph),
		deterministic("zero_width", "Zero-width characters",
			"Hides zero-width spaces and joiners inside words, above all inside trigger words.",
			zeroWidth),
		deterministic("tag_smuggling", "Unicode tag smuggling",
			"Appends the prompt as invisible Unicode tag characters to a harmless visible question.",
			tagSmuggling),
		deterministic("payload_splitting", "Payload splitting",
			"Splits the prompt into 2-4 string variables and asks the model to join them and answer the result.",
			payloadSplitting),
		deterministic("context_flooding", "Context flooding",
			"Buries the prompt after about 4000 characters of realistic benign text (logs, a meeting, a support chat).",
			contextFlooding),
		deterministic("embedded_json", "Embedded JSON instruction",
			"Hides the prompt deep inside a realistic nested JSON job that the model is asked to process.",
			embeddedJSON),
		deterministic("prefix_injection", "Prefix injection",
			"Asks the model to open its answer with an affirmative phrase such as \"Absolutely! Here is\".",
			prefixInjection),
		deterministic("refusal_suppression", "Refusal suppression",
			"Sets rules that forbid apologies, refusals and disclaimers before asking.",
			refusalSuppression),
		deterministic("many_shot", "Many-shot",
			"Prepends a fake dialogue of 8-16 exchanges in which the assistant always complies.",
			manyShot),
		{
			ID:          "past_tense",
			Name:        "Past tense",
			Kind:        redteam.KindDeterministic,
			Description: "Rephrases the request as a question about how things were done in the past.",
			Apply:       safeApply(pastTense),
			Applies:     pastTenseApplies,
		},
		deterministic("system_override", "System override",
			"Prepends a fake system or developer notice, with authority, timestamp and ticket, announcing looser rules.",
			systemOverride),
		deterministic("roleplay", "Roleplay",
			"Wraps the prompt in a fiction or persona frame: a novelist's villain, an actor, a historical figure, a debate.",
			roleplay),
	}
}

// Get returns the attack with the given ID.
func Get(id string) (redteam.Attack, bool) {
	for _, s := range All() {
		if s.ID == id {
			return s, true
		}
	}
	return redteam.Attack{}, false
}

// IDs returns the IDs of All, in the same order.
func IDs() []string {
	all := All()
	ids := make([]string, len(all))
	for i, s := range all {
		ids[i] = s.ID
	}
	return ids
}

// deterministic builds a deterministic attack that suits every
// vulnerability.
func deterministic(id, name, desc string, apply func(string, *rand.Rand) string) redteam.Attack {
	return redteam.Attack{ID: id, Name: name, Kind: redteam.KindDeterministic, Description: desc, Apply: safeApply(apply)}
}

// safeApply makes a transform total: invalid UTF-8 in the prompt becomes
// U+FFFD first, so that no transform can emit invalid UTF-8, and a nil
// generator is replaced by a fixed one, so that a careless caller still gets
// a deterministic result instead of a panic.
func safeApply(apply func(string, *rand.Rand) string) func(string, *rand.Rand) string {
	return func(prompt string, r *rand.Rand) string {
		if r == nil {
			r = rand.New(rand.NewPCG(0, 0))
		}
		return apply(strings.ToValidUTF8(prompt, "\uFFFD"), r)
	}
}

// baseline is the identity transform.
func baseline(prompt string, _ *rand.Rand) string { return prompt }

// pick returns a random element of xs, which must not be empty.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// frame is fixed text around an encoded payload. Keeping the payload as an
// untouched middle part is what lets the tests (and anyone else) recover it.
type frame struct{ before, after string }

// wrap puts s inside the frame.
func (f frame) wrap(s string) string { return f.before + s + f.after }
