package detect

import (
	"cmp"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// PII types reported by the PII detector.
const (
	TypeEmail         = "email"
	TypePhone         = "phone"
	TypeCreditCard    = "credit_card"
	TypeUSSSN         = "us_ssn"
	TypeIBAN          = "iban"
	TypeIPAddress     = "ip_address"
	TypeRoutingNumber = "us_routing_number"
	TypeMACAddress    = "mac_address"
	TypeCryptoWallet  = "crypto_wallet"
	TypePassport      = "passport_number"
	TypeDriverLicense = "driver_license"
	TypeUKNINO        = "uk_nino"
	TypeUKNHS         = "uk_nhs"
	TypeINAadhaar     = "in_aadhaar"
	TypeINPAN         = "in_pan"
	TypeESNIF         = "es_nif"
	TypeITFiscalCode  = "it_fiscal_code"
	TypeSGNRIC        = "sg_nric"
	TypeAUTFN         = "au_tfn"
	TypeDateOfBirth   = "date_of_birth"
	TypePerson        = "person"
	TypeStreetAddress = "street_address"
)

// typeURLCredentials is the PII type of a URL carrying a password. It has
// the same value as the secrets and URL detectors' TypeURLCredentials, which
// declare the exported name.
const typeURLCredentials = "url_credentials"

// PIITypes returns every type the PII detector can report, in a stable order.
func PIITypes() []string {
	return []string{
		TypeEmail, TypePhone, TypeCreditCard, TypeUSSSN, TypeIBAN, TypeIPAddress,
		TypeRoutingNumber, TypeMACAddress, typeURLCredentials, TypeCryptoWallet,
		TypePassport, TypeDriverLicense, TypeUKNINO, TypeUKNHS, TypeINAadhaar, TypeINPAN,
		TypeESNIF, TypeITFiscalCode, TypeSGNRIC, TypeAUTFN, TypeDateOfBirth, TypePerson,
		TypeStreetAddress,
	}
}

// Score levels shared by the PII recognisers. The guard's default threshold
// is 0.5: a value whose shape alone is ambiguous scores below it and needs a
// context word nearby (rules/pii_context.yaml) to be reported as PII.
const (
	// scoreChecked: the value passed a checksum or a structural check that
	// random text almost never passes (Luhn with an issuer prefix, mod-97,
	// Base58Check, bech32, an e-mail shape).
	scoreChecked = 0.95
	// scoreContext: a plausible pattern with a context word nearby.
	scoreContext = 0.85
	// scoreShape: a pattern specific enough on its own (a formatted phone
	// number, a dashed SSN, a dotted quad).
	scoreShape = 0.7
	// scoreWeak: a pattern that is usually PII but often is not.
	scoreWeak = 0.55
	// scoreAmbiguous: a value with a weak (one-digit) checksum and no
	// context: reported for callers that lower the threshold, ignored at 0.5.
	scoreAmbiguous = 0.35
)

// PII finds personal data: contact details (e-mail, phone numbers, street
// addresses), financial identifiers (payment cards, IBANs, US routing
// numbers, crypto wallet addresses), government identifiers (US SSN,
// passports, driving licences, UK NINO and NHS numbers, Indian Aadhaar and
// PAN, Spanish NIF, Italian fiscal codes, Singapore NRIC/FIN, Australian
// TFN), network identifiers (IPv4/IPv6, MAC addresses, URLs carrying
// credentials), dates of birth, and person names.
//
// The recognisers are hand-written scanners keyed on '@', digits and
// capitalised words rather than regular expressions, so a scan of a 2 KiB
// text costs microseconds. Every candidate is validated beyond its shape
// (checksums, issued ranges, country lengths); values whose shape alone is
// ambiguous score below 0.5 unless a context word from rules/pii_context.yaml
// sits nearby. When candidates overlap, the higher score wins, then the
// longer span.
//
// The zero value is ready to use and reports every type.
type PII struct {
	// Types, when non-empty, restricts the findings to these types.
	Types []string
}

// Name implements Detector.
func (PII) Name() string { return "pii" }

// Scan implements Detector.
func (p PII) Scan(text string) []Finding {
	s := piiScanner{text: text, lower: string(lowerASCII(make([]byte, 0, len(text)), text)), ctx: piiContextRules()}
	s.scanAt()
	s.scanURLCredentials()
	s.scanNumbers()
	s.scanTokens()
	s.scanHex()
	s.scanWords()
	return s.resolve(p.Name(), p.Types)
}

// piiCandidate is a possible finding before overlap resolution.
type piiCandidate struct {
	typ        string
	start, end int
	score      float64
}

// piiScanner holds the state of one Scan call.
type piiScanner struct {
	text  string
	lower string // text with ASCII letters lower-cased, same offsets
	ctx   *piiContext
	cands []piiCandidate
	// lowerMode is set for text with no capitals at all.
	lowerMode bool
}

// add records a candidate.
func (s *piiScanner) add(typ string, start, end int, score float64) {
	if start < 0 || end > len(s.text) || start >= end || score <= 0 {
		return
	}
	s.cands = append(s.cands, piiCandidate{typ: typ, start: start, end: end, score: score})
}

// addCtx records a candidate scored by whether a context word for typ sits
// near it: withCtx if one does, without otherwise (0: drop the candidate).
func (s *piiScanner) addCtx(typ string, start, end int, withCtx, without float64) {
	if s.ctx.near(typ, s.lower, start, end) {
		s.add(typ, start, end, withCtx)
	} else if without > 0 {
		s.add(typ, start, end, without)
	}
}

// resolve keeps, among overlapping candidates, the highest score, then the
// longest span, and returns the findings in text order.
func (s *piiScanner) resolve(scanner string, types []string) []Finding {
	c := s.cands
	if len(types) > 0 {
		c = slices.DeleteFunc(c, func(x piiCandidate) bool { return !slices.Contains(types, x.typ) })
	}
	if len(c) == 0 {
		return nil
	}
	slices.SortFunc(c, func(a, b piiCandidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(b.end-b.start, a.end-a.start),
			cmp.Compare(a.start, b.start), strings.Compare(a.typ, b.typ))
	})
	out := make([]Finding, 0, len(c))
next:
	for _, x := range c {
		// By index: copying each Finding for this quadratic check costs
		// more than the check on texts with many matches.
		for k := range out {
			if overlaps(x.start, x.end, out[k].Start, out[k].End) {
				continue next
			}
		}
		out = append(out, Finding{Scanner: scanner, Type: x.typ, Start: x.start, End: x.end, Score: x.score})
	}
	sortFindings(out)
	return out
}

//go:embed rules/pii_context.yaml
var piiContextYAML []byte

// piiContextFile is the schema of rules/pii_context.yaml.
type piiContextFile struct {
	Entities []piiContextRule `yaml:"entities"`
}

// piiContextRule lists the words that, near a candidate of one type, make
// it PII rather than some other number or word.
type piiContextRule struct {
	Type string `yaml:"type"`
	// Before and After are the window sizes in bytes around the candidate.
	Before int `yaml:"before"`
	After  int `yaml:"after"`
	// Adjacent requires the word to end right before the candidate, with
	// only spaces and punctuation between ("my name is", "Dear").
	Adjacent bool     `yaml:"adjacent"`
	Words    []string `yaml:"words"`
	// Positive examples must yield a finding of Type scoring 0.5 or more;
	// negative examples must not.
	Positive []string `yaml:"positive"`
	Negative []string `yaml:"negative"`

	// byFirst and byLast index Words by their first and last byte, so a
	// window is scanned once instead of once per word.
	byFirst, byLast [256][]string
}

// piiContext is the compiled context table, keyed by type.
type piiContext struct {
	rules map[string]*piiContextRule
}

// piiContextRules decodes the embedded table once; it is read-only after.
var piiContextRules = sync.OnceValue(func() *piiContext {
	c, err := parsePIIContext(piiContextYAML, "rules/pii_context.yaml")
	if err != nil {
		// The file is embedded and tested: failing here is a build defect.
		panic(err)
	}
	return c
})

// parsePIIContext decodes and checks a context table.
func parsePIIContext(data []byte, source string) (*piiContext, error) {
	var f piiContextFile
	if err := yamlx.Decode(data, source, &f); err != nil {
		return nil, fmt.Errorf("pii context rules: %w", err)
	}
	c := &piiContext{rules: make(map[string]*piiContextRule, len(f.Entities))}
	for i := range f.Entities {
		r := &f.Entities[i]
		switch {
		case !slices.Contains(PIITypes(), r.Type):
			return nil, fmt.Errorf("%s: entity %d: unknown type %q", source, i+1, r.Type)
		case c.rules[r.Type] != nil:
			return nil, fmt.Errorf("%s: entity %d: type %q listed twice", source, i+1, r.Type)
		case len(r.Words) == 0:
			return nil, fmt.Errorf("%s: type %q: no words", source, r.Type)
		case r.Before < 0 || r.After < 0 || r.Before > 200 || r.After > 200:
			return nil, fmt.Errorf("%s: type %q: window sizes must be 0..200 bytes", source, r.Type)
		case len(r.Positive) == 0 || len(r.Negative) == 0:
			return nil, fmt.Errorf("%s: type %q: needs positive and negative examples", source, r.Type)
		}
		for j, w := range r.Words {
			w = strings.ToLower(w)
			if r.Adjacent {
				// The window is compared after trailing punctuation is
				// trimmed, so the words are too ("name:" -> "name").
				w = strings.TrimRight(w, " ,:;-.")
			}
			r.Words[j] = w
			if w == "" {
				return nil, fmt.Errorf("%s: type %q: empty word", source, r.Type)
			}
			r.byFirst[w[0]] = append(r.byFirst[w[0]], w)
			r.byLast[w[len(w)-1]] = append(r.byLast[w[len(w)-1]], w)
		}
		c.rules[r.Type] = r
	}
	return c, nil
}

// near reports whether a context word for typ occurs in the window around
// lower[start:end], where lower is the scanned text with ASCII letters
// lower-cased (same offsets). Words match on word boundaries.
func (c *piiContext) near(typ, lower string, start, end int) bool {
	r := c.rules[typ]
	if r == nil {
		return false
	}
	lo := max(0, start-r.Before)
	if r.Adjacent {
		w := trimContextTail(lower[lo:start])
		return w != "" && hasAdjacentWord(w, r.byLast[w[len(w)-1]])
	}
	hi := min(len(lower), end+r.After)
	return r.inWindow(lower[lo:start]) || r.inWindow(lower[end:hi])
}

// inWindow is containsWord(w, r.Words) in one pass over w: at each word
// start only the words beginning with that byte are compared.
func (r *piiContextRule) inWindow(w string) bool {
	for i := 0; i < len(w); i++ {
		words := r.byFirst[w[i]]
		if len(words) == 0 || i > 0 && isLetterByte(w[i-1]) && isLetterByte(w[i]) {
			continue
		}
		for _, word := range words {
			j := i + len(word)
			if j <= len(w) && w[i:j] == word && (j == len(w) || !isLetterByte(w[j]) || !isLetterByte(word[len(word)-1])) {
				return true
			}
		}
	}
	return false
}

// trimContextTail removes the spaces and punctuation that may sit between
// an introducing phrase and the value it introduces.
func trimContextTail(w string) string {
	for len(w) > 0 && strings.IndexByte(" \t\r\n,:;-.'\"(*>", w[len(w)-1]) >= 0 {
		w = w[:len(w)-1]
	}
	return w
}

// lowerASCII appends s to dst with ASCII letters lower-cased; other bytes
// are kept, so offsets are preserved.
func lowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// hasAdjacentWord reports whether the lower-cased window, without trailing
// spaces and punctuation, ends with one of words (lower case, without
// trailing punctuation) on a word boundary.
func hasAdjacentWord(w string, words []string) bool {
	w = trimContextTail(w)
	for _, word := range words {
		if strings.HasSuffix(w, word) {
			if k := len(w) - len(word); k == 0 || !isLetterByte(w[k-1]) {
				return true
			}
		}
	}
	return false
}

// isLetterByte reports whether b is an ASCII letter or the byte of a
// multi-byte UTF-8 rune (treated as a letter so words do not match inside
// "Müllerstraße").
func isLetterByte(b byte) bool {
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b >= 0x80
}
