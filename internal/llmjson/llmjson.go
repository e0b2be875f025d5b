// Package llmjson reads JSON out of what a language model wrote: bare, in
// a code fence or amid prose, as small local models answer even when asked
// for JSON alone. Attacker and judge models share it.
package llmjson

import "encoding/json"

// Objects returns the balanced {...} spans of s, outermost only, in order,
// skipping braces inside JSON strings. Spans that are not valid JSON are
// returned too; Decode keeps the ones that decode.
func Objects(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		if end := closing(s, i); end > 0 {
			out = append(out, s[i:end])
			i = end - 1
		}
	}
	return out
}

// closing returns the index just past the brace that closes the one at
// open, or -1.
func closing(s string, open int) int {
	depth, inStr, esc := 0, false, false
	for k := open; k < len(s); k++ {
		c := s[k]
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return k + 1
			}
		}
	}
	return -1
}

// Decode calls keep on each object of s that decodes into a fresh T, in
// order, until keep returns true; it returns that value and true, or the
// zero T and false. decoded reports whether any object decoded at all, so
// that a caller can tell "no JSON" from "no acceptable JSON".
func Decode[T any](s string, keep func(T) bool) (v T, ok, decoded bool) {
	for _, obj := range Objects(s) {
		var t T
		if json.Unmarshal([]byte(obj), &t) != nil {
			continue
		}
		decoded = true
		if keep(t) {
			return t, true, true
		}
	}
	var zero T
	return zero, false, decoded
}
