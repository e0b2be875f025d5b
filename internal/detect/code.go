package detect

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// Code finding types: "code:<language>" for a block of a known language,
// "code:unknown" for code whose language is unclear, and "code:inline" for
// `inline code` spans.
const (
	TypeCodePrefix  = "code:"
	TypeCodeUnknown = "code:unknown"
	TypeCodeInline  = "code:inline"
)

//go:embed rules/code.yaml
var codeRulesYAML []byte

// codeRules is the decoded form of rules/code.yaml.
type codeRules struct {
	Languages []codeLanguage `yaml:"languages"`
}

// codeLanguage is one language's names, signatures and examples.
type codeLanguage struct {
	Name       string   `yaml:"name"`
	Aliases    []string `yaml:"aliases"`
	Signatures []struct {
		S string  `yaml:"s"`
		W float64 `yaml:"w"`
	} `yaml:"signatures"`
	Examples struct {
		Positive []string `yaml:"positive"`
		Negative []string `yaml:"negative"`
	} `yaml:"examples"`
}

// codeTable holds the compiled rules, shared by all Code detectors (it is
// never modified after init).
var codeTable = mustCodeRules(codeRulesYAML)

// mustCodeRules decodes and checks the embedded rules; a broken file is a
// programming error caught by every test run.
func mustCodeRules(data []byte) *codeRules {
	var r codeRules
	if err := yamlx.Decode(data, "rules/code.yaml", &r); err != nil {
		panic(err)
	}
	seen := map[string]bool{}
	for _, l := range r.Languages {
		if l.Name == "" || seen[l.Name] || len(l.Signatures) == 0 {
			panic(fmt.Sprintf("rules/code.yaml: language %q: empty, duplicate or without signatures", l.Name))
		}
		seen[l.Name] = true
	}
	return &r
}

// CodeLanguages returns the names of the languages Code recognises.
func CodeLanguages() []string {
	out := make([]string, 0, len(codeTable.Languages))
	for _, l := range codeTable.Languages {
		out = append(out, l.Name)
	}
	return out
}

// CodeOptions restricts which languages a Code detector reports.
type CodeOptions struct {
	// Allow lists languages that are fine: never reported.
	Allow []string
	// Deny, when not empty, lists the only languages reported (plus
	// "unknown" if listed).
	Deny []string
	// Inline reports `inline code` spans too, at a low score (0.3).
	Inline bool
}

// Code finds source code in text and says which language it is in: fenced
// markdown blocks (by their info string, else by content) and unfenced
// runs of code-like lines, classified by weighted signatures kept as data
// in rules/code.yaml (python, javascript/typescript, go, java, c, cpp,
// csharp, ruby, php, rust, shell, powershell, sql, html, css, yaml, json).
//
// A fenced block scores 0.9; an unfenced run scores 0.5 to 0.85 with its
// length and the strength of its signatures. Findings span the block.
type Code struct {
	allow, deny map[string]bool
	inline      bool
}

// NewCode returns a Code detector reporting every language.
func NewCode() *Code { return &Code{} }

// NewCodeWith returns a Code detector restricted by opts; naming a language
// it does not know is an error.
func NewCodeWith(opts CodeOptions) (*Code, error) {
	c := &Code{inline: opts.Inline}
	known := append(CodeLanguages(), "unknown")
	set := func(names []string, what string) (map[string]bool, error) {
		if len(names) == 0 {
			return nil, nil
		}
		m := map[string]bool{}
		for _, n := range names {
			n = strings.ToLower(strings.TrimSpace(n))
			if !slices.Contains(known, n) {
				return nil, fmt.Errorf("code: %s language %q: want one of %s", what, n, strings.Join(known, ", "))
			}
			m[n] = true
		}
		return m, nil
	}
	var err error
	if c.allow, err = set(opts.Allow, "allowed"); err != nil {
		return nil, err
	}
	if c.deny, err = set(opts.Deny, "denied"); err != nil {
		return nil, err
	}
	return c, nil
}

// Name implements Detector.
func (*Code) Name() string { return "code" }

// Scan implements Detector.
func (c *Code) Scan(text string) []Finding {
	var out []Finding
	add := func(lang string, s, e int, score float64) {
		if lang != "inline" && (c.allow[lang] || c.deny != nil && !c.deny[lang]) {
			return
		}
		out = append(out, Finding{Scanner: c.Name(), Type: TypeCodePrefix + lang, Start: s, End: e, Score: score})
	}
	lines := codeLines(text)
	var run []codeLine // consecutive code-like lines outside fences
	flush := func() {
		c.judgeRun(text, run, add)
		run = run[:0]
	}
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		if fence, info, ok := codeFenceOpen(ln.text); ok {
			flush()
			end := len(lines) - 1
			for j := i + 1; j < len(lines); j++ {
				if codeFenceClose(lines[j].text, fence) {
					end = j
					break
				}
			}
			bodyStart, bodyEnd := ln.end, lines[end].start
			if end == i || end == len(lines)-1 && !codeFenceClose(lines[end].text, fence) {
				bodyEnd = lines[end].end
			}
			lang := codeAlias(info)
			if lang == "" {
				lang = codeClassify(text[min(bodyStart, bodyEnd):bodyEnd])
			}
			if lang == "" {
				lang = "unknown"
			}
			add(lang, ln.start, lines[end].end, 0.9)
			i = end
			continue
		}
		switch {
		case codeLineScore(ln.text) >= 0.5:
			run = append(run, ln)
		case strings.TrimSpace(ln.text) == "" && len(run) > 0:
			// A blank line inside code keeps the run going.
		default:
			flush()
			if c.inline {
				codeInline(text, ln, add)
			}
		}
	}
	flush()
	sortFindings(out)
	return out
}

// judgeRun reports a run of code-like lines when it is long or strong
// enough.
func (c *Code) judgeRun(text string, run []codeLine, add func(string, int, int, float64)) {
	if len(run) == 0 {
		return
	}
	s, e := run[0].start, run[len(run)-1].end
	lang, weight := codeClassifyWeight(text[s:e])
	switch {
	case len(run) >= 2 && lang != "":
		add(lang, s, e, min(0.85, 0.5+0.05*float64(len(run))+0.03*weight))
	case len(run) == 1 && lang != "" && weight >= 3:
		add(lang, s, e, 0.55)
	case len(run) >= 3:
		add("unknown", s, e, 0.5)
	}
}

// codeInline reports `inline code` spans on one line.
func codeInline(text string, ln codeLine, add func(string, int, int, float64)) {
	for i := ln.start; i < ln.end; i++ {
		if text[i] != '`' {
			continue
		}
		j := strings.IndexByte(text[i+1:ln.end], '`')
		if j < 1 {
			continue
		}
		add("inline", i, i+j+2, 0.3)
		i += j + 1
	}
}

// codeLine is one line of text, without its line break.
type codeLine struct {
	text       string
	start, end int
}

// codeLines splits text into lines.
func codeLines(text string) []codeLine {
	var out []codeLine
	for s := 0; s < len(text); {
		e := strings.IndexByte(text[s:], '\n')
		if e < 0 {
			e = len(text)
		} else {
			e += s
		}
		end := e
		if end > s && text[end-1] == '\r' {
			end--
		}
		out = append(out, codeLine{text: text[s:end], start: s, end: end})
		s = e + 1
	}
	return out
}

// codeFenceOpen recognises a markdown fence opening: up to 3 spaces, then
// at least 3 backticks or tildes, then an info string.
func codeFenceOpen(line string) (fence, info string, ok bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || len(t) < 3 || t[0] != '`' && t[0] != '~' {
		return "", "", false
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 || t[0] == '`' && strings.IndexByte(t[n:], '`') >= 0 {
		return "", "", false
	}
	return t[:n], strings.TrimSpace(t[n:]), true
}

// codeFenceClose reports whether line closes a block opened by fence.
func codeFenceClose(line, fence string) bool {
	t := strings.TrimSpace(line)
	return len(t) >= len(fence) && strings.Trim(t, fence[:1]) == "" && len(line)-len(strings.TrimLeft(line, " ")) <= 3
}

// codeAlias maps a fence info string to a language name, "" if unknown.
func codeAlias(info string) string {
	fields := strings.FieldsFunc(info, func(r rune) bool { return r == ' ' || r == '{' || r == ',' })
	if len(fields) == 0 {
		return ""
	}
	word := strings.ToLower(fields[0])
	word = strings.TrimPrefix(word, "language-")
	for _, l := range codeTable.Languages {
		if slices.Contains(l.Aliases, word) {
			return l.Name
		}
	}
	return ""
}

// codeClassify returns the language of a code text, "" if unclear.
func codeClassify(code string) string {
	lang, _ := codeClassifyWeight(code)
	return lang
}

// codeClassifyWeight returns the language whose distinct signatures in
// code weigh most, and that weight; "" unless it reaches 2 and beats the
// runner-up.
func codeClassifyWeight(code string) (string, float64) {
	lower := "\n" + strings.ToLower(code) + "\n"
	best, second := "", 0.0
	bestW := 0.0
	for _, l := range codeTable.Languages {
		w := 0.0
		for _, sig := range l.Signatures {
			if strings.Contains(lower, sig.S) {
				w += sig.W
			}
		}
		switch {
		case w > bestW:
			second = bestW
			best, bestW = l.Name, w
		case w > second:
			second = w
		}
	}
	if bestW < 2 || bestW <= second {
		return "", 0
	}
	return best, bestW
}

// codeLineScore says how much a line looks like code rather than prose,
// 0..1: code ends lines with brackets and semicolons, starts them with
// keywords, and is dense in symbols; prose is words ending in a full stop.
func codeLineScore(line string) float64 {
	t := strings.TrimSpace(line)
	if t == "" {
		return 0
	}
	score := 0.0
	kw := codeStartsWithKeyword(t)
	switch t[len(t)-1] {
	case ';', '{', '}', '(', '[', ']':
		score += 0.5
	case ')', ',':
		score += 0.2
	case ':':
		if kw {
			score += 0.5
		}
	}
	if kw {
		score += 0.4
		if last := t[len(t)-1]; last != '.' && last != '?' && last != '!' {
			score += 0.2 // a command, not a sentence
		}
	}
	symbols := 0
	for i := 0; i < len(t); i++ {
		if strings.IndexByte("{}[]();=<>$_*/\\|&:#\"'", t[i]) >= 0 {
			symbols++
		}
	}
	density := float64(symbols) / float64(len(t))
	switch {
	case density > 0.15:
		score += 0.4
	case density > 0.08:
		score += 0.2
	}
	// Prose: several words and a sentence end.
	if (t[len(t)-1] == '.' || t[len(t)-1] == '?' || t[len(t)-1] == '!') && strings.Count(t, " ") >= 5 && density < 0.08 {
		score = 0
	}
	return min(1, score)
}

// codeKeywords start lines of code in the languages Code knows.
var codeKeywords = strings.Fields(`def class import from func package public private protected static
	const let var fn impl use #include using return if( if for( for while while( print( console. echo
	select insert update delete create drop alter $ sudo npm pip go cargo docker kubectl git
	<div <html <script <?php <!doctype } { // # /* * elif else: try: except finally: with async await
	apiversion: kind: get-childitem write-host set- new- invoke- fmt. std:: System. int char void`)

// codeKeywordsUpper holds codeKeywords in upper case.
var codeKeywordsUpper = func() []string {
	out := make([]string, len(codeKeywords))
	for i, k := range codeKeywords {
		out[i] = strings.ToUpper(k)
	}
	return out
}()

// codeStartsWithKeyword reports whether t (trimmed) starts with a code
// keyword followed by a space or punctuation. Keywords match in lower case
// or, for SQL's sake, upper case, so that prose ("For example:") does not;
// dotted and hyphenated names (cmdlets, packages) match in any case.
func codeStartsWithKeyword(t string) bool {
	for i, k := range codeKeywords {
		if len(t) < len(k) {
			continue
		}
		p := t[:len(k)]
		ok := p == k || p == codeKeywordsUpper[i]
		if !ok && strings.ContainsAny(k, ".-") {
			ok = strings.EqualFold(p, k)
		}
		if ok && (len(t) == len(k) || !isAlnum(t[len(k)]) || !isAlnum(k[len(k)-1])) {
			return true
		}
	}
	return false
}
