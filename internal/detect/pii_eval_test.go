package detect

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// presidioDir is where the public presidio-research data sits, relative to
// the package directory; tests that need it skip when it is absent.
var presidioDir = filepath.Join("..", "..", "..", "shared", "data", "pii")

// presidioLabels maps presidio-research entity labels to PII types. Labels
// not listed (LOCATION alone, ORGANIZATION, TITLE, DOMAIN_NAME, NRP) are
// not claimed by the detector and are not counted as misses.
var presidioLabels = map[string]string{
	"EMAIL_ADDRESS":     TypeEmail,
	"PHONE_NUMBER":      TypePhone,
	"CREDIT_CARD":       TypeCreditCard,
	"US_SSN":            TypeUSSSN,
	"IBAN_CODE":         TypeIBAN,
	"IP_ADDRESS":        TypeIPAddress,
	"US_DRIVER_LICENSE": TypeDriverLicense,
	"PERSON":            TypePerson,
	"PREFIX":            TypePerson, // "Mr." labelled apart from "Ford"
	"ADDRESS":           TypeStreetAddress,
	"STREET_ADDRESS":    TypeStreetAddress,
	"DATE_TIME":         TypeDateOfBirth, // only with a birth word in the sentence
}

// presidioSample is one generated sentence.
type presidioSample struct {
	Text  string `json:"full_text"`
	Spans []struct {
		Type  string `json:"entity_type"`
		Start int    `json:"start_position"`
		End   int    `json:"end_position"`
	} `json:"spans"`
}

// evalSpan is a gold or predicted span in bytes.
type evalSpan struct {
	typ        string
	start, end int
}

// goldSpans converts a sample's character spans to byte spans of our
// types. Fragments of one entity that the generator labelled apart ("Mr."
// and "Ford"; an address split into street, city, country and postcode
// with LOCATION in between) are merged when only spaces and punctuation
// separate them, so that one address is one span.
func goldSpans(smp presidioSample) []evalSpan {
	// Character to byte offsets.
	off := make([]int, 0, len(smp.Text)+1)
	for i := range smp.Text {
		off = append(off, i)
	}
	off = append(off, len(smp.Text))
	birth := containsWord(string(lowerASCII(nil, smp.Text)), []string{"born", "birth", "dob", "birthday"})
	var raw []evalSpan
	for _, sp := range smp.Spans {
		if sp.Start < 0 || sp.End >= len(off) || sp.Start >= sp.End {
			continue
		}
		typ := presidioLabels[sp.Type]
		switch {
		case sp.Type == "LOCATION":
			typ = "location"
		case typ == TypeDateOfBirth && !birth:
			continue
		case typ == "":
			continue
		}
		raw = append(raw, evalSpan{typ, off[sp.Start], off[sp.End]})
	}
	sort.Slice(raw, func(i, j int) bool { return raw[i].start < raw[j].start })
	var out []evalSpan
	for _, s := range raw {
		sep := " ,.\n\t>"
		if s.typ == TypePerson {
			sep = " ." // "Mr. Ford", not "Anna, Robert"
		}
		if n := len(out); n > 0 && out[n-1].end <= s.start && strings.Trim(smp.Text[out[n-1].end:s.start], sep) == "" &&
			(out[n-1].typ == s.typ || out[n-1].typ == TypeStreetAddress && s.typ == "location" ||
				out[n-1].typ == "location" && s.typ == TypeStreetAddress) {
			out[n-1].end = s.end
			if s.typ == TypeStreetAddress {
				out[n-1].typ = TypeStreetAddress
			}
			continue
		}
		out = append(out, s)
	}
	return slices.DeleteFunc(out, func(s evalSpan) bool { return s.typ == "location" })
}

// prf accumulates counts for one type.
type prf struct{ gold, pred, tp, exact int }

func (c prf) scores(tp int) (p, r, f float64) {
	if c.pred > 0 {
		p = float64(tp) / float64(c.pred)
	}
	if c.gold > 0 {
		r = float64(tp) / float64(c.gold)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

// evalPresidio scores the detector on one presidio-research file at the
// default threshold 0.5. A prediction is a true positive when it overlaps a
// not yet matched gold span of the same type (exact: same bytes after
// trimming spaces and punctuation).
func evalPresidio(t *testing.T, path string, dump func(string)) map[string]*prf {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("presidio-research data not available: %v", err)
	}
	var samples []presidioSample
	if err := json.Unmarshal(data, &samples); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	counts := map[string]*prf{}
	get := func(typ string) *prf {
		if counts[typ] == nil {
			counts[typ] = &prf{}
		}
		return counts[typ]
	}
	for _, smp := range samples {
		if !utf8.ValidString(smp.Text) || strings.Contains(smp.Text, "{") {
			continue // unfilled templates
		}
		gold := goldSpans(smp)
		for _, g := range gold {
			get(g.typ).gold++
		}
		used := make([]bool, len(gold))
		for _, f := range (PII{}).Scan(smp.Text) {
			if f.Score < 0.5 {
				continue
			}
			get(f.Type).pred++
			hit := false
			for i, g := range gold {
				if !used[i] && g.typ == f.Type && overlaps(g.start, g.end, f.Start, f.End) {
					used[i], hit = true, true
					get(f.Type).tp++
					trim := func(s string) string { return strings.Trim(s, " ,.\n\t") }
					if trim(smp.Text[g.start:g.end]) == trim(smp.Text[f.Start:f.End]) {
						get(f.Type).exact++
					} else if dump != nil {
						dump(fmt.Sprintf("PARTIAL %s gold=%q pred=%q", f.Type, smp.Text[g.start:g.end], smp.Text[f.Start:f.End]))
					}
					break
				}
			}
			if !hit && dump != nil {
				dump(fmt.Sprintf("FP %s %q in %q", f.Type, smp.Text[f.Start:f.End], smp.Text))
			}
		}
		for i, g := range gold {
			if !used[i] && dump != nil {
				dump(fmt.Sprintf("FN %s %q in %q", g.typ, smp.Text[g.start:g.end], smp.Text))
			}
		}
	}
	return counts
}

// TestPIIEvalPresidio reports span-level precision, recall and F1 per type
// on the presidio-research generated sentences, and fails if the micro F1
// falls below a floor set under the measured figure.
//
// Reproduce: go test ./detect -run TestPIIEvalPresidio -v
// (set PII_EVAL_DUMP=FILE to write every miss and false positive of the
// dev file for error analysis).
func TestPIIEvalPresidio(t *testing.T) {
	files := []struct {
		name  string
		floor float64 // micro F1 (overlap) floor
	}{
		{"generated_large.json", 0.90},
		{"generated_small.json", 0.85},
	}
	for _, file := range files {
		t.Run(file.name, func(t *testing.T) {
			var dump func(string)
			if p := os.Getenv("PII_EVAL_DUMP"); p != "" && file.name == "generated_large.json" {
				fh, err := os.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				dump = func(s string) { fmt.Fprintln(fh, s) }
			}
			counts := evalPresidio(t, filepath.Join(presidioDir, "presidio-research", file.name), dump)
			types := make([]string, 0, len(counts))
			for typ := range counts {
				types = append(types, typ)
			}
			sort.Strings(types)
			var all prf
			var b strings.Builder
			fmt.Fprintf(&b, "\n%-16s %5s %5s %6s %6s %6s %8s\n", "type", "gold", "pred", "P", "R", "F1", "exactF1")
			for _, typ := range types {
				c := counts[typ]
				p, r, f := c.scores(c.tp)
				_, _, fe := c.scores(c.exact)
				fmt.Fprintf(&b, "%-16s %5d %5d %6.3f %6.3f %6.3f %8.3f\n", typ, c.gold, c.pred, p, r, f, fe)
				all.gold += c.gold
				all.pred += c.pred
				all.tp += c.tp
				all.exact += c.exact
			}
			p, r, f := all.scores(all.tp)
			_, _, fe := all.scores(all.exact)
			fmt.Fprintf(&b, "%-16s %5d %5d %6.3f %6.3f %6.3f %8.3f", "micro", all.gold, all.pred, p, r, f, fe)
			t.Log(b.String())
			if f < file.floor {
				t.Errorf("micro F1 %.3f below floor %.2f", f, file.floor)
			}
		})
	}
}

// containsWord reports whether any of words occurs in the lower-cased
// window w, not glued to a letter on either side.
func containsWord(w string, words []string) bool {
	for _, word := range words {
		for off := 0; off < len(w); {
			i := strings.Index(w[off:], word)
			if i < 0 {
				break
			}
			i += off
			j := i + len(word)
			if (i == 0 || !isLetterByte(w[i-1]) || !isLetterByte(word[0])) &&
				(j == len(w) || !isLetterByte(w[j]) || !isLetterByte(word[len(word)-1])) {
				return true
			}
			off = i + 1
		}
	}
	return false
}
