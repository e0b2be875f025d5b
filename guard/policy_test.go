package guard

import (
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Each scanner accepts its own keys and no other scanner's, and the errors
// say which key, where, for which scanner, and what was probably meant.
func TestPolicyScannerKeys(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"typo of own key", "output:\n  - scanner: urls\n    action: block\n    allowed_domain: [a.com]\n",
			`p.yaml:4: unknown key "allowed_domain" for scanner urls; did you mean "allowed_domains"?`},
		{"typo of rule key", "input:\n  - scanner: injection\n    action: block\n    treshold: 0.4\n",
			`p.yaml:4: unknown key "treshold" for scanner injection; did you mean "threshold"?`},
		{"other scanner's key", "output:\n  - scanner: code\n    action: warn\n    max_tokens: 5\n",
			`p.yaml:4: unknown key "max_tokens" for scanner code: max_tokens is an option of tokens (code takes scanner, action, threshold, redact, types, languages)`},
		{"key of two scanners", "input:\n  - scanner: pii\n    action: warn\n    languages: [en]\n",
			`p.yaml:4: unknown key "languages" for scanner pii: languages is an option of code, language`},
		{"nothing near", "input:\n  - scanner: secrets\n    action: warn\n    colour: red\n",
			`p.yaml:4: unknown key "colour" for scanner secrets (secrets takes scanner, action, threshold, redact, types)`},
		{"no scanner", "input:\n  - action: block\n", `p.yaml:2: a rule needs a scanner (known: bans, canary,`},
		{"empty scanner", "input:\n  - scanner:\n    action: block\n", `p.yaml:2: scanner is empty`},
		{"unknown scanner has a line", "version: 1\noutput:\n  - scanner: secrets\n    action: redact\n  - scanner: pi\n    action: warn\n",
			`p.yaml:5: unknown scanner "pi"; did you mean "pii"?`},
		{"duplicate key", "input:\n  - scanner: pii\n    action: warn\n    action: block\n", `p.yaml:4: key "action" is already set at line 3`},
		{"rule not a mapping", "input:\n  - pii\n", `p.yaml:2: a rule must be a mapping of keys (scanner, action, ...), not the value "pii"`},
		{"key not a name", "input:\n  - scanner: pii\n    [a]: b\n", `p.yaml:3: the keys of a rule are names, not a list`},
		{"unknown policy key", "version: 1\ninputs:\n  - scanner: pii\n    action: warn\n", `p.yaml:2: unknown key "inputs" in a policy; did you mean "input"?`},
		{"policy not a mapping", "0\n00\n", `p.yaml:1: a policy must be a mapping of keys (version, input, output), not the value "0 00"`},
		{"rules not a list", "output:\n  scanner: pii\n", `p.yaml:2: output is a list of rules, not a mapping`},
		{"empty rule", "input:\n  - scanner: pii\n    action: warn\n  -\n", `p.yaml:4: input[1] is empty: a rule needs a scanner and an action`},
		{"version not a number", "version: \"1\\n2\"\n", `p.yaml:1: version: cannot use string`},
		{"duplicate policy key", "input: []\ninput: []\n", `p.yaml:2: key "input" is already set at line 1`},
		{"option of wrong type", "output:\n  - scanner: tokens\n    action: block\n    max_tokens: lots\n",
			`p.yaml:4: tokens options: cannot use string`},
		{"rule key of wrong type", "input:\n  - scanner: pii\n    action: warn\n    threshold: [1]\n", `p.yaml:4: threshold: cannot unmarshal !!seq`},
		{"canary needs tokens", "output:\n  - scanner: canary\n    action: block\n", `p.yaml:2: output[0] (canary): tokens: the canary scanner needs at least one token`},
		{"canary token too short", "output:\n  - scanner: canary\n    action: block\n    tokens: [abc]\n", `p.yaml:2: output[0] (canary): tokens: "abc" is shorter than 8`},
		{"language needs languages", "output:\n  - scanner: language\n    action: warn\n", `p.yaml:2: output[0] (language): languages: the language scanner needs`},
		{"tokens needs a limit", "output:\n  - scanner: tokens\n    action: block\n    max_tokens: 0\n", `p.yaml:2: output[0] (tokens): max_tokens: the tokens scanner needs a limit of at least 1, got 0`},
		{"code language typo", "output:\n  - scanner: code\n    action: warn\n    languages: [pyhton]\n", `output[0] (code): languages: unknown language "pyhton"; did you mean "python"?`},
		{"pii type typo", "output:\n  - scanner: pii\n    action: redact\n    types: [emial]\n", `p.yaml:2: output[0] (pii): types: unknown type "emial"; did you mean "email"?`},
		{"nan threshold", "input:\n  - scanner: pii\n    action: warn\n    threshold: .nan\n", "threshold NaN is outside 0..1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.yaml), "p.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// Every mistake is reported at once, each on its own line with its place.
func TestPolicyReportsEveryError(t *testing.T) {
	src := "input:\n  - scanner: pii\n    colour: red\n    action: warn\n  - scanner: secrets\n    action: warn\n    tokens: [x]\n" +
		"output:\n  - scanner: pii\n    action: drop\n  - scanner: urls\n    action: warn\n    threshold: 3\n"
	_, err := ParsePolicy([]byte(src), "many.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	// Decoding errors come first (the rest is not validated until the
	// policy decodes).
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `many.yaml:3: unknown key "colour"`) || !strings.HasPrefix(lines[1], `many.yaml:7: unknown key "tokens"`) {
		t.Errorf("decoding errors:\n%v", err)
	}
	src = "input:\n  - scanner: pii\n    action: warn\noutput:\n  - scanner: pii\n    action: drop\n  - scanner: urls\n    action: warn\n    threshold: 3\n"
	_, err = ParsePolicy([]byte(src), "many.yaml")
	want := "many.yaml:5: output[0] (pii): unknown action \"drop\" (want block, redact, warn or log)\nmany.yaml:7: output[1] (urls): threshold 3 is outside 0..1"
	if err == nil || err.Error() != want {
		t.Errorf("validation errors:\n%v\nwant\n%s", err, want)
	}
}

// Options decode into the scanner's own type, and merge keys work as in
// any YAML.
func TestPolicyOptionsDecode(t *testing.T) {
	p, err := ParsePolicy([]byte(`output:
  - &base
    scanner: bans
    action: block
    competitors: [Globex]
    topics: {politics: [election, senator, ballot]}
  - <<: *base
    action: warn
    substrings: [internal use only]
  - scanner: tokens
    action: block
    max_tokens: 4096
    encoding: o200k_base
  - scanner: injection
    action: warn
`), "o.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b0, ok := p.Output[0].Options.(*BansOptions)
	if !ok || !slices.Equal(b0.Competitors, []string{"Globex"}) || len(b0.Topics["politics"]) != 3 || len(b0.Substrings) != 0 {
		t.Errorf("bans options: %#v", p.Output[0].Options)
	}
	b1, ok := p.Output[1].Options.(*BansOptions)
	if !ok || p.Output[1].Action != Warn || p.Output[1].Scanner != "bans" || !slices.Equal(b1.Competitors, []string{"Globex"}) || !slices.Equal(b1.Substrings, []string{"internal use only"}) {
		t.Errorf("merged rule: %+v %#v", p.Output[1], p.Output[1].Options)
	}
	if o, ok := p.Output[2].Options.(*TokensOptions); !ok || *o != (TokensOptions{MaxTokens: 4096, Encoding: "o200k_base"}) {
		t.Errorf("tokens options: %#v", p.Output[2].Options)
	}
	if p.Output[3].Options != nil {
		t.Errorf("injection has no options, got %#v", p.Output[3].Options)
	}
	g := guardOf(t, p)
	if d := g.CheckOutput("", "Our friends at Globex did it."); !d.Blocked() {
		t.Errorf("competitor not blocked: %+v", d)
	}
	if d := g.CheckOutput("", "This memo is for internal use only."); d.Action != Warn {
		t.Errorf("merged rule's substring: %+v", d)
	}
}

// Rules built in Go take their scanner's options type; a wrong one is an
// error, not a silently ignored setting.
func TestRuleOptionsInGo(t *testing.T) {
	g := guardOf(t, &Policy{Output: []Rule{{Scanner: "canary", Action: Block, Options: &CanaryOptions{Tokens: []string{"rdbt-canary-7Q2M4XKJ9D3F6H8P2RTV"}}}}})
	if d := g.CheckOutput("", "the secret is rdbt-canary-7Q2M4XKJ9D3F6H8P2RTV ok"); !d.Blocked() {
		t.Errorf("canary not blocked: %+v", d)
	}
	for _, tt := range []struct {
		rule Rule
		want string
	}{
		{Rule{Scanner: "urls", Action: Block, Options: &CanaryOptions{Tokens: []string{"x"}}}, "output[0] (urls): options: scanner urls takes *guard.URLsOptions, got *guard.CanaryOptions"},
		{Rule{Scanner: "pii", Action: Block, Options: &URLsOptions{}}, "output[0] (pii): scanner pii takes no options, got *guard.URLsOptions"},
		{Rule{Scanner: "canary", Action: Block}, "tokens: the canary scanner needs at least one token"},
		{Rule{Scanner: "canary", Action: Block, Options: (*CanaryOptions)(nil)}, "tokens: the canary scanner needs at least one token"},
		{Rule{Scanner: "bans", Action: Block, Options: &BansOptions{Regexes: []string{"(x"}}}, "output[0] (bans): bans: regex 1"},
		{Rule{Scanner: "tokens", Action: Block, Options: &TokensOptions{MaxTokens: 5, Encoding: "nope"}}, `output[0] (tokens): tokens: encoding "nope"`},
		{Rule{Scanner: "secrets", Action: Redact, Redact: "scramble"}, `unknown redact mode "scramble"`},
		{Rule{Scanner: "secrets", Action: Warn, Threshold: ptr(math.Inf(1))}, "outside 0..1"},
	} {
		_, err := New(&Policy{Output: []Rule{tt.rule}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("rule %+v: error %v, want %q", tt.rule, err, tt.want)
		}
	}
	// A build error of a parsed policy names the file and the rule's line.
	p, err := ParsePolicy([]byte("output:\n  - scanner: secrets\n    action: warn\n  - scanner: bans\n    action: block\n    regexes: ['(x']\n"), "b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(p); err == nil || !strings.HasPrefix(err.Error(), "b.yaml:4: output[1] (bans): bans: regex 1") {
		t.Errorf("build error = %v", err)
	}
}

// A policy written back to YAML reads back the same; the flat form is kept.
func TestPolicyMarshalRoundTrip(t *testing.T) {
	src := `version: 1
input:
    - scanner: pii
      action: redact
      threshold: 0.7
      redact: vault
      types: [email, phone]
output:
    - scanner: urls
      action: block
      allowed_domains: [example.com]
    - scanner: bans
      action: warn
      topics: {politics: [election, senator]}
    - scanner: code
      action: log
`
	p, err := ParsePolicy([]byte(src), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n      allowed_domains:\n", "\n      redact: vault\n", "\n      threshold: 0.7\n", "- scanner: code\n      action: log\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("marshalled policy lacks %q:\n%s", want, out)
		}
	}
	q, err := ParsePolicy(out, "r2.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	again, _ := yaml.Marshal(q)
	if string(again) != string(out) {
		t.Errorf("round trip changed the policy:\n%s\nthen\n%s", out, again)
	}
}

// The examples in docs/guard.md are valid policies, and its scanner table
// lists every scanner with exactly its option keys: adding a scanner means
// adding its row.
func TestDocsMatchRegistry(t *testing.T) {
	doc, err := os.ReadFile("../docs/guard.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("no yaml examples in docs/guard.md")
	}
	for i, b := range blocks {
		p, err := ParsePolicy(b[1], "docs/guard.md example")
		if err != nil {
			t.Errorf("example %d: %v", i+1, err)
			continue
		}
		if _, err := New(p); err != nil {
			t.Errorf("example %d: %v", i+1, err)
		}
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|[^|]*\\|[^|]*\\|([^|]*)\\|$").FindAllSubmatch(doc, -1)
	documented := map[string][]string{}
	for _, r := range rows {
		var keys []string
		for _, k := range regexp.MustCompile("`([a-z_]+)`").FindAllSubmatch(r[2], -1) {
			if string(k[1]) != "types" {
				keys = append(keys, string(k[1]))
			}
		}
		documented[string(r[1])] = keys
	}
	for _, name := range ScannerNames() {
		keys, ok := documented[name]
		if !ok {
			t.Errorf("docs/guard.md: no row for scanner %s", name)
			continue
		}
		if !slices.Equal(keys, registry[name].keys) {
			t.Errorf("docs/guard.md: %s options %v, the scanner has %v", name, keys, registry[name].keys)
		}
	}
	for name := range documented {
		if _, ok := registry[name]; !ok {
			t.Errorf("docs/guard.md documents scanner %s, which does not exist", name)
		}
	}
}

// The registry's own invariants: option keys never shadow rule keys, and a
// scanner with options decodes into its own options type.
func TestRegistry(t *testing.T) {
	for name, s := range registry {
		if s.build == nil {
			t.Errorf("%s: no constructor", name)
		}
		if (s.options == nil) != (s.newOptions == nil) || (s.options == nil) != (len(s.keys) == 0) {
			t.Errorf("%s: options type %v, keys %v", name, s.options, s.keys)
		}
		for _, k := range s.keys {
			if slices.Contains(ruleKeys, k) {
				t.Errorf("%s: option %s shadows a rule key", name, k)
			}
		}
		if s.newOptions != nil {
			if o := s.newOptions(); reflect.TypeOf(o) != s.options {
				t.Errorf("%s: newOptions gives %T, want %v", name, o, s.options)
			}
		}
	}
}
