package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/internal/suggest"
)

// MaxAttackWeight bounds the weight of an attack in a framework category. A
// weight multiplies the probes of every sub-type the category selects, so a
// typo such as 30 for 3 would silently make a run ten times longer.
const MaxAttackWeight = 5

// frameworkPattern selects the built-in framework files inside
// embeddedFrameworks; each is named after the ID of the framework it holds.
const frameworkPattern = "frameworks/*.yaml"

// embeddedFrameworks holds the built-in frameworks, one file each.
//
//go:embed frameworks/*.yaml
var embeddedFrameworks embed.FS

// frameworkOrder is the order in which Frameworks lists the built-in
// frameworks: the application-level lists first, then the broader risk
// frameworks and the regulation. A built-in framework missing here comes
// after these, by ID, and a test asks for it to be added.
var frameworkOrder = []string{"owasp-llm-2025", "owasp-agentic-2026", "nist-ai-rmf", "mitre-atlas", "eu-ai-act"}

// parsedFrameworks parses the embedded frameworks once. The result is never
// handed out: Frameworks returns copies.
var parsedFrameworks = sync.OnceValue(func() []Framework {
	fws, err := parseFrameworkFS(embeddedFrameworks, frameworkPattern, func(name string) string { return embeddedPrefix + name })
	if err != nil {
		// Tests parse the embedded frameworks, so only a build whose data
		// was broken by hand gets here.
		panic(fmt.Sprintf("catalog: embedded frameworks are invalid: %v", err))
	}
	return fws
})

// Frameworks returns the built-in frameworks (OWASP Top 10 for LLM
// Applications 2025, OWASP Top 10 for Agentic Applications 2026, NIST AI
// RMF with the generative-AI profile, MITRE ATLAS, EU AI Act) in a fixed
// order. The result is a deep copy that the caller may change.
func Frameworks() []Framework {
	fws := parsedFrameworks()
	out := make([]Framework, len(fws))
	for i, f := range fws {
		out[i] = cloneFramework(f)
	}
	return out
}

// FrameworksFor returns the framework categories that test a vulnerability
// of c, as references "framework-id:category-id" (owasp-llm-2025:LLM01,
// mitre-atlas:AML.T0051.001), in the order of Frameworks and their
// categories. With typ empty it returns every category that selects the
// vulnerability or any of its sub-types; with typ set, those that select the
// vulnerability as a whole or that sub-type. A vulnerability or sub-type
// that c does not have, such as a custom one, is in no framework.
//
// The mapping is read from the framework files, so that it is written down
// in one place only.
func (c *Catalog) FrameworksFor(vuln, typ string) []string {
	v, ok := c.Vulnerability(vuln)
	if !ok || (typ != "" && !slices.Contains(v.typeIDs(), typ)) {
		return nil
	}
	var refs []string
	for _, f := range parsedFrameworks() {
		for _, cat := range f.Categories {
			if selects(cat.Vulnerabilities, vuln, typ) {
				refs = append(refs, f.ID+":"+cat.ID)
			}
		}
	}
	return refs
}

// selects reports whether selectors name vuln (typ empty: in any form) or
// vuln:typ (the vulnerability as a whole or that very sub-type).
func selects(selectors []string, vuln, typ string) bool {
	for _, s := range selectors {
		v, t, hasType := strings.Cut(strings.TrimSpace(s), ":")
		if strings.TrimSpace(v) != vuln {
			continue
		}
		if typ == "" || !hasType || strings.TrimSpace(t) == typ {
			return true
		}
	}
	return false
}

// ValidateFramework checks f against the catalog and the attacks there are:
// the framework is well formed (as parseFramework requires), every
// vulnerability selector of every category resolves in c, every attack is
// one of attackIDs (usually attack.IDs()), and every weight is between 1 and
// MaxAttackWeight. All problems are reported at once; unknown names come
// with a "did you mean" hint.
func (c *Catalog) ValidateFramework(f Framework, attackIDs []string) error {
	errs := validateFramework(&f, "", nil)
	for _, cat := range f.Categories {
		where := fmt.Sprintf("framework %q, category %q", f.ID, cat.ID)
		if len(cat.Vulnerabilities) > 0 {
			// Resolve with no selectors would select everything; the
			// structural check above has reported an empty list already.
			if _, err := c.Resolve(cat.Vulnerabilities); err != nil {
				for _, e := range unjoin(err) {
					errs = append(errs, fmt.Errorf("%s: %w", where, e))
				}
			}
		}
		for _, a := range cat.Attacks {
			if a.ID != "" && !slices.Contains(attackIDs, a.ID) {
				errs = append(errs, fmt.Errorf("%s: unknown attack %q%s", where, a.ID, suggest.HintOrList(a.ID, attackIDs)))
			}
		}
	}
	return errors.Join(errs...)
}

// unjoin splits an errors.Join result into its errors, so that each can be
// prefixed with where it was found.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// parseFramework decodes and checks one framework in YAML, and returns the
// line of its id, for messages about files that clash. source names the
// input in messages ("source:line: ..."). Decoding is strict like Parse:
// unknown and duplicate keys, wrong shapes, aliases, missing fields, bad or
// repeated IDs, empty categories and weights out of range are errors, all
// reported at once. Whether the selectors and attacks exist is a question
// for Catalog.ValidateFramework, which knows the catalog and the attacks.
func parseFramework(data []byte, source string) (Framework, int, error) {
	root, err := decodeNode(data, source, "framework")
	if err != nil {
		return Framework{}, 0, err
	}
	w := walker{source: source, doc: "framework"}
	fp := w.framework(root)
	if len(w.errs) > 0 {
		return Framework{}, 0, errors.Join(w.errs...)
	}
	// The walk has checked every key and shape; the strict decode fills the
	// structs and catches what the walk cannot, such as a weight that is
	// not a number.
	var f Framework
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := safeDecode(dec, &f); err != nil {
		return Framework{}, 0, decodeError(source, err)
	}
	f.normalize()
	if errs := validateFramework(&f, source, fp); len(errs) > 0 {
		return Framework{}, 0, errors.Join(errs...)
	}
	return f, fp.keys["id"], nil
}

// parseFrameworkFS parses every framework file in fsys that matches
// pattern. A file must be named after the ID it holds (eu-ai-act.yaml holds
// eu-ai-act), which keeps IDs unique. The result is in frameworkOrder.
func parseFrameworkFS(fsys fs.FS, pattern string, sourceOf func(string) string) ([]Framework, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("framework files %q: %w", pattern, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("framework files %q: no file matches", pattern)
	}
	var (
		fws  []Framework
		errs []error
	)
	for _, name := range names {
		source := sourceOf(name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, &Error{Source: source, Msg: "read: " + err.Error(), Err: err})
			continue
		}
		f, idLine, err := parseFramework(data, source)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if want := strings.TrimSuffix(path.Base(name), path.Ext(name)); f.ID != want {
			errs = append(errs, &Error{Source: source, Line: idLine,
				Msg: fmt.Sprintf("framework id %q does not match the file name: want %q", f.ID, want)})
			continue
		}
		fws = append(fws, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(fws, func(a, b Framework) int {
		ra, rb := frameworkRank(a.ID), frameworkRank(b.ID)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.ID, b.ID)
	})
	return fws, nil
}

// frameworkRank is the position of id in frameworkOrder, or after all of
// them.
func frameworkRank(id string) int {
	if i := slices.Index(frameworkOrder, id); i >= 0 {
		return i
	}
	return len(frameworkOrder)
}

// kebabCase is the form of a framework ID: lowercase words of letters and
// digits joined by single hyphens.
var kebabCase = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// categoryID is the form of a category ID: the framework's own identifier
// (LLM01, AML.T0051.001, MEASURE-2.7, art5-social-scoring). It may not
// contain white space or a colon, which separates it from the framework ID
// in references such as owasp-llm-2025:LLM01.
var categoryID = regexp.MustCompile(`^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$`)

// validateFramework applies the rules that do not need the catalog. fp,
// when known, gives lines (parseFramework); without it errors carry none.
func validateFramework(f *Framework, source string, fp *fwPos) []error {
	var errs []error
	errorf := func(line int, format string, args ...any) {
		errs = append(errs, &Error{Source: source, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	label := fmt.Sprintf("framework %q", f.ID)
	switch {
	case f.ID == "":
		label = "framework"
		errorf(fp.key("id"), "missing field \"id\" in framework")
	case !kebabCase.MatchString(f.ID):
		errorf(fp.key("id"), "id %q of framework is not kebab-case (lowercase letters and digits joined by single hyphens)", f.ID)
	}
	for _, fld := range []struct{ key, val string }{{"name", f.Name}, {"description", f.Description}} {
		if fld.val == "" {
			errorf(fp.key(fld.key), "missing field %q in %s", fld.key, label)
		}
	}
	if f.URL != "" && !strings.HasPrefix(f.URL, "https://") {
		errorf(fp.key("url"), "url %q of %s must start with https://", f.URL, label)
	}
	if len(f.Categories) == 0 {
		errorf(fp.key("categories"), "%s has no categories", label)
	}

	catSeen := make(map[string]int)
	for i := range f.Categories {
		cat := &f.Categories[i]
		cp := fp.category(i)
		clabel := fmt.Sprintf("category #%d of %s", i+1, label)
		switch {
		case cat.ID == "":
			errorf(cp.key("id"), "missing field \"id\" in %s", clabel)
		case !categoryID.MatchString(cat.ID):
			errorf(cp.key("id"), "id %q of %s must be letters and digits joined by '.', '-' or '_'", cat.ID, clabel)
		default:
			clabel = fmt.Sprintf("category %q of %s", cat.ID, label)
			if first, dup := catSeen[cat.ID]; dup {
				errorf(cp.key("id"), "duplicate category id %q in %s (first defined%s)", cat.ID, label, atLine(first))
			} else {
				catSeen[cat.ID] = cp.key("id")
			}
		}
		if cat.Name == "" {
			errorf(cp.key("name"), "missing field \"name\" in %s", clabel)
		}

		if len(cat.Vulnerabilities) == 0 {
			errorf(cp.key("vulnerabilities"), "%s selects no vulnerabilities", clabel)
		}
		for k, sel := range cat.Vulnerabilities {
			switch {
			case sel == "":
				errorf(cp.item("vulnerabilities", k), "vulnerability #%d of %s is empty", k+1, clabel)
			case slices.Index(cat.Vulnerabilities, sel) < k:
				errorf(cp.item("vulnerabilities", k), "vulnerability %q is listed twice in %s", sel, clabel)
			}
		}

		if len(cat.Attacks) == 0 {
			errorf(cp.key("attacks"), "%s names no attacks", clabel)
		}
		for k, a := range cat.Attacks {
			line := cp.item("attacks", k)
			switch {
			case a.ID == "":
				errorf(line, "attack #%d of %s has no id", k+1, clabel)
			case slices.IndexFunc(cat.Attacks, func(b WeightedAttack) bool { return b.ID == a.ID }) < k:
				errorf(line, "attack %q is listed twice in %s", a.ID, clabel)
			}
			if a.Weight < 1 || a.Weight > MaxAttackWeight {
				errorf(line, "weight %d of attack %q in %s is out of range: want 1 to %d", a.Weight, a.ID, clabel, MaxAttackWeight)
			}
		}

		for k, r := range cat.Related {
			switch {
			case !categoryID.MatchString(r):
				errorf(cp.item("related", k), "related id %q in %s is not an identifier", r, clabel)
			case slices.Index(cat.Related, r) < k:
				errorf(cp.item("related", k), "related id %q is listed twice in %s", r, clabel)
			}
		}
	}
	return errs
}

// normalize trims the white space that YAML block scalars leave.
func (f *Framework) normalize() {
	f.ID, f.Name = strings.TrimSpace(f.ID), strings.TrimSpace(f.Name)
	f.Description, f.URL = strings.TrimSpace(f.Description), strings.TrimSpace(f.URL)
	for i := range f.Categories {
		c := &f.Categories[i]
		c.ID, c.Name, c.Description = strings.TrimSpace(c.ID), strings.TrimSpace(c.Name), strings.TrimSpace(c.Description)
		for k := range c.Vulnerabilities {
			c.Vulnerabilities[k] = strings.TrimSpace(c.Vulnerabilities[k])
		}
		for k := range c.Attacks {
			c.Attacks[k].ID = strings.TrimSpace(c.Attacks[k].ID)
		}
		for k := range c.Related {
			c.Related[k] = strings.TrimSpace(c.Related[k])
		}
	}
}

// cloneFramework returns a deep copy of f.
func cloneFramework(f Framework) Framework {
	cats := make([]Category, len(f.Categories))
	for i, c := range f.Categories {
		c.Vulnerabilities = slices.Clone(c.Vulnerabilities)
		c.Attacks = slices.Clone(c.Attacks)
		c.Related = slices.Clone(c.Related)
		cats[i] = c
	}
	f.Categories = cats
	return f
}

// fwPos records where the parts of a framework were in its file. A nil
// *fwPos (a framework built in memory) answers 0 for every line.
type fwPos struct {
	keys map[string]int
	cats []pos
}

// key is the line of a top-level key, or 0.
func (p *fwPos) key(k string) int {
	if p == nil {
		return 0
	}
	return p.keys[k]
}

// category returns the positions of category i, or nil.
func (p *fwPos) category(i int) *pos {
	if p == nil || i >= len(p.cats) {
		return nil
	}
	return &p.cats[i]
}

// key is the line of a key of the mapping, else of the mapping, else 0.
func (p *pos) key(k string) int {
	if p == nil {
		return 0
	}
	if l, ok := p.keys[k]; ok {
		return l
	}
	return p.line
}

// item is the line of item i of the list under key k, else of the key.
func (p *pos) item(k string, i int) int {
	if p != nil && i < len(p.items[k]) {
		return p.items[k][i]
	}
	return p.key(k)
}

// Keys allowed in a framework file, from the struct tags in framework.go.
var (
	frameworkKeys = yamlKeys(reflect.TypeFor[Framework]())
	categoryKeys  = yamlKeys(reflect.TypeFor[Category]())
	attackKeys    = yamlKeys(reflect.TypeFor[WeightedAttack]())
)

// framework checks the shape of a framework's node tree and records where
// its parts are.
func (w *walker) framework(n *yaml.Node) *fwPos {
	fp := &fwPos{}
	fields, lines, ok := w.mapping(n, "the framework", "at the top level", frameworkKeys)
	if !ok {
		return fp
	}
	fp.keys = lines
	for _, key := range []string{"id", "name", "description", "url"} {
		if v, ok := fields[key]; ok {
			w.kind(v, yaml.ScalarNode, key+" of the framework")
		}
	}
	cats, ok := fields["categories"]
	if !ok || !w.kind(cats, yaml.SequenceNode, "categories") {
		return fp
	}
	for i, cn := range cats.Content {
		fp.cats = append(fp.cats, w.category(i, cn))
	}
	return fp
}

func (w *walker) category(i int, n *yaml.Node) pos {
	label := fmt.Sprintf("category #%d", i+1)
	if id := scalarAt(n, "id"); id != "" {
		label = fmt.Sprintf("category %q", id)
	}
	p := pos{line: n.Line, items: make(map[string][]int)}
	fields, lines, ok := w.mapping(n, label, "in "+label, categoryKeys)
	if !ok {
		return p
	}
	p.keys = lines
	for _, key := range []string{"id", "name", "description"} {
		if v, ok := fields[key]; ok {
			w.kind(v, yaml.ScalarNode, fmt.Sprintf("%s of %s", key, label))
		}
	}
	for _, key := range []string{"vulnerabilities", "attacks", "related"} {
		singular := map[string]string{"vulnerabilities": "vulnerability", "attacks": "attack", "related": "related id"}[key]
		seq, ok := fields[key]
		if !ok || !w.kind(seq, yaml.SequenceNode, fmt.Sprintf("%s of %s", key, label)) {
			continue
		}
		for k, item := range seq.Content {
			p.items[key] = append(p.items[key], item.Line)
			what := fmt.Sprintf("%s #%d of %s", singular, k+1, label)
			if key != "attacks" {
				w.kind(item, yaml.ScalarNode, what)
				continue
			}
			afields, _, ok := w.mapping(item, what, "in "+what, attackKeys)
			if !ok {
				continue
			}
			for _, akey := range attackKeys {
				v, ok := afields[akey]
				if !ok {
					w.errorf(item.Line, "missing key %q in %s", akey, what)
					continue
				}
				w.kind(v, yaml.ScalarNode, fmt.Sprintf("%s of %s", akey, what))
			}
		}
	}
	return p
}

// typeErrLine matches one message of a go-yaml *yaml.TypeError.
var typeErrLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// decodeError turns a strict decode error into *Error values with lines.
func decodeError(source string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return &Error{Source: source, Msg: "decode: " + err.Error(), Err: err}
	}
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		e := &Error{Source: source, Msg: msg, Err: err}
		if m := typeErrLine.FindStringSubmatch(msg); m != nil {
			if n, convErr := strconv.Atoi(m[1]); convErr == nil {
				e.Line, e.Msg = n, m[2]
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}
