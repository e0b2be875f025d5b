package guard

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParsePolicy checks the policy loader on any input: it never panics,
// every line of every error names the source, a policy it accepts
// validates, compiles or fails naming the source, and reads back the same
// after being written out.
//
//	go test ./guard -run '^$' -fuzz FuzzParsePolicy -fuzztime 60s
func FuzzParsePolicy(f *testing.F) {
	f.Add(string(defaultPolicy))
	if doc, err := os.ReadFile("../docs/guard.md"); err == nil {
		for _, b := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
			f.Add(string(b[1]))
		}
	}
	for _, s := range []string{
		"input:\n  - &a {scanner: pii, action: redact, redact: vault, types: [email]}\n  - <<: *a\n    action: warn\n",
		"output:\n  - scanner: canary\n    action: block\n    tokens: [rdbt-canary-7Q2M4XKJ9D3F6H8P2RTV]\n",
		"output:\n  - scanner: tokens\n    action: block\n    max_tokens: 10\n    encoding: p50k_base\n",
		"output:\n  - scanner: language\n    action: warn\n    languages: [en, latin]\n  - scanner: code\n    action: log\n    languages: [python]\n",
		"input:\n  - scanner: urls\n    allowed_domain: [x]\n    colour: 1\n",
		"version: 2\ninput: {}\n",
		"input:\n  - [scanner, pii]\n  - ~\n  - {}\n",
		"input:\n  - scanner: pii\n    action: warn\n    threshold: .nan\n",
	} {
		f.Add(s)
	}
	const source = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, src string) {
		p, err := ParsePolicy([]byte(src), source)
		if err != nil {
			namesSource(t, "ParsePolicy", err)
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted policy does not validate: %v", err)
		}
		// Compile it, less the injection rules: their constructor takes no
		// options and cannot fail, but builds the classifier's tables
		// (~20 ms), which would slow the fuzzer a hundredfold.
		c := *p
		c.Input = slices.DeleteFunc(slices.Clone(p.Input), isInjection)
		c.Output = slices.DeleteFunc(slices.Clone(p.Output), isInjection)
		if _, err := New(&c); err != nil {
			namesSource(t, "New", err)
		}
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("accepted policy does not marshal: %v", err)
		}
		q, err := ParsePolicy(out, source)
		if err != nil {
			t.Fatalf("written policy does not read back: %v\n%s", err, out)
		}
		if again, err := yaml.Marshal(q); err != nil || string(again) != string(out) {
			t.Fatalf("round trip changed the policy (%v):\n%s\nthen\n%s", err, out, again)
		}
	})
}

// namesSource fails unless every line of err starts with the source.
func namesSource(t *testing.T, what string, err error) {
	t.Helper()
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "fuzz.yaml:") {
			t.Fatalf("%s error line does not name the source: %q\nin %q", what, line, err)
		}
	}
}

func isInjection(r Rule) bool { return r.Scanner == "injection" }
