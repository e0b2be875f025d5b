package guard

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/internal/suggest"
	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// Action is what a rule does when its scanner fires.
type Action string

// Actions, from strongest to weakest. A decision's action is the strongest
// action of the rules that fired.
const (
	// Block rejects the text: the caller must not pass it on.
	Block Action = "block"
	// Redact replaces the findings' spans and passes the sanitised text on.
	Redact Action = "redact"
	// Warn passes the text on unchanged and flags the decision.
	Warn Action = "warn"
	// Log records the findings without flagging the decision.
	Log Action = "log"
	// Allow is the action of a decision no rule fired on.
	Allow Action = "allow"
)

// rank orders actions by strength.
func (a Action) rank() int {
	switch a {
	case Block:
		return 4
	case Redact:
		return 3
	case Warn:
		return 2
	case Log:
		return 1
	}
	return 0
}

// RedactMode says how a redact rule replaces what its scanner found.
type RedactMode string

// Redaction modes.
const (
	// RedactTag replaces a value with its type: "[EMAIL]" (the default).
	RedactTag RedactMode = "tag"
	// RedactMask replaces each character with '*', keeping the length.
	RedactMask RedactMode = "mask"
	// RedactHash replaces a value with its type and a salted hash,
	// "[EMAIL:3f2a9c0d1b7e]", so equal values can still be joined
	// (WithHashSalt).
	RedactHash RedactMode = "hash"
	// RedactVault replaces values with numbered placeholders, "[EMAIL_1]",
	// that a Session restores in the reply. Without a Session it is
	// RedactTag.
	RedactVault RedactMode = "vault"
)

// Policy says which scanners run on input (prompts) and on output (replies),
// with what threshold and what action. It is written in YAML
// (docs/guard.md); DefaultPolicy is the built-in one.
type Policy struct {
	// Version of the policy schema; 1.
	Version int `yaml:"version"`
	// Input rules run on prompts, in order.
	Input []Rule `yaml:"input"`
	// Output rules run on model replies, in order.
	Output []Rule `yaml:"output"`

	source string // the file it was parsed from, for errors
}

// Rule is one scanner with its settings. In YAML its keys are flat: the
// rule keys below and the keys of the scanner's options, side by side; a
// key the scanner does not have is an error.
type Rule struct {
	// Scanner names the detector (ScannerNames lists them).
	Scanner string
	// Action is block, redact, warn or log.
	Action Action
	// Threshold is the score at or above which a finding counts (0..1,
	// default 0.5).
	Threshold *float64
	// Redact is the redaction mode of a redact rule (default tag).
	Redact RedactMode
	// Types restricts the rule to these finding types (e.g. email, phone).
	Types []string
	// Options are the scanner's own settings, of its options type (the
	// urls scanner takes *URLsOptions, ...); nil for the defaults, and
	// for scanners that have no options.
	Options ScannerOptions

	line int // where the rule starts in its policy file, for errors
}

// DefaultThreshold is a rule's threshold when the policy gives none.
const DefaultThreshold = 0.5

func (r Rule) threshold() float64 {
	if r.Threshold == nil {
		return DefaultThreshold
	}
	return *r.Threshold
}

//go:embed default.yaml
var defaultPolicy []byte

// DefaultPolicy returns the built-in policy: cheap enough for every request
// (docs/benchmarks.md), strict where a miss is costly.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(defaultPolicy, "default.yaml")
	if err != nil {
		panic("guard: embedded default policy is invalid: " + err.Error())
	}
	return p
}

// LoadPolicy reads a policy file.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	return ParsePolicy(data, path)
}

// ParsePolicy decodes a policy strictly and validates it. Every error names
// source and, where the policy has one, the line.
func ParsePolicy(data []byte, source string) (*Policy, error) {
	var p Policy
	if err := yamlx.Decode(data, source, &p); err != nil {
		return nil, err
	}
	p.source = source
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks scanners, actions, thresholds, redaction modes and
// scanner options, and reports every rule that is wrong.
func (p *Policy) Validate() error {
	if p.Version != 0 && p.Version != 1 {
		return fmt.Errorf("%sversion %d is not supported (want 1)", where(p.source, 0), p.Version)
	}
	var errs []error
	for _, side := range []struct {
		dir   Direction
		rules []Rule
	}{{Input, p.Input}, {Output, p.Output}} {
		for i, r := range side.rules {
			if err := r.validate(); err != nil {
				errs = append(errs, ruleError(p.source, side.dir, i, r, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ruleError places err at its rule: "p.yaml:12: output[3] (pii): ...".
func ruleError(source string, dir Direction, i int, r Rule, err error) error {
	return fmt.Errorf("%s%s[%d] (%s): %w", where(source, r.line), dir, i, r.Scanner, err)
}

// where renders "source:line: ", leaving out what is unknown.
func where(source string, line int) string {
	switch {
	case source != "" && line > 0:
		return fmt.Sprintf("%s:%d: ", source, line)
	case source != "":
		return source + ": "
	case line > 0:
		return fmt.Sprintf("line %d: ", line)
	}
	return ""
}

func (r Rule) validate() error {
	spec, ok := registry[r.Scanner]
	if !ok {
		if r.Scanner == "" {
			return fmt.Errorf("scanner is required (known: %s)", strings.Join(ScannerNames(), ", "))
		}
		return fmt.Errorf("unknown scanner %q%s", r.Scanner, suggest.HintOrList(r.Scanner, ScannerNames()))
	}
	switch r.Action {
	case Block, Redact, Warn, Log:
	case "":
		return errors.New("action is required (block, redact, warn or log)")
	default:
		return fmt.Errorf("unknown action %q (want block, redact, warn or log)", r.Action)
	}
	// Written as a negation so that NaN, which compares false, is refused.
	if t := r.threshold(); !(t >= 0 && t <= 1) {
		return fmt.Errorf("threshold %v is outside 0..1", t)
	}
	if r.Redact != "" && r.Action != Redact {
		return fmt.Errorf("redact: %q is set but the action is %s, not redact", r.Redact, r.Action)
	}
	if r.Action == Redact {
		if !spec.spans {
			return fmt.Errorf("action redact needs findings with spans, and %s scores the whole text: use block, warn or log", r.Scanner)
		}
		switch r.Redact {
		case "", RedactMask, RedactTag, RedactHash, RedactVault:
		default:
			return fmt.Errorf("unknown redact mode %q (want mask, tag, hash or vault)", r.Redact)
		}
	}
	if spec.types != nil {
		known := spec.types()
		for _, t := range r.Types {
			if !slices.Contains(known, t) {
				return fmt.Errorf("types: unknown type %q%s", t, suggest.HintOrList(t, known))
			}
		}
	}
	opts := r.Options
	if opts != nil {
		if spec.options == nil {
			return fmt.Errorf("scanner %s takes no options, got %T", r.Scanner, opts)
		}
		if reflect.TypeOf(opts) != spec.options {
			return fmt.Errorf("options: scanner %s takes %v, got %T", r.Scanner, spec.options, opts)
		}
	}
	if spec.options != nil && (opts == nil || reflect.ValueOf(opts).IsNil()) {
		opts = spec.newOptions() // the defaults must be valid too: a canary rule needs tokens
	}
	if v, ok := opts.(optionsValidator); ok {
		return v.validate()
	}
	return nil
}

// UnmarshalYAML decodes a policy strictly, with the rules' own decoding
// (Rule.UnmarshalYAML) for its input and output lists. A policy is decoded
// by hand rather than by go-yaml's strict mode, which a custom unmarshaler
// does not inherit, so that every error, at every level, says where it is.
func (p *Policy) UnmarshalYAML(n *yaml.Node) error {
	var errs []string
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
	}
	keys := []string{"version", "input", "output"}
	for _, kv := range mappingPairs(n, "a policy", strings.Join(keys, ", "), fail) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "version":
			if err := v.Decode(&p.Version); err != nil {
				errs = append(errs, yamlErrors("version", v, err)...)
			}
		case "input":
			p.Input = decodeRules("input", v, fail, &errs)
		case "output":
			p.Output = decodeRules("output", v, fail, &errs)
		default:
			fail(k.Line, "unknown key %q in a policy%s", k.Value, suggest.HintOrList(k.Value, keys))
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// decodeRules decodes a list of rules; an empty item is an error rather
// than a rule silently dropped.
func decodeRules(key string, n *yaml.Node, fail func(int, string, ...any), errs *[]string) []Rule {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		fail(n.Line, "%s is a list of rules, not %s", key, kindName(n))
		return nil
	}
	rules := make([]Rule, 0, len(n.Content))
	for i, item := range n.Content {
		if item.ShortTag() == "!!null" {
			fail(item.Line, "%s[%d] is empty: a rule needs a scanner and an action", key, i)
			continue
		}
		var r Rule
		if err := item.Decode(&r); err != nil {
			*errs = append(*errs, yamlErrors("", item, err)...)
			continue
		}
		rules = append(rules, r)
	}
	return rules
}

// yamlErrors turns an error from decoding node into "line N: ..."
// messages, naming key in go-yaml's own messages (key "" leaves them as
// they are: a rule's errors already say what they are about).
func yamlErrors(key string, node *yaml.Node, err error) []string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		if key != "" {
			key += ": "
		}
		return []string{fmt.Sprintf("line %d: %s%s", node.Line, key, oneLine(err.Error()))}
	}
	out := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		e = oneLine(e)
		// "line 4: cannot unmarshal ..." -> "line 4: threshold: cannot unmarshal ..."
		if l, rest, ok := strings.Cut(e, ": "); ok && key != "" && strings.HasPrefix(l, "line ") {
			e = l + ": " + key + ": " + rest
		}
		out[i] = e
	}
	return out
}

// oneLine escapes newlines: go-yaml quotes values verbatim in its messages,
// and every line of an error must start with the place it is about.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }

// UnmarshalYAML decodes a rule strictly: the scanner key decides which
// option keys the rest of the rule may have, and a key it does not have is
// an error that names the key, its line and the scanner, with the nearest
// key it does have. Errors are collected so that yamlx reports all of
// them, each with its line.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	*r = Rule{line: n.Line}
	var errs []string
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
	}
	decode := func(key string, v *yaml.Node, dst any) {
		if err := v.Decode(dst); err != nil {
			errs = append(errs, yamlErrors(key, v, err)...)
		}
	}
	done := func() error {
		if len(errs) > 0 {
			return &yaml.TypeError{Errors: errs}
		}
		return nil
	}

	pairs := mappingPairs(n, "a rule", "scanner, action, ...", fail)
	// The scanner first: it decides which keys the rule may have.
	i := slices.IndexFunc(pairs, func(kv [2]*yaml.Node) bool { return kv[0].Value == "scanner" })
	if i < 0 {
		if len(errs) == 0 {
			fail(n.Line, "a rule needs a scanner (known: %s)", strings.Join(ScannerNames(), ", "))
		}
		return done()
	}
	before := len(errs)
	if decode("scanner", pairs[i][1], &r.Scanner); len(errs) > before {
		return done()
	}
	spec, ok := registry[r.Scanner]
	switch {
	case r.Scanner == "":
		fail(pairs[i][1].Line, "scanner is empty (known: %s)", strings.Join(ScannerNames(), ", "))
		return done()
	case !ok:
		fail(pairs[i][1].Line, "unknown scanner %q%s", r.Scanner, suggest.HintOrList(r.Scanner, ScannerNames()))
		return done()
	}

	var opts []*yaml.Node // the scanner's own keys and values
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "scanner":
		case "action":
			decode(k.Value, v, &r.Action)
		case "threshold":
			decode(k.Value, v, &r.Threshold)
		case "redact":
			decode(k.Value, v, &r.Redact)
		case "types":
			decode(k.Value, v, &r.Types)
		default:
			if slices.Contains(spec.keys, k.Value) {
				opts = append(opts, k, v)
				continue
			}
			fail(k.Line, "%s", unknownKey(k.Value, r.Scanner, spec))
		}
	}
	if spec.options != nil {
		o := spec.newOptions()
		if len(opts) > 0 {
			decode(r.Scanner+" options", &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Content: opts}, o)
		}
		r.Options = o
	}
	return done()
}

// unknownKey explains a key that a scanner's rules do not have.
func unknownKey(key, scanner string, s *spec) string {
	keys := append(slices.Clone(ruleKeys), s.keys...)
	msg := fmt.Sprintf("unknown key %q for scanner %s", key, scanner)
	if hint := suggest.Hint(key, keys); hint != "" {
		return msg + hint
	}
	if owners := keyOwners(key); len(owners) > 0 {
		return fmt.Sprintf("%s: %s is an option of %s (%s takes %s)", msg, key, strings.Join(owners, ", "), scanner, strings.Join(keys, ", "))
	}
	return fmt.Sprintf("%s (%s takes %s)", msg, scanner, strings.Join(keys, ", "))
}

// maxMergeDepth bounds how deeply merge keys (<<) may nest; real policies
// use one level.
const maxMergeDepth = 8

// mappingPairs returns the key/value pairs of a mapping (what: "a rule"),
// aliases resolved and merge keys (<<: *defaults) expanded as YAML defines
// them: keys written in the rule win over merged ones, and earlier merged
// mappings over later ones. Duplicate keys are errors, as everywhere else
// in a policy.
func mappingPairs(n *yaml.Node, what, keys string, fail func(int, string, ...any)) [][2]*yaml.Node {
	var pairs [][2]*yaml.Node
	seen := map[string]int{} // key -> line of its first occurrence
	var walk func(n *yaml.Node, depth int, merged bool)
	walk = func(n *yaml.Node, depth int, merged bool) {
		for n.Kind == yaml.AliasNode && n.Alias != nil && depth <= maxMergeDepth {
			n, depth = n.Alias, depth+1
		}
		if depth > maxMergeDepth {
			fail(n.Line, "merge keys nest deeper than %d levels", maxMergeDepth)
			return
		}
		if n.Kind != yaml.MappingNode {
			kind := "a mapping"
			if merged {
				kind = "a merged mapping"
			}
			fail(n.Line, "%s must be %s of keys (%s), not %s", what, kind, keys, kindName(n))
			return
		}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				merges = append(merges, v)
				continue
			}
			if k.Kind != yaml.ScalarNode {
				fail(k.Line, "the keys of %s are names, not %s", what, kindName(k))
				continue
			}
			if first, dup := seen[k.Value]; dup {
				if !merged {
					fail(k.Line, "key %q is already set at line %d", k.Value, first)
				}
				continue
			}
			seen[k.Value] = k.Line
			pairs = append(pairs, [2]*yaml.Node{k, v})
		}
		for _, m := range merges {
			for m.Kind == yaml.AliasNode && m.Alias != nil && depth <= maxMergeDepth {
				m, depth = m.Alias, depth+1
			}
			if m.Kind == yaml.SequenceNode {
				for _, item := range m.Content {
					walk(item, depth+1, true)
				}
				continue
			}
			walk(m, depth+1, true)
		}
	}
	walk(n, 0, false)
	return pairs
}

// kindName names a YAML node's kind for errors.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// MarshalYAML writes a rule in its flat form (the scanner's options beside
// the rule keys), the form UnmarshalYAML reads.
func (r Rule) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(key string, v any) error {
		var vn yaml.Node
		if err := vn.Encode(v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, &vn)
		return nil
	}
	fields := []struct {
		key  string
		v    any
		omit bool
	}{
		{"scanner", r.Scanner, false},
		{"action", r.Action, r.Action == ""},
		{"threshold", r.Threshold, r.Threshold == nil},
		{"redact", r.Redact, r.Redact == ""},
		{"types", r.Types, r.Types == nil},
	}
	for _, f := range fields {
		if !f.omit {
			if err := add(f.key, f.v); err != nil {
				return nil, err
			}
		}
	}
	if r.Options != nil && !reflect.ValueOf(r.Options).IsNil() {
		var on yaml.Node
		if err := on.Encode(r.Options); err != nil {
			return nil, err
		}
		if on.Kind == yaml.MappingNode {
			n.Content = append(n.Content, on.Content...)
		}
	}
	return n, nil
}
