package detect

import (
	"cmp"
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/codec"
)

// RedactMode says how Redact replaces a finding's text.
type RedactMode string

// Redaction modes.
const (
	// RedactMask replaces each character (rune) with '*', keeping the
	// length so that layouts and column widths survive. The length of a
	// value is the only thing it keeps.
	RedactMask RedactMode = "mask"
	// RedactTag replaces the value with its type in brackets: "[EMAIL]".
	RedactTag RedactMode = "tag"
	// RedactHash replaces the value with its type and the first 12 hex
	// digits of a salted SHA-256: "[EMAIL:3f2a9c0d1b7e]". Equal values get
	// equal tags under one salt, so records can still be joined, while a
	// per-deployment salt stops dictionary look-ups across deployments.
	RedactHash RedactMode = "hash"
	// RedactVault replaces values with numbered placeholders that a Vault
	// can restore: "[EMAIL_1]". Only Vault.Redact implements it; the
	// stateless Redact falls back to RedactTag.
	RedactVault RedactMode = "vault"
)

// ParseRedactMode returns the mode named s, or false if there is none.
func ParseRedactMode(s string) (RedactMode, bool) {
	switch m := RedactMode(strings.ToLower(strings.TrimSpace(s))); m {
	case RedactMask, RedactTag, RedactHash, RedactVault:
		return m, true
	}
	return "", false
}

// Redact returns text with every finding replaced according to mode. It
// works with the findings of any detector. Overlapping findings are merged
// into one span, named after the longest of them, so that no part of
// either value survives. Spans out of range are ignored and spans are
// widened to whole UTF-8 characters. An unknown mode masks.
func Redact(text string, findings []Finding, mode RedactMode, salt []byte) string {
	return redactRewrite(text, findings, func(typ, value string) string {
		switch mode {
		case RedactTag, RedactVault:
			return "[" + typeLabel(typ) + "]"
		case RedactHash:
			return "[" + typeLabel(typ) + ":" + saltedHash(salt, typ, value) + "]"
		default:
			return strings.Repeat("*", utf8.RuneCountInString(value))
		}
	})
}

// saltedHash returns the first 12 hex digits of SHA-256(salt, type, value).
func saltedHash(salt []byte, typ, value string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte{0})
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return codec.EncodeHex(h.Sum(nil))[:12]
}

// typeLabel turns a finding type into its placeholder label:
// "credit_card" -> "CREDIT_CARD". Characters other than letters, digits
// and '_' become '_', so a label never breaks the placeholder syntax.
func typeLabel(typ string) string {
	if typ == "" {
		return "REDACTED"
	}
	b := []byte(strings.ToUpper(typ))
	for i, c := range b {
		if !isAlnum(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

// redactSpan is a merged redaction span.
type redactSpan struct {
	start, end int
	typ        string
}

// mergeRedactSpans orders findings, drops invalid ones, widens spans to rune
// boundaries and merges overlapping ones, keeping the type of the longest.
func mergeRedactSpans(text string, findings []Finding) []redactSpan {
	ss := make([]redactSpan, 0, len(findings))
	for _, f := range findings {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			continue
		}
		st, en := f.Start, f.End
		for st > 0 && !utf8.RuneStart(text[st]) {
			st--
		}
		for en < len(text) && !utf8.RuneStart(text[en]) {
			en++
		}
		ss = append(ss, redactSpan{st, en, f.Type})
	}
	slices.SortFunc(ss, func(a, b redactSpan) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end))
	})
	out := ss[:0]
	longest := 0 // length of the finding that named the current merged redactSpan
	for _, s := range ss {
		if n := len(out); n > 0 && s.start < out[n-1].end {
			last := &out[n-1]
			if s.end-s.start > longest {
				longest = s.end - s.start
				last.typ = s.typ
			}
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
		longest = s.end - s.start
	}
	return out
}

// redactRewrite replaces each merged redactSpan of text by repl(type, value).
func redactRewrite(text string, findings []Finding, repl func(typ, value string) string) string {
	spans := mergeRedactSpans(text, findings)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	prev := 0
	for _, s := range spans {
		b.WriteString(text[prev:s.start])
		b.WriteString(repl(s.typ, text[s.start:s.end]))
		prev = s.end
	}
	b.WriteString(text[prev:])
	return b.String()
}

// Vault redacts reversibly: each distinct value becomes a numbered
// placeholder such as "[EMAIL_1]", the same value always gets the same
// placeholder, and Restore puts the values back into text that contains
// the placeholders, typically a model's reply to the redacted prompt.
//
// A Vault holds the original values in memory: keep one per conversation
// and drop it when the conversation ends. It is safe for concurrent use.
type Vault struct {
	mu      sync.Mutex
	byValue map[string]string // type "\x00" value -> placeholder key
	values  map[string]string // placeholder key ("EMAIL_1") -> value
	counts  map[string]int    // label -> last number used
}

// NewVault returns an empty vault.
func NewVault() *Vault {
	return &Vault{byValue: map[string]string{}, values: map[string]string{}, counts: map[string]int{}}
}

// Redact returns text with each finding replaced by its placeholder,
// assigning new placeholders to values the vault has not seen.
func (v *Vault) Redact(text string, findings []Finding) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return redactRewrite(text, findings, func(typ, value string) string {
		label := typeLabel(typ)
		k := label + "\x00" + value
		key, ok := v.byValue[k]
		if !ok {
			v.counts[label]++
			key = label + "_" + strconv.Itoa(v.counts[label])
			v.byValue[k] = key
			v.values[key] = value
		}
		return "[" + key + "]"
	})
}

// Len returns the number of distinct values in the vault.
func (v *Vault) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.values)
}

// Restore returns text with every known placeholder replaced by its
// original value. It tolerates what models do to placeholders: a change
// of case ("[Email_1]"), spaces inside the brackets ("[ EMAIL_1 ]") and a
// space or hyphen for the last underscore ("[EMAIL 1]"). Unknown
// placeholders are left as they are.
func (v *Vault) Restore(text string) string {
	if strings.IndexByte(text, '[') < 0 {
		return text
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var b strings.Builder
	prev := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '[' {
			continue
		}
		key, end, ok := parsePlaceholder(text, i)
		if !ok {
			continue
		}
		val, known := v.values[key]
		if !known {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(text))
		}
		b.WriteString(text[prev:i])
		b.WriteString(val)
		prev = end
		i = end - 1
	}
	if prev == 0 {
		return text
	}
	b.WriteString(text[prev:])
	return b.String()
}

// parsePlaceholder reads a placeholder starting at text[i] == '[' and
// returns its canonical key ("EMAIL_1") and the offset after ']'.
func parsePlaceholder(text string, i int) (key string, end int, ok bool) {
	const maxLen = 64
	j := i + 1
	for j < len(text) && text[j] == ' ' {
		j++
	}
	labelStart := j
	for j < len(text) && j-i < maxLen && (isAlnum(text[j]) || text[j] == '_' || text[j] == '-' || text[j] == ' ') {
		j++
	}
	if j >= len(text) || text[j] != ']' {
		return "", 0, false
	}
	body := strings.TrimRight(text[labelStart:j], " ")
	// The number is the trailing run of digits, after '_', '-' or ' '.
	k := len(body)
	for k > 0 && isDigit(body[k-1]) {
		k--
	}
	if k == len(body) || k < 2 || (body[k-1] != '_' && body[k-1] != '-' && body[k-1] != ' ') {
		return "", 0, false
	}
	label := strings.ToUpper(strings.TrimRight(body[:k-1], " "))
	if label == "" || strings.ContainsAny(label, " -") {
		return "", 0, false
	}
	n, err := strconv.Atoi(body[k:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return label + "_" + strconv.Itoa(n), j + 1, true
}
