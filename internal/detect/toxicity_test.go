package detect

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// TestToxicityRuleExamples runs every group's and pattern's examples: a
// positive yields a finding of its type scoring at least its weight (times
// nothing: no classifier), a negative none of its type at 0.5 or more.
func TestToxicityRuleExamples(t *testing.T) {
	for _, r := range toxicityRules().examples {
		checkRuleExamples(t, Toxicity{}, r)
	}
}

// checkRuleExamples is shared by the toxicity and harmful rule tests.
func checkRuleExamples(t *testing.T, d Detector, r ruleExamples) {
	t.Helper()
	if len(r.Positive) < 1 || len(r.Negative) < 1 || len(r.Positive)+len(r.Negative) < 4 {
		t.Errorf("%s: needs positive and negative examples, at least 4 in all", r.name)
	}
	for _, ex := range r.Positive {
		t.Run(r.name+"/+/"+ex, func(t *testing.T) {
			fs := d.Scan(ex)
			checkFindings(t, d, ex, fs)
			best := 0.0
			for _, f := range fs {
				if f.Type == r.typ {
					best = max(best, f.Score)
				}
			}
			if best < r.weight-1e-9 {
				t.Errorf("Scan(%q) = %v: no %s at %v or more", ex, typedScores(ex, fs), r.typ, r.weight)
			}
		})
	}
	for _, ex := range r.Negative {
		t.Run(r.name+"/-/"+ex, func(t *testing.T) {
			fs := d.Scan(ex)
			checkFindings(t, d, ex, fs)
			for _, f := range fs {
				if f.Type == r.typ && f.Score >= 0.5 {
					t.Errorf("Scan(%q) = %v: want no %s at 0.5 or more", ex, typedScores(ex, fs), r.typ)
				}
			}
		})
	}
}

func typedScores(text string, fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s=%s@%.2f", f.Type, text[f.Start:f.End], f.Score))
	}
	return out
}

// TestToxicityLookAlikes is text that shares words or letters with toxic
// text and is not toxic: nothing in it may reach 0.5.
func TestToxicityLookAlikes(t *testing.T) {
	texts := []string{
		"How do I kill the process that holds port 8080?",
		"This bug is killing me, the build fails again.",
		"Scunthorpe and Penistone are towns in England.",
		"The patient reported pain in the penis and testicles after the vasectomy.",
		"Breast cancer screening starts at 40.",
		"She assessed the class and passed the assignment.",
		"We will beat them in the final.",
		"Shoot me an email when the report is ready.",
		"That presentation was killer, you nailed it.",
		"The cocktail had hints of cocoa.",
		"The dog is a cocker spaniel called Dick.",
		"Immigrants are essential workers in agriculture.",
		"Rats are social animals.",
		"I hate Mondays.",
		"Analyse the sexual harassment policy for gaps.",
		"Mr. Hancock assessed the pass rate at the Cockburn school.",
	}
	for _, text := range texts {
		t.Run(text, func(t *testing.T) {
			fs := Toxicity{}.Scan(text)
			checkFindings(t, Toxicity{}, text, fs)
			for _, f := range fs {
				if f.Score >= 0.5 {
					t.Errorf("Scan(%q) = %v, want nothing at 0.5 or more", text, typedScores(text, fs))
				}
			}
		})
	}
}

func TestToxicitySpans(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"ok you are an 1d10t!", []string{"insult=1d10t"}},
		{"what a stuuuupid idea", []string{"insult=stuuuupid"}},
		{"you are an i d i o t", []string{"insult=i d i o t"}},
		{"I will kill you.", []string{"threat=I will kill you"}},
		{"I will. Kill you later? no", nil},
		{"résumé: you are an idiot", []string{"insult=idiot"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			fs := Toxicity{}.Scan(tt.text)
			checkFindings(t, Toxicity{}, tt.text, fs)
			var got []string
			for _, f := range fs {
				if f.Score >= 0.5 {
					got = append(got, f.Type+"="+tt.text[f.Start:f.End])
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestToxicityClassifier(t *testing.T) {
	benign := Toxicity{Classifier: func(string) float64 { return 0.05 }}
	fs := benign.Scan("damn idiot")
	for _, f := range fs {
		if f.Type == TypeInsult && f.Score >= 0.5 {
			t.Errorf("benign classifier: insult still scores %v", f.Score)
		}
	}
	toxic := Toxicity{Classifier: func(string) float64 { return 0.9 }}
	fs = toxic.Scan("you people again")
	if len(fs) != 1 || fs[0].Type != TypeToxicity || fs[0].Score != 0.9 || fs[0].End != len("you people again") {
		t.Errorf("toxic classifier: got %v, want one whole-text toxicity finding at 0.9", fs)
	}
}

func TestTokenizeWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{"sh1t h@ppens $5 wow!", []string{"shit", "happens", "5", "wow"}},
		{"f*ck off", []string{"f*ck", "off"}},
		{"k.i.l.l you", []string{"kill", "you"}},
		{"a b is ok", []string{"a", "b", "is", "ok"}},
		{"Ünïcödé wörds", []string{"ünïcödé", "wörds"}},
		{"@user hi", []string{"user", "hi"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range tokenizeWords(tt.in) {
			got = append(got, tok.norm)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("tokenizeWords(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCompileToxicityErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "groups:\n  - type: insult\n    colour: red\n", `t.yaml:3: unknown key "colour"`},
		{"bad type", "groups:\n  - type: rude\n    weight: 0.5\n    words: [a]\n", "known type"},
		{"unknown set", "patterns:\n  - type: threat\n    weight: 0.5\n    pattern: \"@nope you\"\n", "unknown set @nope"},
		{"bad gap", "patterns:\n  - type: threat\n    weight: 0.5\n    pattern: \"a *x b\"\n", "gap"},
		{"leading gap", "patterns:\n  - type: threat\n    weight: 0.5\n    pattern: \"*2 b\"\n", "must start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileToxicity([]byte(tt.yaml), "t.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzTokenizeWords(f *testing.F) {
	for _, s := range append(fuzzSeeds, "i d i o t", "sh1t!! @@ $$ ** ||", "k.i.l.l y.o.u", "\xff\xfe a b c", "Ⱥ BIG W0RD sh!t a|b f*ck* @me h@ck3r 2024 Ünï", "x!y!z ok. Fine; \u3002 k-i-l-l") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, tok := range tokenizeWords(text) {
			if tok.start < prev || tok.end <= tok.start || tok.end > len(text) || tok.norm == "" {
				t.Fatalf("bad token %+v in %q", tok, text)
			}
			prev = tok.end
		}
		fast := tokenizeWords(text)
		for k, tok := range fast {
			if tok.h != wordHash(tok.norm) || tok.run != hasRun(tok.norm) {
				t.Fatalf("token %+v: hash or run not those of its word", tok)
			}
			fast[k].h, fast[k].run = 0, false // the reference has neither
		}
		if diff := cmp.Diff(tokenizeWordsRef(text), fast, cmp.AllowUnexported(normToken{})); diff != "" {
			t.Fatalf("tokenizeWords(%q) differs from the reference (-ref +fast):\n%s", text, diff)
		}
		checkFindings(t, Toxicity{}, text, Toxicity{}.Scan(text))
		checkFindings(t, Harmful{}, text, Harmful{}.Scan(text))
	})
}

// tokenizeWordsRef is the first, straightforward tokenizer, kept as the
// oracle that the fast one must agree with (FuzzTokenizeWords). Letters spaced out one
// by one ("i d i o t", "k.i.l.l") are joined into one word.
func tokenizeWordsRef(text string) []normToken {
	toks := make([]normToken, 0, len(text)/5+1)
	// All normalised words go into one buffer, turned into one string at
	// the end, so a scan costs two allocations however many words it has.
	// offs holds each token's [start,end) in buf meanwhile.
	buf := make([]byte, 0, len(text))
	var offs []int
	clause := true
	for i := 0; i < len(text); {
		r, n := decodeRune(text, i)
		if !isWordRune(r) || ((r == '!' || r == '|' || r == '*') && !nextIsWordLetter(text, i)) {
			switch r {
			case '.', '!', '?', ';', ':', '\n', '\u3002':
				clause = true
			}
			i += n
			continue
		}
		// A word: a symbol only stays inside it when a letter or digit is
		// on both sides ("sh!t") or at its end for $ and * ("a$$").
		j := i
		letters := false
		for j < len(text) {
			r, n := decodeRune(text, j)
			if !isWordRune(r) || ((r == '!' || r == '|') && !nextIsWordLetter(text, j)) {
				break
			}
			letters = letters || unicode.IsLetter(r)
			j += n
		}
		for j > i+1 && (text[j-1] == '!' || text[j-1] == '@' || text[j-1] == '|') {
			j--
		}
		b0 := len(buf)
		for k := i; k < j; {
			r, n := decodeRune(text, k)
			k += n
			switch {
			case r >= utf8.RuneSelf:
				buf = utf8.AppendRune(buf, unicode.ToLower(r))
			case 'A' <= r && r <= 'Z':
				buf = append(buf, byte(r)+'a'-'A')
			case letters && leet[r] != 0 && !(k-n == i && r == '@'):
				buf = append(buf, leet[r])
			case r == '@' || r == '$' || r == '!' || r == '|':
				// Symbols in a word of no letters: drop them.
			default:
				buf = append(buf, byte(r))
			}
		}
		if len(buf) > b0 {
			toks = append(toks, normToken{start: i, end: j, clause: clause})
			offs = append(offs, b0, len(buf))
			clause = false
		}
		i = j
	}
	all := string(buf)
	for k := range toks {
		toks[k].norm = all[offs[2*k]:offs[2*k+1]]
	}
	return joinSpelled(text, toks)
}

func BenchmarkToxicity2KiB(b *testing.B) {
	text := prose2KiB()
	Toxicity{}.Scan(text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Toxicity{}.Scan(text)
	}
}
