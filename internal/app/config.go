package app

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/internal/pricing"
	"github.com/redoubt-sec/redoubt/internal/suggest"
	"github.com/redoubt-sec/redoubt/internal/yamlx"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
	"github.com/redoubt-sec/redoubt/redteam/judge"
	"github.com/redoubt-sec/redoubt/target"
)

// Config is the content of redoubt.yaml (docs/configuration.md documents
// every key). Flags given on the command line override it.
type Config struct {
	// Target is the system under test.
	Target target.Config `yaml:"target"`
	// Purpose describes the target; it fills {purpose} in seed prompts.
	Purpose string `yaml:"purpose"`
	// SystemPrompt is the target's system prompt, if known, for the
	// system-prompt leakage judge.
	SystemPrompt string `yaml:"system_prompt"`
	// Canaries are strings that must never appear in a reply.
	Canaries []string `yaml:"canaries"`
	// AllowedDomains are the domains links and images may point at.
	AllowedDomains []string `yaml:"allowed_domains"`
	// Competitors are names the target must not promote.
	Competitors []string `yaml:"competitors"`
	// Caller holds the identifiers and data of the user the run attacks
	// as (name, e-mail, account number): the target may give callers their
	// own data.
	Caller []string `yaml:"caller"`
	// Public holds what the operator publishes (support numbers, public
	// e-mails, knowledge-base passages): repeating it leaks nothing.
	Public []string `yaml:"public"`
	// ToolsReported says the target reports every tool call it makes, so
	// a reply without one took no action.
	ToolsReported bool `yaml:"tools_reported"`
	// JudgeModels are the judge models (one, or two for an ensemble) that
	// read each probe against its sub-type's rubric after the
	// deterministic judges; none: the run stays offline and the
	// deterministic judges decide alone. Same keys as target.
	JudgeModels []target.Config `yaml:"judge_models"`
	// AttackerModels are the attacker models that write the turns of the
	// model-driven attacks (linear_jailbreak, crescendo): the first is the
	// attacker, an optional second its fallback. None: those attacks are
	// left out and the run stays offline. Same keys as target.
	AttackerModels []target.Config `yaml:"attacker_models"`
	// ModelCache keeps the judge models' replies on disk, next to the run
	// store (.redoubt/cache/), keyed by model, configuration and conversation,
	// so a re-run or a resumed run asks again only what is new. Default
	// on; false turns it off.
	ModelCache *bool `yaml:"model_cache"`
	// JudgeGuidelines is free text added to the judge models'
	// instructions ("medical dosage questions are allowed").
	JudgeGuidelines string `yaml:"judge_guidelines"`
	// JudgeExamples are labelled replies (reply, verdict, why) that
	// calibrate the judge models; they go into their instructions.
	JudgeExamples []judge.RubricExample `yaml:"judge_examples"`

	// Vulnerabilities selects what to test ("vuln" or "vuln:type").
	Vulnerabilities []string `yaml:"vulnerabilities"`
	// Attacks selects the attacks to apply.
	Attacks []string `yaml:"attacks"`
	// PerType is the number of probes per sub-type and attack.
	PerType int `yaml:"per_type"`
	// Max caps the number of probes (sampled deterministically).
	Max int `yaml:"max"`
	// Seed makes the plan reproducible.
	Seed *int64 `yaml:"seed"`
	// Concurrency bounds the probes in flight.
	Concurrency int `yaml:"concurrency"`
	// FailUnder is the pass rate (0..1) below which the command exits 1.
	FailUnder *float64 `yaml:"fail_under"`
	// MaxErrorRate is the share of probes (0..1) that may end without a
	// verdict (the target, a judge or an attack failed) before the command
	// exits 4: the results are then incomplete. Default 0.05.
	MaxErrorRate *float64 `yaml:"max_error_rate"`
	// PreflightTimeout bounds the preflight exchange (default 30s; 0s skips
	// the preflight).
	PreflightTimeout *target.Duration `yaml:"preflight_timeout"`
	// Prices are USD prices per million tokens of model name patterns,
	// tried before PricesFile's and the embedded table's (internal/pricing).
	Prices pricing.Table `yaml:"prices"`
	// PricesFile is a YAML list of prices, tried after Prices.
	PricesFile string `yaml:"prices_file"`
	// MaxCost, MaxCalls and TimeBudget stop a run cleanly (interrupted,
	// resumable) once its models have cost this many USD, attacker and
	// judge models have been called this many times, or it has played this
	// long. Zero or absent: no limit.
	MaxCost    *float64         `yaml:"max_cost"`
	MaxCalls   *int             `yaml:"max_calls"`
	TimeBudget *target.Duration `yaml:"time_budget"`
	// Out is the output directory; DB the SQLite store.
	Out string `yaml:"out"`
	DB  string `yaml:"db"`

	// Framework runs what a framework maps to (owasp-llm-2025, ...).
	Framework string `yaml:"framework"`
	// FrameworksSummary adds a table per framework to the text summary
	// of an ordinary run (results.json always has them).
	FrameworksSummary bool `yaml:"frameworks_summary"`
	// Dataset adds the prompts of a CSV or JSON-lines file as probes.
	Dataset *redteam.DatasetSpec `yaml:"dataset"`
	// CustomVulnerabilities are the user's own vulnerabilities, with the
	// schema of the built-in catalog plus criteria and framework mappings.
	CustomVulnerabilities []CustomVulnerability `yaml:"custom_vulnerabilities"`

	// catalog is the built-in catalog merged with CustomVulnerabilities
	// and frameworks the built-in frameworks with them mapped in; both are
	// nil when there are none (loadConfig sets them).
	catalog    *catalog.Catalog
	frameworks []catalog.Framework
	// priceFile is PricesFile's table.
	priceFile pricing.Table
}

// PriceTable is the table a run prices tokens with: Prices, then
// PricesFile's entries, then the embedded table.
func (c *Config) PriceTable() pricing.Table {
	return pricing.Default().With(append(append(pricing.Table{}, c.Prices...), c.priceFile...))
}

// CustomVulnerability is a vulnerability the user defines in the
// configuration. It has the fields of a built-in one (catalog.Vulnerability)
// and is checked by the same rules, plus:
type CustomVulnerability struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Category    string `yaml:"category"`
	Description string `yaml:"description"`
	// Criteria say what a failing reply looks like for the vulnerability
	// as a whole; they are put before each sub-type's rubric, for the model
	// judges that read rubrics.
	Criteria string `yaml:"criteria"`
	// Frameworks are categories ("owasp-llm-2025:LLM01") this vulnerability
	// tests: framework runs plan it there, and summaries count it there.
	Frameworks []string       `yaml:"frameworks"`
	Types      []catalog.Type `yaml:"types"`
}

// customOnlyKeys are the keys of a custom vulnerability that the catalog
// schema does not have.
var customOnlyKeys = []string{"criteria", "frameworks"}

// Catalog returns the catalog a run plans from: the built-in one, with the
// custom vulnerabilities added.
func (c *Config) Catalog() *catalog.Catalog {
	if c.catalog != nil {
		return c.catalog
	}
	return catalog.Default()
}

// Frameworks returns the frameworks a run resolves --framework against and
// summarises by: the built-in ones, with the custom vulnerabilities mapped
// into the categories they name.
func (c *Config) Frameworks() []catalog.Framework {
	if c.frameworks != nil {
		return c.frameworks
	}
	return catalog.Frameworks()
}

// LoadConfig reads and strictly decodes a configuration file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig strictly decodes a configuration; path names it in errors,
// which give the line where they can.
func ParseConfig(data []byte, path string) (*Config, error) {
	var c Config
	if err := yamlx.Decode(data, path, &c); err != nil {
		return nil, err
	}
	if c.FailUnder != nil && (*c.FailUnder < 0 || *c.FailUnder > 1) {
		return nil, fmt.Errorf("%s: fail_under must be between 0 and 1, got %v", path, *c.FailUnder)
	}
	if c.MaxErrorRate != nil && (*c.MaxErrorRate < 0 || *c.MaxErrorRate > 1) {
		return nil, fmt.Errorf("%s: max_error_rate must be between 0 and 1, got %v", path, *c.MaxErrorRate)
	}
	if err := c.Prices.Validate(path); err != nil {
		return nil, err
	}
	if c.PricesFile != "" {
		t, err := pricing.Load(c.PricesFile)
		if err != nil {
			return nil, fmt.Errorf("%s: prices_file: %w", path, err)
		}
		c.priceFile = t
	}
	switch {
	case c.MaxCost != nil && *c.MaxCost < 0:
		return nil, fmt.Errorf("%s: max_cost is in USD, 0 (no limit) or more, got %v", path, *c.MaxCost)
	case c.MaxCalls != nil && *c.MaxCalls < 0:
		return nil, fmt.Errorf("%s: max_calls must be 0 (no limit) or more, got %d", path, *c.MaxCalls)
	case c.TimeBudget != nil && *c.TimeBudget < 0:
		return nil, fmt.Errorf("%s: time_budget must be 0 (no limit) or more, got %s", path, time.Duration(*c.TimeBudget))
	}
	if len(c.JudgeModels) > 2 {
		return nil, fmt.Errorf("%s: judge_models holds %d models; give one, or two for an ensemble", path, len(c.JudgeModels))
	}
	for i, m := range c.JudgeModels {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("%s: judge_models[%d]: %w", path, i, err)
		}
	}
	for i, e := range c.JudgeExamples {
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("%s: judge_examples[%d]: %w", path, i, err)
		}
	}
	if err := checkAttackerModels(&c, path); err != nil {
		return nil, err
	}
	if len(c.CustomVulnerabilities) > 0 {
		cat, fws, err := loadCustom(data, path, c.CustomVulnerabilities)
		if err != nil {
			return nil, err
		}
		c.catalog, c.frameworks = cat, fws
	}
	return &c, nil
}

// loadCustom checks the custom vulnerabilities of the configuration in data
// and returns the merged catalog and frameworks. Every problem is reported,
// each as "path:line: ..." where the layout allows (see maskCustom).
func loadCustom(data []byte, path string, custom []CustomVulnerability) (*catalog.Catalog, []catalog.Framework, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil, nil, fmt.Errorf("%s: re-reading custom_vulnerabilities: %v", path, err)
	}
	root := doc.Content[0]
	key, list := mappingEntry(root, "custom_vulnerabilities")
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) != len(custom) {
		return nil, nil, fmt.Errorf("%s: custom_vulnerabilities must be a list", path)
	}
	errorf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}

	base := catalog.Default()
	fws := catalog.Frameworks()
	fwIDs := make([]string, len(fws))
	for i, f := range fws {
		fwIDs[i] = f.ID
	}
	builtin := make([]string, len(base.Vulnerabilities))
	for i, v := range base.Vulnerabilities {
		builtin[i] = v.ID
	}
	var errs []error
	for i, v := range custom {
		item := list.Content[i]
		line := func(key string) int {
			if k, val := mappingEntry(item, key); k != nil {
				if val.Kind == yaml.SequenceNode && len(val.Content) > 0 {
					return val.Content[0].Line
				}
				return k.Line
			}
			return item.Line
		}
		label := fmt.Sprintf("custom vulnerability %q", v.ID)
		if slices.Contains(builtin, v.ID) {
			errs = append(errs, errorf(line("id"), "%s has the id of a built-in vulnerability; choose another id", label))
		}
		if strings.TrimSpace(v.Criteria) == "" {
			errs = append(errs, errorf(line("criteria"), "missing field \"criteria\" in %s: say what a failing reply looks like", label))
		}
		_, refs := mappingEntry(item, "frameworks")
		for j, ref := range v.Frameworks {
			refLine := item.Line
			if refs != nil && j < len(refs.Content) {
				refLine = refs.Content[j].Line
			}
			fwID, catID, ok := strings.Cut(strings.TrimSpace(ref), ":")
			if !ok || fwID == "" || catID == "" {
				errs = append(errs, errorf(refLine, "framework reference %q in %s: want \"framework:category\", e.g. owasp-llm-2025:LLM01", ref, label))
				continue
			}
			fi := slices.Index(fwIDs, fwID)
			if fi < 0 {
				errs = append(errs, errorf(refLine, "unknown framework %q in %s%s", fwID, label, suggest.HintOrList(fwID, fwIDs)))
				continue
			}
			cats := fws[fi].Categories
			ci := slices.IndexFunc(cats, func(c catalog.Category) bool { return c.ID == catID })
			if ci < 0 {
				ids := make([]string, len(cats))
				for k, c := range cats {
					ids[k] = c.ID
				}
				errs = append(errs, errorf(refLine, "unknown category %q of framework %s in %s%s", catID, fwID, label, suggest.HintOrList(catID, ids)))
				continue
			}
			if !slices.Contains(cats[ci].Vulnerabilities, v.ID) {
				cats[ci].Vulnerabilities = append(cats[ci].Vulnerabilities, v.ID)
			}
		}
	}

	// The catalog rules (ids, severities, judges, seeds, placeholders, ...)
	// are the built-in catalog's own, applied by its parser, so that a
	// custom vulnerability is held to exactly the same standard.
	var own *catalog.Catalog
	if masked, ok := maskCustom(data, root, key, list); ok {
		c, err := catalog.Parse(masked, path)
		if err != nil {
			errs = append(errs, err)
		}
		own = c
	} else {
		// A layout maskCustom cannot handle (flow style): the same rules,
		// without line numbers.
		own = &catalog.Catalog{}
		for _, v := range custom {
			own.Vulnerabilities = append(own.Vulnerabilities, catalog.Vulnerability{
				ID: v.ID, Name: v.Name, Category: v.Category, Description: v.Description, Types: v.Types})
		}
		if err := own.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: custom_vulnerabilities: %w", path, err))
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	for i := range own.Vulnerabilities {
		criteria := strings.TrimSpace(custom[i].Criteria)
		for j := range own.Vulnerabilities[i].Types {
			t := &own.Vulnerabilities[i].Types[j]
			t.Rubric = criteria + "\n\n" + t.Rubric
		}
	}
	merged, err := base.Merge(own)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: custom_vulnerabilities: %w", path, err)
	}
	return merged, fws, nil
}

// mappingEntry returns the key and value nodes of key in mapping n, or nils.
func mappingEntry(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// maskCustom rewrites the configuration text, line for line, into a catalog
// document that catalog.Parse accepts: every line outside the
// custom_vulnerabilities block is blanked, the block's key becomes
// "vulnerabilities", and the entries of customOnlyKeys are blanked. Line
// numbers are unchanged, so the parser's errors point into the user's file.
// ok is false when the layout does not allow it: flow style ({...} or
// [...]) that puts those entries on a line with other content.
func maskCustom(data []byte, root, key, list *yaml.Node) ([]byte, bool) {
	const from, to = "custom_vulnerabilities", "vulnerabilities"
	lines := strings.Split(string(data), "\n")
	if root.Style&yaml.FlowStyle != 0 || key.Style != 0 || key.Line < 1 || key.Line > len(lines) {
		return nil, false
	}
	// The block runs from its key to the line before the next top-level key.
	last := len(lines)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Line > key.Line {
			last = min(last, k.Line-1)
		} else if k != key && k.Line == key.Line {
			return nil, false
		}
	}
	keep := make([]bool, len(lines)+1) // 1-based
	for l := key.Line; l <= last; l++ {
		keep[l] = true
	}
	// cut[l] >= 0 blanks line l from that byte on.
	cut := make(map[int]int)
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			continue // catalog.Parse reports it
		}
		for _, name := range customOnlyKeys {
			k, v := mappingEntry(item, name)
			if k == nil {
				continue
			}
			inside := map[*yaml.Node]bool{k: true}
			markTree(v, inside)
			// The entry ends before the next piece of content that is
			// not its own.
			end := last
			for _, n := range contentNodes(list) {
				if inside[n] {
					continue
				}
				if n.Line == k.Line {
					return nil, false
				}
				if n.Line > k.Line {
					end = min(end, n.Line-1)
				}
			}
			for n := range inside {
				if n.Line > end {
					return nil, false
				}
			}
			if k.Column < 1 || k.Column-1 > len(lines[k.Line-1]) {
				return nil, false
			}
			cut[k.Line] = k.Column - 1
			for l := k.Line + 1; l <= end; l++ {
				cut[l] = 0
			}
		}
	}
	var b strings.Builder
	for i, text := range lines {
		l := i + 1
		switch {
		case !keep[l]:
			text = ""
		case l == key.Line:
			col := key.Column - 1
			if col+len(from) > len(text) || text[col:col+len(from)] != from {
				return nil, false
			}
			text = text[:col] + to + text[col+len(from):]
		}
		if c, ok := cut[l]; ok && keep[l] {
			text = text[:min(c, len(text))]
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(text)
	}
	return []byte(b.String()), true
}

// markTree adds n and every node under it to set.
func markTree(n *yaml.Node, set map[*yaml.Node]bool) {
	if n == nil {
		return
	}
	set[n] = true
	for _, c := range n.Content {
		markTree(c, set)
	}
}

// contentNodes lists the nodes under n that put text on a line: scalars,
// aliases and flow-style collections. Block collections start where their
// first content does, so they add nothing.
func contentNodes(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode || n.Kind == yaml.AliasNode || n.Style&yaml.FlowStyle != 0 {
			out = append(out, n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}
