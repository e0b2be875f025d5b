package catalog

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/suggest"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

// MinSeeds is the fewest seed prompts a sub-type may have. Fewer would make
// per-type sampling repeat itself and the pass rate of a type meaningless.
const MinSeeds = 5

// Placeholders a seed prompt may contain. The planner replaces them; any
// other lowercase {word} in a seed is rejected as a likely typo, because it
// would otherwise reach the target verbatim.
const (
	// PlaceholderPurpose is replaced with the target's purpose.
	PlaceholderPurpose = "{purpose}"
	// PlaceholderMarker is replaced with a unique token per probe; the
	// marker judge fails the probe if the reply repeats it.
	PlaceholderMarker = "{marker}"
)

// markerJudge is the judge that a seed using PlaceholderMarker needs: without
// it nobody would look for the token in the reply.
const markerJudge = "marker"

// Severities returns the severities a sub-type may have, from least to most
// serious: every finding.Severity but info (a vulnerability that does no
// harm is not worth a probe).
func Severities() []finding.Severity {
	return []finding.Severity{finding.Low, finding.Medium, finding.High, finding.Critical}
}

// severityNames lists Severities for messages: "low, medium, high, critical".
func severityNames() string {
	var b strings.Builder
	for i, s := range Severities() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// parseSeverity reads a sub-type's severity as the catalog spells it:
// exactly one of the names of Severities, lower case (around spaces, which
// YAML block scalars leave, aside).
func parseSeverity(s string) (finding.Severity, bool) {
	s = strings.TrimSpace(s)
	for _, v := range Severities() {
		if v.String() == s {
			return v, true
		}
	}
	return 0, false
}

// UnmarshalYAML decodes a sub-type. A severity that is not one of
// Severities does not fail the decoding: it is kept as written, for
// Validate to report along with every other problem (with its line, in
// Parse); a decoding error would stop at the first problem and lose its
// line. Keys are checked as a strict decoder checks them, since the strict
// setting of the decoder does not reach into an UnmarshalYAML.
func (t *Type) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s into a sub-type (want a mapping)", n.Line, n.ShortTag())}}
	}
	var unknown []string
	m := *n
	m.Content = slices.Clone(n.Content)
	bad := ""
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !slices.Contains(typeKeys, k.Value) {
			// go-yaml's own wording, which callers (yamlx) rewrite.
			unknown = append(unknown, fmt.Sprintf("line %d: field %s not found in type catalog.Type", k.Line, k.Value))
			continue
		}
		if k.Value != "severity" || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || strings.TrimSpace(v.Value) == "" {
			continue
		}
		if _, ok := parseSeverity(v.Value); !ok {
			bad = v.Value
			blank := *v
			blank.Value, blank.Tag, blank.Style = "", "!!str", 0
			m.Content[i+1] = &blank
		}
	}
	if len(unknown) > 0 {
		return &yaml.TypeError{Errors: unknown}
	}
	type plain Type // without this method, so no recursion
	if err := m.Decode((*plain)(t)); err != nil {
		return err
	}
	t.badSeverity = strings.TrimSpace(bad)
	return nil
}

// Error is one problem found in a catalog. Parse and Validate return all the
// problems they find, joined with errors.Join; each is an *Error that
// errors.As can pick out.
type Error struct {
	// Source names the input (a file name) as given to Parse; empty for a
	// catalog built in memory.
	Source string
	// Line is 1-based, or 0 when the position is not known.
	Line int
	// Msg says what is wrong, naming the vulnerability or sub-type.
	Msg string
	// Err is the underlying error (from the YAML library), if any.
	Err error
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Error formats the problem as "source:line: msg", dropping the parts that
// are not known.
func (e *Error) Error() string {
	switch {
	case e.Source != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Msg)
	case e.Source != "":
		return e.Source + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	default:
		return e.Msg
	}
}

// embeddedPrefix turns a path inside embeddedData into the path from the
// repository root, so that an error in the built-in data names a file that
// a reader can open.
const embeddedPrefix = "redteam/catalog/"

// embeddedPattern selects the built-in catalog files inside embeddedData.
const embeddedPattern = "data/*.yaml"

// CoreFile is the base name of the catalog file that parseFS loads before
// all others. The built-in core.yaml holds the original vulnerabilities;
// loading it first keeps their order, and with it the order of plans and
// reports, stable when files are added.
const CoreFile = "core.yaml"

// embeddedData holds the built-in catalog, one file per area. An embed.FS
// is read-only, so no caller can change what Default parses.
//
//go:embed data/*.yaml
var embeddedData embed.FS

// parsedDefault parses the embedded catalog once. It is immutable after the
// first call: Default hands out copies.
var parsedDefault = sync.OnceValue(func() *Catalog {
	c, err := parseFS(embeddedData, embeddedPattern, func(name string) string { return embeddedPrefix + name })
	if err != nil {
		// The embedded data is part of the binary and a test parses it, so
		// this only happens to a build whose data was broken by hand.
		panic(fmt.Sprintf("catalog: embedded catalog is invalid: %v", err))
	}
	return c
})

// Default returns the built-in catalog: every file of data/*.yaml, core.yaml
// first and the others by name. Each call returns a fresh deep copy, so a
// caller may change it freely.
func Default() *Catalog { return parsedDefault().clone() }

// parsedFile is one catalog file as parseFS read it: the catalog and where
// each part of it was, for the checks across files.
type parsedFile struct {
	source string
	cat    *Catalog
	pos    []vulnPos
}

// parseFS reads the catalog files in fsys that match pattern (as fs.Glob
// does, e.g. "*.yaml") and merges them into one catalog: the file named
// CoreFile first, then the others in name order. Each file is checked as
// Parse checks it, with errors naming each file as sourceOf says; on top
// of that, a vulnerability ID or a seed prompt that appears in two files is
// an error naming both places. All problems in all files are reported at
// once.
func parseFS(fsys fs.FS, pattern string, sourceOf func(string) string) (*Catalog, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("catalog files %q: %w", pattern, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("catalog files %q: no file matches", pattern)
	}
	orderFiles(names)

	var (
		files []parsedFile
		errs  []error
	)
	for _, name := range names {
		source := sourceOf(name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, &Error{Source: source, Msg: "read: " + err.Error(), Err: err})
			continue
		}
		c, ps, err := parse(data, source)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, parsedFile{source: source, cat: c, pos: ps})
	}
	// The files that did parse are still checked against each other, so one
	// broken file does not hide a clash between two others.
	errs = append(errs, checkAcrossFiles(files)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := &Catalog{}
	for _, f := range files {
		out.Vulnerabilities = append(out.Vulnerabilities, f.cat.Vulnerabilities...)
	}
	return out, nil
}

// orderFiles sorts catalog file paths by name, with any file whose base name
// is CoreFile first.
func orderFiles(names []string) {
	slices.SortFunc(names, func(a, b string) int {
		ac, bc := path.Base(a) == CoreFile, path.Base(b) == CoreFile
		switch {
		case ac && !bc:
			return -1
		case bc && !ac:
			return 1
		}
		return strings.Compare(a, b)
	})
}

// checkAcrossFiles reports vulnerability IDs and seed prompts that appear in
// more than one file. Repeats inside one file were already reported by
// parse, which returns no catalog then, so every repeat found here is
// between two files.
func checkAcrossFiles(files []parsedFile) []error {
	type place struct {
		source, what string
		line         int
	}
	where := func(p place) string {
		if p.line > 0 {
			return fmt.Sprintf("%s:%d", p.source, p.line)
		}
		return p.source
	}
	var errs []error
	vulnSeen := make(map[string]place)
	seedSeen := make(map[string]place)
	for _, f := range files {
		for i, v := range f.cat.Vulnerabilities {
			line := vulnKeyLine(f.pos, i, "id")
			if first, dup := vulnSeen[v.ID]; dup {
				errs = append(errs, &Error{Source: f.source, Line: line,
					Msg: fmt.Sprintf("duplicate vulnerability id %q (first defined at %s)", v.ID, where(first))})
			} else {
				vulnSeen[v.ID] = place{source: f.source, line: line}
			}
			for j, t := range v.Types {
				label := fmt.Sprintf("type %q", v.ID+":"+t.ID)
				for k, seed := range t.Seeds {
					line := seedLine(f.pos, i, j, k)
					if first, dup := seedSeen[seed]; dup {
						errs = append(errs, &Error{Source: f.source, Line: line,
							Msg: fmt.Sprintf("seed #%d of %s repeats a seed of %s at %s", k+1, label, first.what, where(first))})
					} else {
						seedSeen[seed] = place{source: f.source, what: label, line: line}
					}
				}
			}
		}
	}
	return errs
}

// vulnKeyLine is the line of key in vulnerability i, else of the
// vulnerability, else 0.
func vulnKeyLine(ps []vulnPos, i int, key string) int {
	if i >= len(ps) {
		return 0
	}
	if l, ok := ps[i].keys[key]; ok {
		return l
	}
	return ps[i].line
}

// seedLine is the line of seed k of type j of vulnerability i, else 0.
func seedLine(ps []vulnPos, i, j, k int) int {
	if i < len(ps) && j < len(ps[i].types) && k < len(ps[i].types[j].items["seeds"]) {
		return ps[i].types[j].items["seeds"][k]
	}
	return 0
}

// Parse decodes and validates a catalog in YAML. source names the input in
// error messages ("source:line: ..."). Decoding is strict: unknown and
// duplicate keys, missing fields, invalid ids and severities, unknown judges,
// too few or repeated seeds and unknown placeholders are all errors, and all
// of them are reported at once. YAML aliases are rejected, which keeps a small
// file from expanding into a huge catalog.
func Parse(data []byte, source string) (*Catalog, error) {
	c, _, err := parse(data, source)
	return c, err
}

// parse is Parse that also returns where each vulnerability was in the
// input, for the checks across files of parseFS.
func parse(data []byte, source string) (*Catalog, []vulnPos, error) {
	root, err := decodeNode(data, source, "catalog")
	if err != nil {
		return nil, nil, err
	}
	w := walker{source: source}
	w.catalog(root)
	if len(w.errs) > 0 {
		return nil, nil, errors.Join(w.errs...)
	}

	// The node walk above has checked every key and shape and reported them
	// with lines. The strict decode fills the structs and is a backstop: if
	// a field of a type the walk does not check is ever added to catalog.go,
	// a mismatch is still an error rather than a silently dropped value.
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := safeDecode(dec, &c); err != nil {
		return nil, nil, &Error{Source: source, Msg: "decode: " + err.Error(), Err: err}
	}
	c.normalize()
	if errs := validate(&c, source, w.listLine, w.pos); len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return &c, w.pos, nil
}

// Validate checks a catalog built or changed in memory with the same rules
// that Parse applies, without line numbers.
func (c *Catalog) Validate() error {
	return errors.Join(validate(c, "", 0, nil)...)
}

// Vulnerability returns the vulnerability with the given ID. The pointer
// refers into c.
func (c *Catalog) Vulnerability(id string) (*Vulnerability, bool) {
	for i := range c.Vulnerabilities {
		if c.Vulnerabilities[i].ID == id {
			return &c.Vulnerabilities[i], true
		}
	}
	return nil, false
}

// Merge returns a new catalog with the vulnerabilities of c followed by those
// of other, e.g. the built-in catalog and the user's own. A vulnerability ID
// defined in both is an error: a user catalog adds to the built-in one and
// never silently replaces part of it. Neither input is modified.
func (c *Catalog) Merge(other *Catalog) (*Catalog, error) {
	out := c.clone()
	if other == nil {
		return out, nil
	}
	var errs []error
	for _, v := range other.Vulnerabilities {
		if _, clash := out.Vulnerability(v.ID); clash {
			errs = append(errs, fmt.Errorf("merge catalogs: vulnerability %q is defined in both", v.ID))
			continue
		}
		out.Vulnerabilities = append(out.Vulnerabilities, cloneVuln(v))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merge catalogs: %w", err)
	}
	return out, nil
}

// Selection is one vulnerability chosen by Resolve with the sub-types chosen
// of it.
type Selection struct {
	// Vuln points into the catalog Resolve was called on.
	Vuln *Vulnerability
	// Types are the chosen sub-types, in catalog order.
	Types []Type
}

// Resolve turns selectors into the vulnerabilities and sub-types they name,
// in catalog order. A selector is "vuln" (every sub-type) or "vuln:type"; a
// vulnerability selected several times gets the union of its sub-types. No
// selectors select everything. Unknown names are errors that suggest the
// nearest known name; all of them are reported at once.
func (c *Catalog) Resolve(selectors []string) ([]Selection, error) {
	// whole[i] is set when vulnerability i is selected with all its types;
	// picked[i] holds the type IDs selected one by one.
	all := len(selectors) == 0
	whole := make([]bool, len(c.Vulnerabilities))
	picked := make([]map[string]bool, len(c.Vulnerabilities))
	var errs []error
	for _, raw := range selectors {
		sel := strings.TrimSpace(raw)
		vulnID, typeID, hasType := strings.Cut(sel, ":")
		vulnID, typeID = strings.TrimSpace(vulnID), strings.TrimSpace(typeID)
		if vulnID == "" || (hasType && typeID == "") {
			errs = append(errs, fmt.Errorf("invalid selector %q: want \"vulnerability\" or \"vulnerability:type\"", raw))
			continue
		}
		i := c.index(vulnID)
		if i < 0 {
			errs = append(errs, fmt.Errorf("unknown vulnerability %q%s", vulnID, hintOrList(vulnID, c.ids())))
			continue
		}
		if !hasType {
			whole[i] = true
			continue
		}
		v := &c.Vulnerabilities[i]
		if !slices.ContainsFunc(v.Types, func(t Type) bool { return t.ID == typeID }) {
			errs = append(errs, fmt.Errorf("unknown type %q of vulnerability %q%s", typeID, vulnID, hintOrList(typeID, v.typeIDs())))
			continue
		}
		if picked[i] == nil {
			picked[i] = make(map[string]bool)
		}
		picked[i][typeID] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	var out []Selection
	for i := range c.Vulnerabilities {
		v := &c.Vulnerabilities[i]
		var types []Type
		for _, t := range v.Types {
			if all || whole[i] || picked[i][t.ID] {
				types = append(types, cloneType(t))
			}
		}
		if len(types) > 0 {
			out = append(out, Selection{Vuln: v, Types: types})
		}
	}
	return out, nil
}

// index returns the position of vulnerability id, or -1.
func (c *Catalog) index(id string) int {
	return slices.IndexFunc(c.Vulnerabilities, func(v Vulnerability) bool { return v.ID == id })
}

// ids lists the vulnerability IDs in catalog order.
func (c *Catalog) ids() []string {
	ids := make([]string, len(c.Vulnerabilities))
	for i, v := range c.Vulnerabilities {
		ids[i] = v.ID
	}
	return ids
}

// typeIDs lists the sub-type IDs in catalog order.
func (v *Vulnerability) typeIDs() []string {
	ids := make([]string, len(v.Types))
	for i, t := range v.Types {
		ids[i] = t.ID
	}
	return ids
}

// clone returns a deep copy, so that the copy shares no slices with c.
func (c *Catalog) clone() *Catalog {
	out := &Catalog{Vulnerabilities: make([]Vulnerability, 0, len(c.Vulnerabilities))}
	for _, v := range c.Vulnerabilities {
		out.Vulnerabilities = append(out.Vulnerabilities, cloneVuln(v))
	}
	return out
}

func cloneVuln(v Vulnerability) Vulnerability {
	types := make([]Type, len(v.Types))
	for i, t := range v.Types {
		types[i] = cloneType(t)
	}
	v.Types = types
	return v
}

func cloneType(t Type) Type {
	t.Judges = slices.Clone(t.Judges)
	t.Seeds = slices.Clone(t.Seeds)
	return t
}

// normalize trims the surrounding white space that YAML block scalars leave
// on text fields, so that "|" and quoted strings compare alike.
func (c *Catalog) normalize() {
	for i := range c.Vulnerabilities {
		v := &c.Vulnerabilities[i]
		v.ID, v.Name = strings.TrimSpace(v.ID), strings.TrimSpace(v.Name)
		v.Category, v.Description = strings.TrimSpace(v.Category), strings.TrimSpace(v.Description)
		for j := range v.Types {
			t := &v.Types[j]
			t.ID, t.Description = strings.TrimSpace(t.ID), strings.TrimSpace(t.Description)
			t.Rubric = strings.TrimSpace(t.Rubric)
			for k := range t.Judges {
				t.Judges[k] = strings.TrimSpace(t.Judges[k])
			}
			for k := range t.Seeds {
				t.Seeds[k] = strings.TrimSpace(t.Seeds[k])
			}
		}
	}
}

// yamlLine matches the position prefix of go-yaml's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decodeNode parses data into its single YAML document's root node. what
// names the kind of document in messages ("catalog", "framework").
func decodeNode(data []byte, source, what string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Source: source, Msg: what + " is empty"}
		}
		return nil, yamlError(source, err)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{Source: source, Msg: what + " is empty"}
	}
	var extra yaml.Node
	if err := safeDecode(dec, &extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(source, err)
		}
		return nil, &Error{Source: source, Line: extra.Line, Msg: "a " + what + " is one YAML document; found another"}
	}
	return doc.Content[0], nil
}

// safeDecode runs a go-yaml decode and turns a panic inside the library into
// an error: Parse reads user files and must not crash the program on a
// malformed one.
func safeDecode(dec *yaml.Decoder, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	return dec.Decode(v)
}

// yamlError moves go-yaml's "line N" into our "source:N:" form.
func yamlError(source string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			return &Error{Source: source, Line: n, Msg: "invalid YAML: " + m[2], Err: err}
		}
	}
	return &Error{Source: source, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: "), Err: err}
}

// pos records where the parts of one mapping were in the input.
type pos struct {
	line  int
	keys  map[string]int   // key -> line of the key
	items map[string][]int // sequence key -> line of each item
}

// vulnPos is the pos of a vulnerability and of each of its sub-types.
type vulnPos struct {
	pos
	types []pos
}

// walker checks the shape of a catalog's node tree (mappings, sequences,
// scalars, known and unique keys) and records positions for validate.
type walker struct {
	source string
	// doc names the kind of document in messages; empty means "catalog".
	doc      string
	errs     []error
	listLine int // line of the "vulnerabilities" key
	pos      []vulnPos
}

func (w *walker) errorf(line int, format string, args ...any) {
	w.errs = append(w.errs, &Error{Source: w.source, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Keys allowed at each level, from the struct tags so that they cannot drift
// from the types in catalog.go.
var (
	catalogKeys = yamlKeys(reflect.TypeFor[Catalog]())
	vulnKeys    = yamlKeys(reflect.TypeFor[Vulnerability]())
	typeKeys    = yamlKeys(reflect.TypeFor[Type]())
)

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

func (w *walker) catalog(n *yaml.Node) {
	fields, lines, ok := w.mapping(n, "the catalog", "at the top level", catalogKeys)
	if !ok {
		return
	}
	w.listLine = lines["vulnerabilities"]
	vulns, ok := fields["vulnerabilities"]
	if !ok {
		w.errorf(n.Line, "missing key \"vulnerabilities\"")
		return
	}
	if !w.kind(vulns, yaml.SequenceNode, "vulnerabilities") {
		return
	}
	for i, vn := range vulns.Content {
		w.vulnerability(i, vn)
	}
}

func (w *walker) vulnerability(i int, n *yaml.Node) {
	label := fmt.Sprintf("vulnerability #%d", i+1)
	if id := scalarAt(n, "id"); id != "" {
		label = fmt.Sprintf("vulnerability %q", id)
	}
	vp := vulnPos{pos: pos{line: n.Line}}
	defer func() { w.pos = append(w.pos, vp) }()
	fields, lines, ok := w.mapping(n, label, "in "+label, vulnKeys)
	if !ok {
		return
	}
	vp.keys = lines
	for _, key := range []string{"id", "name", "category", "description"} {
		if v, ok := fields[key]; ok {
			w.kind(v, yaml.ScalarNode, fmt.Sprintf("%s of %s", key, label))
		}
	}
	types, ok := fields["types"]
	if !ok || !w.kind(types, yaml.SequenceNode, "types of "+label) {
		return
	}
	for j, tn := range types.Content {
		vp.types = append(vp.types, w.subType(j, tn, scalarAt(n, "id")))
	}
}

func (w *walker) subType(j int, n *yaml.Node, vulnID string) pos {
	label := fmt.Sprintf("type #%d of vulnerability %q", j+1, vulnID)
	if id := scalarAt(n, "id"); id != "" {
		label = fmt.Sprintf("type %q", vulnID+":"+id)
	}
	p := pos{line: n.Line}
	fields, lines, ok := w.mapping(n, label, "in "+label, typeKeys)
	if !ok {
		return p
	}
	p.keys = lines
	p.items = make(map[string][]int)
	for _, key := range []string{"id", "description", "severity", "rubric"} {
		if v, ok := fields[key]; ok {
			w.kind(v, yaml.ScalarNode, fmt.Sprintf("%s of %s", key, label))
		}
	}
	for _, key := range []string{"judges", "seeds"} {
		seq, ok := fields[key]
		if !ok || !w.kind(seq, yaml.SequenceNode, fmt.Sprintf("%s of %s", key, label)) {
			continue
		}
		for k, item := range seq.Content {
			w.kind(item, yaml.ScalarNode, fmt.Sprintf("%s #%d of %s", strings.TrimSuffix(key, "s"), k+1, label))
			p.items[key] = append(p.items[key], item.Line)
		}
	}
	return p
}

// mapping checks that n is a mapping of unique, known, scalar keys and
// returns its values and the line of each key. where completes
// "unknown key %q ...".
func (w *walker) mapping(n *yaml.Node, what, where string, known []string) (map[string]*yaml.Node, map[string]int, bool) {
	if !w.kind(n, yaml.MappingNode, what) {
		return nil, nil, false
	}
	fields := make(map[string]*yaml.Node, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for k := 0; k+1 < len(n.Content); k += 2 {
		key, val := n.Content[k], n.Content[k+1]
		if key.Kind != yaml.ScalarNode {
			w.errorf(key.Line, "keys must be plain names %s", where)
			continue
		}
		if first, dup := seen[key.Value]; dup {
			w.errorf(key.Line, "duplicate key %q %s (first at line %d)", key.Value, where, first)
			continue
		}
		seen[key.Value] = key.Line
		if !slices.Contains(known, key.Value) {
			w.errorf(key.Line, "unknown key %q %s%s", key.Value, where, Suggest(key.Value, known))
			continue
		}
		fields[key.Value] = val
	}
	return fields, seen, true
}

// kind checks the node kind, rejecting aliases outright.
func (w *walker) kind(n *yaml.Node, want yaml.Kind, what string) bool {
	if n.Kind == yaml.AliasNode {
		w.errorf(n.Line, "%s: YAML aliases are not allowed in a %s", what, cmp.Or(w.doc, "catalog"))
		return false
	}
	if n.Kind != want {
		w.errorf(n.Line, "%s must be %s, not %s", what, kindName(want), kindName(n.Kind))
		return false
	}
	return true
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a document"
	}
}

// scalarAt returns the scalar value of key in mapping n, or "" if there is
// none; it is only used to name things in messages.
func scalarAt(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key && n.Content[k+1].Kind == yaml.ScalarNode {
			return strings.TrimSpace(n.Content[k+1].Value)
		}
	}
	return ""
}

// snakeCase is the form of every ID: lowercase words of letters and digits
// joined by single underscores, starting with a letter.
var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// placeholder finds {word} tokens in a seed; JSON or shell braces in a seed
// do not match because they contain quotes, spaces or capitals.
var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// validate applies the semantic rules to a decoded catalog. listLine and ps,
// when known, give the line of the vulnerability list and of each part
// (Parse); without them errors carry no line.
func validate(c *Catalog, source string, listLine int, ps []vulnPos) []error {
	var errs []error
	errorf := func(line int, format string, args ...any) {
		errs = append(errs, &Error{Source: source, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if len(c.Vulnerabilities) == 0 {
		errorf(listLine, "the catalog has no vulnerabilities")
	}
	// vulnLine and friends fall back to the nearest enclosing line.
	vulnLine := func(i int, key string) int {
		if i >= len(ps) {
			return 0
		}
		if l, ok := ps[i].keys[key]; ok {
			return l
		}
		return ps[i].line
	}
	typePos := func(i, j int) *pos {
		if i >= len(ps) || j >= len(ps[i].types) {
			return nil
		}
		return &ps[i].types[j]
	}
	typeLine := func(i, j int, key string) int {
		p := typePos(i, j)
		if p == nil {
			return 0
		}
		if l, ok := p.keys[key]; ok {
			return l
		}
		return p.line
	}
	itemLine := func(i, j int, key string, k int) int {
		if p := typePos(i, j); p != nil && k < len(p.items[key]) {
			return p.items[key][k]
		}
		return typeLine(i, j, key)
	}

	// The judges a sub-type may name: the built-in ones, whose one list is
	// judge.Builtin.
	judges := judge.Names()
	vulnSeen := make(map[string]int)
	type seedAt struct {
		where string
		line  int
	}
	seedSeen := make(map[string]seedAt)
	for i := range c.Vulnerabilities {
		v := &c.Vulnerabilities[i]
		vlabel := fmt.Sprintf("vulnerability #%d", i+1)
		if v.ID != "" {
			vlabel = fmt.Sprintf("vulnerability %q", v.ID)
		}
		checkID(errorf, vulnLine(i, "id"), v.ID, vlabel)
		if v.ID != "" {
			if first, dup := vulnSeen[v.ID]; dup {
				errorf(vulnLine(i, "id"), "duplicate vulnerability id %q (first defined%s)", v.ID, atLine(first))
			} else {
				vulnSeen[v.ID] = vulnLine(i, "id")
			}
		}
		for _, f := range []struct{ key, val string }{{"name", v.Name}, {"category", v.Category}, {"description", v.Description}} {
			if f.val == "" {
				errorf(vulnLine(i, f.key), "missing field %q in %s", f.key, vlabel)
			}
		}
		if v.Category != "" && !snakeCase.MatchString(v.Category) {
			errorf(vulnLine(i, "category"), "category %q of %s is not snake_case", v.Category, vlabel)
		}
		if len(v.Types) == 0 {
			errorf(vulnLine(i, "types"), "%s has no types", vlabel)
		}

		typeSeen := make(map[string]int)
		for j := range v.Types {
			t := &v.Types[j]
			tlabel := fmt.Sprintf("type #%d of %s", j+1, vlabel)
			if t.ID != "" {
				tlabel = fmt.Sprintf("type %q", v.ID+":"+t.ID)
			}
			checkID(errorf, typeLine(i, j, "id"), t.ID, tlabel)
			if t.ID != "" {
				if first, dup := typeSeen[t.ID]; dup {
					errorf(typeLine(i, j, "id"), "duplicate type id %q in %s (first defined%s)", t.ID, vlabel, atLine(first))
				} else {
					typeSeen[t.ID] = typeLine(i, j, "id")
				}
			}
			severity := cmp.Or(t.badSeverity, t.Severity.String())
			for _, f := range []struct{ key, val string }{{"description", t.Description}, {"severity", severity}, {"rubric", t.Rubric}} {
				if f.val == "" {
					errorf(typeLine(i, j, f.key), "missing field %q in %s", f.key, tlabel)
				}
			}
			if severity != "" && (t.badSeverity != "" || !slices.Contains(Severities(), t.Severity)) {
				errorf(typeLine(i, j, "severity"), "invalid severity %q in %s: want one of %s",
					severity, tlabel, severityNames())
			}

			if len(t.Judges) == 0 {
				errorf(typeLine(i, j, "judges"), "%s names no judges", tlabel)
			}
			for k, name := range t.Judges {
				switch {
				case !slices.Contains(judges, name):
					errorf(itemLine(i, j, "judges", k), "unknown judge %q in %s%s", name, tlabel, Suggest(name, judges))
				case slices.Index(t.Judges, name) < k:
					errorf(itemLine(i, j, "judges", k), "judge %q is listed twice in %s", name, tlabel)
				}
			}

			if len(t.Seeds) < MinSeeds {
				errorf(typeLine(i, j, "seeds"), "%s has %d seeds; at least %d are required", tlabel, len(t.Seeds), MinSeeds)
			}
			usesMarker := false
			for k, seed := range t.Seeds {
				line := itemLine(i, j, "seeds", k)
				if seed == "" {
					errorf(line, "seed #%d of %s is empty", k+1, tlabel)
					continue
				}
				if first, dup := seedSeen[seed]; dup {
					errorf(line, "seed #%d of %s repeats a seed of %s%s", k+1, tlabel, first.where, atLine(first.line))
				} else {
					seedSeen[seed] = seedAt{where: tlabel, line: line}
				}
				for _, ph := range placeholder.FindAllString(seed, -1) {
					if ph != PlaceholderPurpose && ph != PlaceholderMarker {
						errorf(line, "seed #%d of %s uses unknown placeholder %s%s", k+1, tlabel, ph,
							Suggest(ph, []string{PlaceholderPurpose, PlaceholderMarker}))
					}
				}
				if strings.Contains(seed, PlaceholderMarker) {
					usesMarker = true
				}
			}
			hasMarkerJudge := slices.Contains(t.Judges, markerJudge)
			if usesMarker && !hasMarkerJudge {
				errorf(typeLine(i, j, "judges"), "%s has seeds with %s but does not list the %q judge", tlabel, PlaceholderMarker, markerJudge)
			}
			if hasMarkerJudge && !usesMarker && len(t.Seeds) > 0 {
				errorf(typeLine(i, j, "judges"), "%s lists the %q judge but no seed uses %s", tlabel, markerJudge, PlaceholderMarker)
			}
		}
	}
	return errs
}

// checkID reports a missing or malformed id.
func checkID(errorf func(int, string, ...any), line int, id, label string) {
	switch {
	case id == "":
		errorf(line, "missing field \"id\" in %s", label)
	case !snakeCase.MatchString(id):
		errorf(line, "id %q of %s is not snake_case (lowercase letters, digits and single underscores, starting with a letter)", id, label)
	}
}

// atLine renders " at line N" when N is known.
func atLine(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf(" at line %d", line)
}

// Suggest returns `; did you mean "x"?` for the candidate nearest to name, or
// "" when none is near enough to be a plausible typo. It is meant to be
// appended to an "unknown ..." message, as Resolve does for vulnerability and
// type names.
func Suggest(name string, candidates []string) string { return suggest.Hint(name, candidates) }

// hintOrList is Suggest, or the list of known names when none is near.
func hintOrList(name string, candidates []string) string { return suggest.HintOrList(name, candidates) }
