package model

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
)

// Chat templates are Jinja2 programs that a server renders with the
// conversation. Jinja's sandbox is the only thing between a template and
// Python, and servers have rendered templates unsandboxed (CVE-2024-34359
// in llama-cpp-python): a template such as
// {{ cycler.__init__.__globals__.os.popen('id').read() }} then runs shell
// commands. Real chat templates never touch dunder attributes, Python
// modules or Jinja's object internals, so the analyser tokenises every
// expression and statement and flags what reaches for them, including
// names assembled at run time from string pieces. Plain template text is
// never searched: a template may print the word "exec".

// jinjaIssue is one problem found in a template; pos is the byte offset in
// the template.
type jinjaIssue struct {
	rule, message, detail string
	severity              finding.Severity
	pos                   int
}

// jinjaTokKind classifies a token inside a tag.
type jinjaTokKind int

const (
	jinjaName jinjaTokKind = iota
	jinjaString
	jinjaNumber
	jinjaOp
)

// jinjaTok is one token of an expression or statement. For strings, text is
// the decoded value and escaped reports whether it used a byte escape for a
// printable character (a way to hide names from text search).
type jinjaTok struct {
	kind    jinjaTokKind
	text    string
	pos     int
	escaped bool
}

// jinjaTag is the content of one {{ }} or {% %} tag.
type jinjaTag struct {
	statement  bool
	pos        int
	raw        string
	toks       []jinjaTok
	unfinished bool
}

// jinjaModules are Python modules; naming one as a variable or attribute
// followed by an attribute access means the template holds the module.
var jinjaModules = []string{"os", "subprocess", "builtins", "importlib", "posix"}

// jinjaDangerousAttrs are attributes that only Python internals and
// process-control objects have; reading one is never chat formatting.
var jinjaDangerousAttrs = []string{
	"popen", "system", "import_module", "load_module", "check_output", "check_call",
	"spawnv", "spawnl", "execv", "execl", "mro", "func_globals", "f_globals", "f_locals",
	"f_back", "gi_frame", "gi_code", "cr_frame", "tb_frame", "tb_next", "co_code",
	"co_consts", "im_func", "environ", "from_pyfile", "from_object", "from_envvar",
}

// jinjaLookupNames are dangerous as a subscript or |attr key: the modules
// and attributes above, except "system", which dictionaries keyed by chat
// role legitimately use.
var jinjaLookupNames = slices.DeleteFunc(slices.Concat(jinjaModules, jinjaDangerousAttrs), func(s string) bool { return s == "system" })

// jinjaDangerousCalls are dangerous when called, as in eval(...).
var jinjaDangerousCalls = []string{"eval", "exec", "getattr", "setattr", "compile", "open", "globals", "locals", "vars", "breakpoint"}

// jinjaOddGlobals are Jinja's built-in helper objects: legal in a template,
// unheard of in a chat template, and the usual first step to Python
// internals (their methods carry __globals__).
var jinjaOddGlobals = []string{"cycler", "joiner", "lipsum", "self", "request", "url_for", "get_flashed_messages"}

// jinjaBuilders are filters and operators that assemble strings, the
// trick used to spell a forbidden name without writing it.
var jinjaBuilders = []string{"join", "format", "replace", "reverse", "string", "lower", "upper", "capitalize", "title", "list", "first", "last", "batch", "slice"}

var jinjaDunderRE = regexp.MustCompile(`(?i)__[a-z][a-z0-9_]*__|_templatereference__|__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|code|reduce|self)`)

// analyzeJinja returns the issues in a template, in order of position.
func analyzeJinja(src string) []jinjaIssue {
	var issues []jinjaIssue
	seen := map[string]bool{}
	add := func(rule string, severity finding.Severity, message string, pos int, detail string) {
		key := fmt.Sprint(rule, "\x00", pos)
		if seen[key] {
			return
		}
		seen[key] = true
		issues = append(issues, jinjaIssue{rule: rule, severity: severity, message: message, detail: detail, pos: pos})
	}
	for _, tag := range jinjaTags(src) {
		jinjaCheckTag(tag, add)
	}
	slices.SortStableFunc(issues, func(a, b jinjaIssue) int { return a.pos - b.pos })
	return issues
}

// jinjaTags splits a template into tags, skipping text, comments and raw
// blocks.
func jinjaTags(src string) []jinjaTag {
	var tags []jinjaTag
	for i := 0; i < len(src); {
		j := strings.IndexByte(src[i:], '{')
		if j < 0 || i+j+1 >= len(src) {
			break
		}
		start := i + j
		switch src[start+1] {
		case '#':
			end := strings.Index(src[start+2:], "#}")
			if end < 0 {
				return tags
			}
			i = start + 2 + end + 2
		case '{', '%':
			statement := src[start+1] == '%'
			tag := jinjaLexTag(src, start, statement)
			tags = append(tags, tag)
			i = start + len(tag.raw)
			if statement && len(tag.toks) > 0 && tag.toks[0].kind == jinjaName && tag.toks[0].text == "raw" {
				i = jinjaSkipRaw(src, i)
			}
			if i <= start {
				i = start + 2
			}
		default:
			i = start + 1
		}
	}
	return tags
}

// jinjaSkipRaw returns the offset after the {% endraw %} that closes a raw
// block starting at i, or the end of the template.
func jinjaSkipRaw(src string, i int) int {
	for i < len(src) {
		j := strings.Index(src[i:], "{%")
		if j < 0 {
			return len(src)
		}
		tag := jinjaLexTag(src, i+j, true)
		if len(tag.toks) > 0 && tag.toks[0].text == "endraw" {
			return i + j + len(tag.raw)
		}
		i += j + 2
	}
	return len(src)
}

// jinjaLexTag tokenises the tag opening at src[start] ("{{" or "{%") up to
// its closing delimiter outside string literals, or the end of the template
// when it is never closed.
func jinjaLexTag(src string, start int, statement bool) jinjaTag {
	closer := "}}"
	if statement {
		closer = "%}"
	}
	tag := jinjaTag{statement: statement, pos: start}
	i := start + 2
	if i < len(src) && (src[i] == '-' || src[i] == '+') {
		i++
	}
	for i < len(src) {
		c := src[i]
		switch {
		case strings.HasPrefix(src[i:], closer):
			tag.raw = src[start : i+2]
			return tag
		case c == '-' && strings.HasPrefix(src[i+1:], closer):
			tag.raw = src[start : i+3]
			return tag
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			tok, end := jinjaLexString(src, i)
			tag.toks = append(tag.toks, tok)
			i = end
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '_' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' || src[j] == 'x' || src[j]|0x20 >= 'a' && src[j]|0x20 <= 'f') {
				j++
			}
			tag.toks = append(tag.toks, jinjaTok{kind: jinjaNumber, text: src[i:j], pos: i})
			i = j
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)) || c >= utf8.RuneSelf:
			j := i
			for j < len(src) {
				r, n := utf8.DecodeRuneInString(src[j:])
				if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				j += n
			}
			if j == i { // a non-letter rune: an operator Jinja would reject
				_, n := utf8.DecodeRuneInString(src[i:])
				j = i + n
				tag.toks = append(tag.toks, jinjaTok{kind: jinjaOp, text: src[i:j], pos: i})
			} else {
				tag.toks = append(tag.toks, jinjaTok{kind: jinjaName, text: src[i:j], pos: i})
			}
			i = j
		default:
			n := 1
			for _, op := range []string{"**", "//", "==", "!=", "<=", ">="} {
				if strings.HasPrefix(src[i:], op) {
					n = 2
				}
			}
			tag.toks = append(tag.toks, jinjaTok{kind: jinjaOp, text: src[i : i+n], pos: i})
			i += n
		}
	}
	tag.raw = src[start:]
	tag.unfinished = true
	return tag
}

// jinjaLexString decodes the string literal at src[i] with Python escape
// rules and returns it with the offset after its closing quote.
func jinjaLexString(src string, i int) (jinjaTok, int) {
	quote := src[i]
	tok := jinjaTok{kind: jinjaString, pos: i}
	var b strings.Builder
	j := i + 1
	for j < len(src) && src[j] != quote {
		if src[j] != '\\' || j+1 >= len(src) {
			b.WriteByte(src[j])
			j++
			continue
		}
		e := src[j+1]
		j += 2
		width := 0
		switch e {
		case 'x':
			width = 2
		case 'u':
			width = 4
		case 'U':
			width = 8
		}
		switch {
		case width > 0 && j+width <= len(src):
			if v, err := strconv.ParseUint(src[j:j+width], 16, 32); err == nil {
				r := rune(v)
				if r < 0x7f && r > 0x20 {
					tok.escaped = true
				}
				b.WriteRune(r)
				j += width
				continue
			}
			b.WriteByte(e)
		case e >= '0' && e <= '7':
			k := j - 1
			for k < len(src) && k < j+2 && src[k] >= '0' && src[k] <= '7' {
				k++
			}
			v, _ := strconv.ParseUint(src[j-1:k], 8, 32)
			if v < 0x7f && v > 0x20 {
				tok.escaped = true
			}
			b.WriteRune(rune(v))
			j = k
		case e == 'n':
			b.WriteByte('\n')
		case e == 't':
			b.WriteByte('\t')
		case e == 'r':
			b.WriteByte('\r')
		default:
			// \\ \' \" and unknown escapes: Python keeps unknown ones
			// with their backslash, which does not matter for matching.
			b.WriteByte(e)
		}
	}
	tok.text = b.String()
	return tok, min(j+1, len(src))
}

// jinjaCheckTag applies the rules to one tag.
func jinjaCheckTag(tag jinjaTag, add func(rule string, severity finding.Severity, message string, pos int, detail string)) {
	toks := tag.toks
	snippet := tag.raw
	if len(snippet) > 160 {
		snippet = snippet[:160] + "…"
	}
	snippet = strings.ToValidUTF8(snippet, "\uFFFD")
	if tag.unfinished {
		add("jinja_unterminated_tag", finding.Info, "tag is never closed; Jinja would refuse the template", tag.pos, snippet)
	}
	if tag.statement && len(toks) > 0 && toks[0].kind == jinjaName {
		switch toks[0].text {
		case "import", "from", "include", "extends":
			add("jinja_loads_template", finding.Info,
				fmt.Sprintf("{%% %s %%} loads another template, which a chat template has no use for", toks[0].text), toks[0].pos, snippet)
		}
	}
	next := func(i int) jinjaTok {
		if i+1 < len(toks) {
			return toks[i+1]
		}
		return jinjaTok{kind: -1}
	}
	prevOp := func(i int, op string) bool { return i > 0 && toks[i-1].kind == jinjaOp && toks[i-1].text == op }
	building := false
	for i, t := range toks {
		switch t.kind {
		case jinjaName:
			isAttr := prevOp(i, ".")
			isFilter := prevOp(i, "|")
			n := next(i)
			switch {
			case strings.Contains(t.text, "__"):
				add("jinja_dunder", finding.Critical,
					fmt.Sprintf("template touches the Python internal name %q, the way out of the Jinja sandbox", t.text), t.pos, snippet)
			case isAttr && strings.HasPrefix(t.text, "_"):
				add("jinja_private_attribute", finding.High,
					fmt.Sprintf("template reads the private attribute %q", t.text), t.pos, snippet)
			case slices.Contains(jinjaModules, t.text) && (isAttr || n.text == "." || n.text == "["),
				isAttr && slices.Contains(jinjaDangerousAttrs, t.text):
				add("jinja_dangerous_name", finding.Critical,
					fmt.Sprintf("template reaches for %q, a Python module or process helper", t.text), t.pos, snippet)
			case t.text == "config" && !isAttr && n.text == "." && i+2 < len(toks) && toks[i+2].text == "items":
				add("jinja_global_object", finding.High,
					"template lists config.items(), the Flask configuration dump used in template injection", t.pos, snippet)
			case slices.Contains(jinjaDangerousCalls, t.text) && n.text == "(" && !isFilter:
				add("jinja_dangerous_call", finding.Critical,
					fmt.Sprintf("template calls %q, which runs or loads code", t.text), t.pos, snippet)
			case !isAttr && !isFilter && slices.Contains(jinjaOddGlobals, t.text):
				if n.text == "." || n.text == "[" || n.text == "|" {
					add("jinja_global_object", finding.High,
						fmt.Sprintf("template digs into the Jinja/Flask global %q, a known first step to Python internals", t.text), t.pos, snippet)
				} else if t.text == "cycler" || t.text == "joiner" || t.text == "lipsum" {
					add("jinja_unusual_global", finding.Info,
						fmt.Sprintf("template uses the Jinja global %q, unusual in a chat template", t.text), t.pos, snippet)
				}
			case isFilter && t.text == "attr":
				jinjaCheckAttrFilter(toks, i, snippet, add)
			}
			if isFilter && slices.Contains(jinjaBuilders, t.text) {
				building = true
			}
			if isFilter && (t.text == "string" || t.text == "list") && jinjaIndexedSoon(toks, i) {
				add("jinja_char_picking", finding.High,
					"template indexes into an object's string form to pick out characters, a way to spell names without writing them", t.pos, snippet)
			}
		case jinjaString:
			if jinjaDunderRE.MatchString(t.text) {
				add("jinja_dunder", finding.Critical,
					fmt.Sprintf("string %q names a Python internal", jinjaShort(t.text)), t.pos, snippet)
			} else if prevOp(i, "[") && slices.Contains(jinjaLookupNames, t.text) {
				add("jinja_dangerous_name", finding.Critical,
					fmt.Sprintf("template looks up %q, a Python module or code-execution helper", t.text), t.pos, snippet)
			}
			if t.escaped {
				add("jinja_escaped_string", finding.High,
					"string literal spells printable characters with escapes, a way to hide names", t.pos, snippet)
			}
			if strings.Contains(t.text, "%c") {
				add("jinja_char_picking", finding.High,
					"template builds characters from numbers with %c, a way to spell names without writing them", t.pos, snippet)
				if s := jinjaEmulateFormat(toks, i); jinjaDunderRE.MatchString(s) {
					add("jinja_built_dunder", finding.Critical,
						fmt.Sprintf("%%c formatting spells %q, a Python internal", jinjaShort(s)), t.pos, snippet)
				}
			}
		case jinjaOp:
			if t.text == "~" || t.text == "+" || t.text == "%" {
				building = true
			}
		}
	}
	if !building {
		return
	}
	// Concatenate every literal of the tag, forwards and backwards, and
	// case-folded by the regexp: what a builder could have assembled.
	var material strings.Builder
	for i, t := range toks {
		if t.kind == jinjaString {
			material.WriteString(t.text)
		} else if t.kind == jinjaName && (prevOp(i, "(") || prevOp(i, ",")) && next(i).text == "=" {
			material.WriteString(t.text) // dict(__cla=1, ss__=1)|join
		}
	}
	s := material.String()
	if jinjaDunderRE.MatchString(s) || jinjaDunderRE.MatchString(jinjaReverse(s)) {
		add("jinja_built_dunder", finding.Critical,
			"template assembles a Python internal name from string pieces", tag.pos, snippet)
	}
}

// jinjaCheckAttrFilter checks the argument of an |attr(...) filter at
// toks[i]: a literal name is checked like an attribute, anything computed
// is critical, since a name built at run time is the point of the trick.
func jinjaCheckAttrFilter(toks []jinjaTok, i int, snippet string, add func(rule string, severity finding.Severity, message string, pos int, detail string)) {
	t := toks[i]
	if i+3 < len(toks) && toks[i+1].text == "(" && toks[i+2].kind == jinjaString && toks[i+3].text == ")" {
		name := toks[i+2].text
		if jinjaDunderRE.MatchString(name) || strings.HasPrefix(name, "_") || slices.Contains(jinjaLookupNames, name) {
			add("jinja_attr_filter", finding.Critical,
				fmt.Sprintf("|attr(%q) reads a Python internal", jinjaShort(name)), t.pos, snippet)
			return
		}
		add("jinja_attr_filter", finding.Info, fmt.Sprintf("template uses |attr(%q)", jinjaShort(name)), t.pos, snippet)
		return
	}
	add("jinja_attr_dynamic", finding.Critical,
		"|attr() with a computed name: the attribute is chosen at run time, the classic way to reach Python internals", t.pos, snippet)
}

// jinjaIndexedSoon reports whether the filter at toks[i] is followed,
// within a closing parenthesis or two, by an index: (x|string)[3].
func jinjaIndexedSoon(toks []jinjaTok, i int) bool {
	for j := i + 1; j < len(toks) && j <= i+3; j++ {
		switch toks[j].text {
		case "[":
			return true
		case ")":
			continue
		default:
			return false
		}
	}
	return false
}

// jinjaEmulateFormat evaluates '%c%c'|format(95, 95) or '%c%c' % (95, 95)
// when the arguments are integer literals, returning "" otherwise.
func jinjaEmulateFormat(toks []jinjaTok, i int) string {
	var args []rune
	for j := i + 1; j < len(toks) && len(args) < 256; j++ {
		t := toks[j]
		if t.kind == jinjaNumber {
			v, err := strconv.ParseInt(strings.ReplaceAll(t.text, "_", ""), 0, 32)
			if err != nil {
				return ""
			}
			args = append(args, rune(v))
			continue
		}
		if t.kind == jinjaOp && strings.Contains("|%(),", t.text) || t.kind == jinjaName && t.text == "format" {
			continue
		}
		break
	}
	format := toks[i].text
	var b strings.Builder
	for k := 0; k < len(format); k++ {
		if format[k] == '%' && k+1 < len(format) && format[k+1] == 'c' && len(args) > 0 {
			b.WriteRune(args[0])
			args = args[1:]
			k++
			continue
		}
		b.WriteByte(format[k])
	}
	return b.String()
}

func jinjaReverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

func jinjaShort(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// chatTemplateFindings analyses a chat template stored at byte offset base
// of the file (member names where it came from, such as a GGUF key or
// "tokenizer_config.json") and returns its issues as findings.
func chatTemplateFindings(tmpl, member string, base int64) []Finding {
	var out []Finding
	for _, is := range analyzeJinja(tmpl) {
		out = append(out, Finding{Finding: finding.Finding{
			Type: is.rule, Severity: is.severity, Message: is.message,
			Member: member, Offset: offsetAt(base + int64(is.pos)),
		}, Detail: is.detail,
		})
	}
	return out
}
