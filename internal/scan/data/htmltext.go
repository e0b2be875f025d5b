package data

import (
	"io"
	"regexp"
	"strconv"
	"strings"
)

// This file turns HTML (and Markdown, which may embed HTML) into text
// segments: what a reader sees, and what is there for machines only, with
// how it was hidden. RAG loaders commonly keep every text node, so hidden
// text reaches the model while the page looks harmless to a reviewer.

// Ways text is hidden (Finding.HiddenBy).
const (
	hiddenComment     = "comment"
	hiddenDisplayNone = "display_none"
	hiddenVisibility  = "visibility_hidden"
	hiddenFontSize    = "font_size_zero"
	hiddenOpacity     = "opacity_zero"
	hiddenSameColor   = "same_color"
	hiddenOffscreen   = "offscreen"
	hiddenZeroSize    = "zero_size"
	hiddenAttribute   = "hidden_attribute"
	hiddenAria        = "aria_hidden"
	hiddenAlt         = "alt_attribute"
	hiddenTitle       = "title_attribute"
	hiddenTemplate    = "template"
	hiddenInput       = "hidden_input"
	hiddenMeta        = "meta_content"
	hiddenMarkdown    = "markdown_comment"
)

// styleHidden reports whether these hiding methods are visual tricks (a
// human cannot see the text in the rendered page). Comments, alt and title
// text, ARIA and metadata have ordinary uses and weigh less.
var styleHidden = map[string]bool{
	hiddenDisplayNone: true, hiddenVisibility: true, hiddenFontSize: true, hiddenOpacity: true,
	hiddenSameColor: true, hiddenOffscreen: true, hiddenZeroSize: true, hiddenAttribute: true,
	hiddenInput: true, hiddenTemplate: true,
}

// Limits of the extractor.
const (
	// segMaxVisible: visible text is cut into segments of about this size
	// (at a block boundary when one comes first).
	segMaxVisible = 16 << 10
	// segMaxDepth caps the element stack; deeper elements inherit.
	segMaxDepth = 512
	// segMaxCSSRules caps the class and id rules learnt from <style>.
	segMaxCSSRules = 10000
)

// segment is one piece of document text.
type segment struct {
	Text     string
	Line     int64
	Field    string // text, hidden, comment, alt, title, meta, input
	HiddenBy string // "" for visible text
}

// rgb is a colour; a is its alpha, 0..1.
type rgb struct {
	r, g, b int
	a       float64
}

// element is an open element on the stack, with what it inherits.
type element struct {
	name     string
	hiddenBy string // own or inherited
	fg, bg   rgb
	setColor bool // some element up to here set a colour
}

// blockElements end a line of visible text, so that words in adjacent
// blocks are not glued together.
var blockElements = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "tr": true, "td": true,
	"th": true, "table": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"section": true, "article": true, "header": true, "footer": true, "nav": true, "aside": true,
	"blockquote": true, "pre": true, "hr": true, "dd": true, "dt": true, "main": true, "form": true,
	"figure": true, "figcaption": true, "title": true, "body": true, "head": true, "html": true,
}

// voidElements never have content, so they are never pushed.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true,
}

// htmlExtractor walks tokens and emits segments through emit.
type htmlExtractor struct {
	z        *htmlTokenizer
	markdown bool
	stack    []element
	// visible text being gathered, and the hidden text of the innermost
	// hiding element (hidOwner is its stack depth).
	vis, hid           strings.Builder
	visLine, hidLine   int64
	hidBy              string
	hidOwner           int
	classRules, idRule map[string]string
	out                []segment
}

// newHTMLExtractor returns an extractor over r; markdown selects Markdown
// rules (paragraphs at blank lines, fenced code is literal, link-reference
// comments are hidden).
func newHTMLExtractor(r io.Reader, markdown bool) *htmlExtractor {
	return &htmlExtractor{z: newHTMLTokenizer(r, markdown), markdown: markdown,
		classRules: map[string]string{}, idRule: map[string]string{}}
}

// top returns the innermost open element (a document-level one when the
// stack is empty: black on white, visible).
func (x *htmlExtractor) top() element {
	if len(x.stack) == 0 {
		return element{fg: rgb{0, 0, 0, 1}, bg: rgb{255, 255, 255, 1}}
	}
	return x.stack[len(x.stack)-1]
}

// Next returns the next batch of segments (at least one) or io.EOF.
func (x *htmlExtractor) Next() ([]segment, error) {
	x.out = x.out[:0]
	for len(x.out) == 0 {
		t, err := x.z.Next()
		if err != nil {
			x.flushHidden()
			x.flushVisible()
			if len(x.out) > 0 {
				return x.out, nil
			}
			return nil, err
		}
		x.token(&t)
	}
	return x.out, nil
}

// token handles one token.
func (x *htmlExtractor) token(t *htmlToken) {
	switch t.Kind {
	case htmlText:
		x.text(t.Text, t.Line)
	case htmlComment:
		if strings.TrimSpace(t.Text) != "" {
			x.emit(segment{Text: t.Text, Line: t.Line, Field: "comment", HiddenBy: hiddenComment})
		}
	case htmlRaw:
		if t.Name == "style" {
			x.learnCSS(t.Text)
		}
	case htmlStartTag:
		x.start(t)
	case htmlEndTag:
		x.end(t.Name)
	}
}

// start handles a start tag: attribute texts, then the element's
// visibility, pushed for its content.
func (x *htmlExtractor) start(t *htmlToken) {
	parent := x.top()
	el := element{name: t.Name, hiddenBy: parent.hiddenBy, fg: parent.fg, bg: parent.bg, setColor: parent.setColor}
	own := ""
	if _, ok := t.attr("hidden"); ok {
		own = hiddenAttribute
	}
	if v, ok := t.attr("aria-hidden"); ok && strings.EqualFold(strings.TrimSpace(v), "true") && own == "" {
		own = hiddenAria
	}
	if t.Name == "template" && own == "" {
		own = hiddenTemplate
	}
	if cls, ok := t.attr("class"); ok && own == "" {
		for c := range strings.FieldsSeq(cls) {
			if r := x.classRules[c]; r != "" {
				own = r
				break
			}
		}
	}
	if id, ok := t.attr("id"); ok && own == "" {
		own = x.idRule[id]
	}
	if style, ok := t.attr("style"); ok {
		st := parseStyle(style)
		if own == "" {
			own = st.hidden
		}
		if st.fgSet {
			el.fg, el.setColor = st.fg, true
		}
		if st.bgSet && st.bg.a > 0 {
			el.bg, el.setColor = st.bg, true
		}
	}
	if own == "" && el.setColor && parent.hiddenBy == "" && sameColor(el.fg, el.bg) {
		own = hiddenSameColor
	}
	if el.hiddenBy == "" {
		el.hiddenBy = own
	}
	x.attrText(t, el.hiddenBy)
	if blockElements[t.Name] {
		x.visBreak()
	}
	if voidElements[t.Name] || t.SelfClosing || len(x.stack) >= segMaxDepth {
		return
	}
	x.stack = append(x.stack, el)
}

// attrText emits the texts a tag carries in attributes: alt and title
// (shown only on failure or hover), hidden inputs, and page metadata.
func (x *htmlExtractor) attrText(t *htmlToken, hiddenBy string) {
	add := func(text, field, how string) {
		if strings.TrimSpace(text) == "" {
			return
		}
		if hiddenBy != "" {
			how = hiddenBy
		}
		x.emit(segment{Text: text, Line: t.Line, Field: field, HiddenBy: how})
	}
	if v, ok := t.attr("alt"); ok {
		add(v, "alt", hiddenAlt)
	}
	if v, ok := t.attr("title"); ok {
		add(v, "title", hiddenTitle)
	}
	switch t.Name {
	case "input":
		if ty, _ := t.attr("type"); strings.EqualFold(ty, "hidden") {
			v, _ := t.attr("value")
			add(v, "input", hiddenInput)
		}
	case "meta":
		if _, named := t.attr("name"); named {
			v, _ := t.attr("content")
			add(v, "meta", hiddenMeta)
		} else if _, prop := t.attr("property"); prop {
			v, _ := t.attr("content")
			add(v, "meta", hiddenMeta)
		}
	}
}

// end closes the innermost open element of that name (and those opened
// inside it); an end tag with no open element is ignored.
func (x *htmlExtractor) end(name string) {
	for i := len(x.stack) - 1; i >= 0; i-- {
		if x.stack[i].name != name {
			continue
		}
		x.stack = x.stack[:i]
		if x.hid.Len() > 0 && x.hidOwner > len(x.stack) {
			x.flushHidden()
		}
		break
	}
	if blockElements[name] {
		x.visBreak()
	}
}

// text routes a text token to the visible or the hidden buffer.
func (x *htmlExtractor) text(s string, line int64) {
	el := x.top()
	if el.hiddenBy == "" {
		if x.markdown {
			x.markdownText(s, line)
			return
		}
		if x.vis.Len() == 0 {
			if strings.TrimSpace(s) == "" {
				return
			}
			x.visLine = line
		}
		x.vis.WriteString(s)
		if x.vis.Len() >= 4*segMaxVisible {
			x.flushVisible()
		}
		return
	}
	owner := x.hidingDepth()
	if x.hid.Len() > 0 && (owner != x.hidOwner || el.hiddenBy != x.hidBy) {
		x.flushHidden()
	}
	if x.hid.Len() == 0 {
		if strings.TrimSpace(s) == "" {
			return
		}
		x.hidLine, x.hidBy, x.hidOwner = line, el.hiddenBy, owner
	}
	x.hid.WriteString(s)
	if x.hid.Len() >= segMaxVisible {
		x.flushHidden()
	}
}

// hidingDepth returns the stack depth of the outermost element that hides
// the current text (its content ends when that element closes).
func (x *htmlExtractor) hidingDepth() int {
	for i, el := range x.stack {
		if el.hiddenBy != "" {
			return i + 1
		}
	}
	return len(x.stack)
}

// mdRefComment matches a Markdown link-reference definition used as a
// comment: [//]: # (text), [comment]: <> "text", ... It renders as nothing.
var mdRefComment = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*(?:#|<>)\s+(?:\((.*)\)|"(.*)"|'(.*)')\s*$`)

// markdownText adds Markdown text line by line: a blank line ends a
// paragraph (a segment) and link-reference comments become hidden text.
func (x *htmlExtractor) markdownText(s string, line int64) {
	for s != "" {
		ln := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			ln, s = s[:i+1], s[i+1:]
		} else {
			s = ""
		}
		trimmed := strings.TrimRight(ln, "\r\n")
		switch {
		case x.z.fence == "" && strings.TrimSpace(trimmed) == "" && strings.HasSuffix(ln, "\n"):
			x.vis.WriteString(ln)
			x.flushVisible()
		case x.z.fence == "" && mdRefComment.MatchString(trimmed):
			m := mdRefComment.FindStringSubmatch(trimmed)
			x.emit(segment{Text: m[1] + m[2] + m[3], Line: line, Field: "comment", HiddenBy: hiddenMarkdown})
		default:
			if x.vis.Len() == 0 {
				x.visLine = line
			}
			x.vis.WriteString(ln)
			if x.vis.Len() >= segMaxVisible {
				x.flushVisible()
			}
		}
		if strings.HasSuffix(ln, "\n") {
			line++
		}
	}
}

// visBreak ends a line of visible text at a block boundary, and ends the
// segment there when it has grown large.
func (x *htmlExtractor) visBreak() {
	if x.vis.Len() == 0 {
		return
	}
	if x.vis.Len() >= segMaxVisible {
		x.flushVisible()
		return
	}
	if v := x.vis.String(); !x.markdown && v[len(v)-1] != '\n' {
		x.vis.WriteByte('\n')
	}
}

func (x *htmlExtractor) flushVisible() {
	if x.vis.Len() > 0 && strings.TrimSpace(x.vis.String()) != "" {
		x.out = append(x.out, segment{Text: x.vis.String(), Line: x.visLine, Field: "text"})
	}
	x.vis.Reset()
}

func (x *htmlExtractor) flushHidden() {
	if x.hid.Len() > 0 {
		x.out = append(x.out, segment{Text: x.hid.String(), Line: x.hidLine, Field: "hidden", HiddenBy: x.hidBy})
	}
	x.hid.Reset()
}

func (x *htmlExtractor) emit(s segment) { x.out = append(x.out, s) }

// learnCSS reads the simple rules of a <style> sheet: a single class or id
// selector (".x", "#y", also in selector lists) whose declarations hide
// text. Rules with compound selectors are ignored; that misses some tricks
// but never hides visible text by mistake.
func (x *htmlExtractor) learnCSS(css string) {
	css = stripCSSComments(css)
	for css != "" {
		open := strings.IndexByte(css, '{')
		if open < 0 {
			return
		}
		close := strings.IndexByte(css[open:], '}')
		if close < 0 {
			close = len(css) - open
		}
		selectors, decls := css[:open], css[open+1:open+close]
		css = css[min(len(css), open+close+1):]
		st := parseStyle(decls)
		how := st.hidden
		if how == "" && st.fgSet && st.bgSet && sameColor(st.fg, st.bg) {
			how = hiddenSameColor
		}
		if how == "" {
			continue
		}
		for sel := range strings.SplitSeq(selectors, ",") {
			sel = strings.TrimSpace(sel)
			if len(sel) < 2 || strings.ContainsAny(sel[1:], " .#:[>+~*") ||
				len(x.classRules)+len(x.idRule) >= segMaxCSSRules {
				continue
			}
			switch sel[0] {
			case '.':
				x.classRules[sel[1:]] = how
			case '#':
				x.idRule[sel[1:]] = how
			}
		}
	}
}

func stripCSSComments(s string) string {
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + " " + s[i+2+j+2:]
	}
}

// style is what an inline style (or CSS rule) says about visibility.
type style struct {
	hidden       string
	fg, bg       rgb
	fgSet, bgSet bool
}

// parseStyle reads CSS declarations ("a: b; c: d"). It knows the
// properties that hide text; the first hiding one wins.
func parseStyle(s string) style {
	var st style
	var overflowHidden, zeroSize bool
	hide := func(how string) {
		if st.hidden == "" {
			st.hidden = how
		}
	}
	for decl := range strings.SplitSeq(s, ";") {
		k, v, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important")))
		v = strings.TrimSpace(v)
		switch k {
		case "display":
			if v == "none" {
				hide(hiddenDisplayNone)
			}
		case "visibility":
			if v == "hidden" || v == "collapse" {
				hide(hiddenVisibility)
			}
		case "font-size":
			if n, unit, ok := cssLength(v); ok && (n <= 0 || (unit == "px" && n < 1) || (unit == "pt" && n < 1) ||
				((unit == "em" || unit == "rem") && n < 0.1) || (unit == "%" && n < 10)) {
				hide(hiddenFontSize)
			}
		case "opacity":
			if n, _, ok := cssLength(v); ok && n <= 0.05 {
				hide(hiddenOpacity)
			}
		case "color":
			if c, ok := parseColor(v); ok {
				st.fg, st.fgSet = c, true
				if c.a <= 0.05 {
					hide(hiddenSameColor)
				}
			}
		case "background-color", "background":
			for f := range strings.FieldsSeq(v) {
				if c, ok := parseColor(f); ok {
					st.bg, st.bgSet = c, true
					break
				}
			}
			if !st.bgSet {
				if c, ok := parseColor(v); ok {
					st.bg, st.bgSet = c, true
				}
			}
		case "text-indent", "left", "top", "margin-left", "margin-top", "right":
			if n, unit, ok := cssLength(v); ok && ((unit == "px" && n <= -500) || ((unit == "em" || unit == "rem") && n <= -50)) {
				hide(hiddenOffscreen)
			}
		case "height", "max-height", "width", "max-width":
			if n, _, ok := cssLength(v); ok && n <= 0 {
				zeroSize = true
			}
		case "overflow", "overflow-x", "overflow-y":
			if v == "hidden" || v == "clip" {
				overflowHidden = true
			}
		case "clip":
			if strings.HasPrefix(v, "rect(") && strings.Trim(strings.NewReplacer(",", "", " ", "", "px", "").Replace(v[5:]), "0)") == "" {
				hide(hiddenZeroSize)
			}
		case "clip-path":
			if v == "inset(50%)" || v == "inset(100%)" || strings.HasPrefix(v, "circle(0") {
				hide(hiddenZeroSize)
			}
		case "transform":
			if strings.Contains(v, "scale(0)") || strings.Contains(v, "scale(0,") {
				hide(hiddenZeroSize)
			}
		}
	}
	if zeroSize && overflowHidden {
		hide(hiddenZeroSize)
	}
	return st
}

// cssLength parses "12px", "-9999px", "0", ".5em", "0.01": the number and
// the unit.
func cssLength(v string) (float64, string, bool) {
	i := 0
	for i < len(v) && (v[i] == '-' || v[i] == '+' || v[i] == '.' || (v[i] >= '0' && v[i] <= '9')) {
		i++
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	if err != nil {
		return 0, "", false
	}
	return n, strings.TrimSpace(v[i:]), true
}

// namedColors are the colour keywords seen in hiding tricks; others are
// ignored (treated as not set).
var namedColors = map[string]rgb{
	"white": {255, 255, 255, 1}, "black": {0, 0, 0, 1}, "red": {255, 0, 0, 1}, "green": {0, 128, 0, 1},
	"blue": {0, 0, 255, 1}, "yellow": {255, 255, 0, 1}, "gray": {128, 128, 128, 1}, "grey": {128, 128, 128, 1},
	"silver": {192, 192, 192, 1}, "whitesmoke": {245, 245, 245, 1}, "snow": {255, 250, 250, 1},
	"ivory": {255, 255, 240, 1}, "transparent": {0, 0, 0, 0}, "navy": {0, 0, 128, 1},
	"lightgray": {211, 211, 211, 1}, "lightgrey": {211, 211, 211, 1}, "ghostwhite": {248, 248, 255, 1},
}

// parseColor parses #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba() and the
// names above.
func parseColor(v string) (rgb, bool) {
	v = strings.TrimSpace(v)
	if c, ok := namedColors[v]; ok {
		return c, true
	}
	if strings.HasPrefix(v, "#") {
		h := v[1:]
		x, err := strconv.ParseUint(h, 16, 64)
		if err != nil {
			return rgb{}, false
		}
		switch len(h) {
		case 3:
			return rgb{int(x>>8&15) * 17, int(x>>4&15) * 17, int(x&15) * 17, 1}, true
		case 4:
			return rgb{int(x>>12&15) * 17, int(x>>8&15) * 17, int(x>>4&15) * 17, float64(x&15) / 15}, true
		case 6:
			return rgb{int(x >> 16 & 255), int(x >> 8 & 255), int(x & 255), 1}, true
		case 8:
			return rgb{int(x >> 24 & 255), int(x >> 16 & 255), int(x >> 8 & 255), float64(x&255) / 255}, true
		}
		return rgb{}, false
	}
	if strings.HasPrefix(v, "rgb") {
		i, j := strings.IndexByte(v, '('), strings.LastIndexByte(v, ')')
		if i < 0 || j < i {
			return rgb{}, false
		}
		parts := strings.FieldsFunc(v[i+1:j], func(r rune) bool { return r == ',' || r == ' ' || r == '/' })
		if len(parts) < 3 {
			return rgb{}, false
		}
		var c [3]int
		for k := range 3 {
			n, unit, ok := cssLength(parts[k])
			if !ok {
				return rgb{}, false
			}
			if unit == "%" {
				n = n * 255 / 100
			}
			c[k] = int(max(0, min(255, n)))
		}
		a := 1.0
		if len(parts) > 3 {
			n, unit, ok := cssLength(parts[3])
			if ok {
				if unit == "%" {
					n /= 100
				}
				a = max(0, min(1, n))
			}
		}
		return rgb{c[0], c[1], c[2], a}, true
	}
	return rgb{}, false
}

// sameColor reports whether text in fg on bg is unreadable: the colours are
// nearly equal (a few units per channel), e.g. #fefefe on white.
func sameColor(fg, bg rgb) bool {
	d := abs(fg.r-bg.r) + abs(fg.g-bg.g) + abs(fg.b-bg.b)
	return d <= 24
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
