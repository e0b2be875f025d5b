package data

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds a small, tolerant HTML tokenizer. It is not a full HTML5
// parser (there is no tree construction and no foreign content); it keeps
// the parts that decide what a reader sees: tags with their attributes,
// comments, text, and raw-text elements whose content is not text. It reads
// a stream with bounded memory: text comes out in chunks and over-long tags
// and comments are truncated, never buffered whole. Malformed markup never
// fails; only I/O errors are returned.

// Limits of the tokenizer.
const (
	// htmlMaxText is the longest text token; longer text comes out in
	// several tokens.
	htmlMaxText = 64 << 10
	// htmlMaxTag caps the bytes kept of one tag (its attributes) or one
	// comment; the rest is read and dropped.
	htmlMaxTag = 64 << 10
)

// htmlTokenKind is what an htmlToken is.
type htmlTokenKind int

const (
	htmlText htmlTokenKind = iota
	htmlStartTag
	htmlEndTag
	htmlComment
	// htmlRaw is the content of a raw-text element (script, style):
	// markup-free, not shown to readers.
	htmlRaw
	// htmlDoctype covers <!DOCTYPE>, <?xml?>, CDATA and other bogus
	// comments: nothing a reader sees.
	htmlDoctype
)

// htmlAttr is one attribute; Name is lower-case, Value entity-decoded.
type htmlAttr struct {
	Name, Value string
}

// htmlToken is one token. Text is entity-decoded for htmlText, raw for
// htmlComment and htmlRaw. Line is the 1-based line where the token starts.
type htmlToken struct {
	Kind        htmlTokenKind
	Name        string // lower-case tag name (start, end and raw tokens)
	Attrs       []htmlAttr
	SelfClosing bool
	Text        string
	Line        int64
}

// attr returns the value of the named attribute and whether it is present.
func (t *htmlToken) attr(name string) (string, bool) {
	for _, a := range t.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// htmlTokenizer reads tokens from a stream.
type htmlTokenizer struct {
	r    *bufio.Reader
	line int64
	// raw is the element whose closing tag ends the current raw-text
	// section ("" outside one); rcdata elements (title, textarea) yield
	// text, the others htmlRaw.
	raw    string
	rcdata bool
	// markdown turns on fenced-code awareness: inside ``` or ~~~ fences
	// everything is text, since Markdown shows markup there literally.
	markdown  bool
	lineStart bool
	fence     string
	buf       bytes.Buffer
	err       error
}

// newHTMLTokenizer returns a tokenizer reading r.
func newHTMLTokenizer(r io.Reader, markdown bool) *htmlTokenizer {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &htmlTokenizer{r: br, line: 1, markdown: markdown, lineStart: true}
}

// rawTextElements hold text that is not markup; the bool says whether it is
// shown as text (RCDATA) or not (scripts and styles).
var rawTextElements = map[string]bool{
	"script": false, "style": false, "xmp": false, "iframe": false, "noembed": false,
	"noframes": false, "title": true, "textarea": true,
}

// readByte reads one byte, counting lines.
func (z *htmlTokenizer) readByte() (byte, bool) {
	c, err := z.r.ReadByte()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			z.err = err
		}
		return 0, false
	}
	if c == '\n' {
		z.line++
	}
	z.lineStart = c == '\n'
	return c, true
}

// peek returns the next n bytes without consuming them (fewer at EOF).
func (z *htmlTokenizer) peek(n int) []byte {
	b, _ := z.r.Peek(n)
	return b
}

// Next returns the next token; io.EOF at the end, or the read error.
func (z *htmlTokenizer) Next() (htmlToken, error) {
	if z.err != nil {
		return htmlToken{}, z.err
	}
	if z.raw != "" {
		return z.rawText()
	}
	start := z.line
	b := z.peek(2)
	if len(b) == 0 {
		if z.err != nil {
			return htmlToken{}, z.err
		}
		return htmlToken{}, io.EOF
	}
	if z.fence == "" && z.isMarkup(b) {
		z.readByte() // '<'
		switch {
		case b[1] == '/':
			z.readByte()
			t := z.tag(htmlEndTag)
			t.Line = start
			return t, z.err
		case b[1] == '!':
			z.readByte()
			t := z.bang()
			t.Line = start
			return t, z.err
		case b[1] == '?':
			z.skipTo('>')
			return htmlToken{Kind: htmlDoctype, Line: start}, z.err
		}
		t := z.tag(htmlStartTag)
		t.Line = start
		if shown, ok := rawTextElements[t.Name]; ok && !t.SelfClosing {
			z.raw, z.rcdata = t.Name, shown
		}
		return t, z.err
	}
	return z.text(start)
}

// isMarkup reports whether b (the next two bytes, '<' first) opens a tag,
// an end tag, a comment or a declaration. Any other '<' is text, as in
// "a < b".
func (z *htmlTokenizer) isMarkup(b []byte) bool {
	if len(b) < 2 || b[0] != '<' {
		return false
	}
	switch c := b[1]; {
	case c == '!' || c == '?':
		return true
	case c == '/':
		n := z.peek(3)
		return len(n) == 3 && isASCIILetter(n[2])
	case isASCIILetter(c):
		return z.tagNameAhead()
	}
	return false
}

// tagNameAhead reports whether the '<' about to be read opens a start tag:
// a name of letters, digits and '-' then a space, '/', '>' or the end of
// input. This departs from HTML5 on purpose: "<user@example.com>" and
// "<https://example.com>" (Markdown autolinks, e-mail headers) stay text,
// so the PII detector still sees them.
func (z *htmlTokenizer) tagNameAhead() bool {
	b := z.peek(66)
	for i := 1; i < len(b); i++ {
		c := b[i]
		if isASCIILetter(c) || (c >= '0' && c <= '9') || c == '-' {
			continue
		}
		return isHTMLSpace(c) || c == '/' || c == '>'
	}
	return len(b) < 66
}

// text reads text up to the next markup, or htmlMaxText bytes.
func (z *htmlTokenizer) text(start int64) (htmlToken, error) {
	z.buf.Reset()
	for z.buf.Len() < htmlMaxText {
		if z.markdown && z.lineStart {
			z.markdownFence()
		}
		b := z.peek(2)
		if len(b) == 0 || (z.fence == "" && z.isMarkup(b)) {
			break
		}
		c, ok := z.readByte()
		if !ok {
			break
		}
		z.buf.WriteByte(c)
	}
	// A chunk boundary must not split a UTF-8 sequence.
	for i := 0; i < 3 && z.buf.Len() >= htmlMaxText && !utf8.Valid(tailRune(z.buf.Bytes())); i++ {
		c, ok := z.readByte()
		if !ok {
			break
		}
		z.buf.WriteByte(c)
	}
	if z.buf.Len() == 0 && z.err != nil {
		return htmlToken{}, z.err
	}
	return htmlToken{Kind: htmlText, Text: decodeEntities(z.buf.String()), Line: start}, nil
}

// tailRune returns the last (up to 4) bytes of b starting at a rune start.
func tailRune(b []byte) []byte {
	i := len(b) - 1
	for i > 0 && len(b)-i < 4 && !utf8.RuneStart(b[i]) {
		i--
	}
	if i < 0 {
		return b
	}
	return b[i:]
}

// markdownFence toggles fenced-code mode when the line about to be read
// opens or closes a fence (``` or ~~~, up to three spaces in).
func (z *htmlTokenizer) markdownFence() {
	b := z.peek(8)
	i := 0
	for i < len(b) && i < 3 && b[i] == ' ' {
		i++
	}
	for _, f := range []string{"```", "~~~"} {
		if bytes.HasPrefix(b[i:], []byte(f)) {
			switch z.fence {
			case "":
				z.fence = f
			case f:
				z.fence = ""
			}
			return
		}
	}
}

// rawText reads the content of a raw-text element up to its closing tag
// (kept: the next call returns it as an end tag). Shown (RCDATA) text comes
// out in chunks; the content of scripts and styles past htmlMaxText bytes
// is read and dropped.
func (z *htmlTokenizer) rawText() (htmlToken, error) {
	start := z.line
	z.buf.Reset()
	closer := "</" + z.raw
	full := false
	for {
		b := z.peek(len(closer) + 1)
		if len(b) == len(closer)+1 && b[0] == '<' && strings.EqualFold(string(b[:len(closer)]), closer) &&
			(isHTMLSpace(b[len(closer)]) || b[len(closer)] == '>' || b[len(closer)] == '/') {
			break
		}
		c, ok := z.readByte()
		if !ok {
			break
		}
		if z.buf.Len() < htmlMaxText {
			z.buf.WriteByte(c)
		} else if z.rcdata {
			z.buf.WriteByte(c)
			full = true
			break
		}
	}
	name := z.raw
	if !full {
		z.raw = ""
	}
	if z.buf.Len() == 0 {
		return z.Next()
	}
	if z.rcdata {
		return htmlToken{Kind: htmlText, Name: name, Text: decodeEntities(z.buf.String()), Line: start}, z.err
	}
	return htmlToken{Kind: htmlRaw, Name: name, Text: z.buf.String(), Line: start}, z.err
}

// bang reads what follows "<!": a comment, or a declaration (doctype,
// CDATA), which is skipped.
func (z *htmlTokenizer) bang() htmlToken {
	if b := z.peek(2); string(b) == "--" {
		z.readByte()
		z.readByte()
		return z.comment()
	}
	z.skipTo('>')
	return htmlToken{Kind: htmlDoctype}
}

// comment reads a comment body up to "-->" (or "--!>", or EOF). The
// HTML5 abrupt forms "<!-->" and "<!--->" end at once.
func (z *htmlTokenizer) comment() htmlToken {
	z.buf.Reset()
	if b := z.peek(2); len(b) > 0 && (b[0] == '>' || string(b) == "->") {
		z.skipTo('>')
		return htmlToken{Kind: htmlComment}
	}
	for {
		c, ok := z.readByte()
		if !ok {
			break
		}
		if c == '>' {
			t := z.buf.Bytes()
			if bytes.HasSuffix(t, []byte("--")) {
				z.buf.Truncate(len(t) - 2)
				break
			}
			if bytes.HasSuffix(t, []byte("--!")) {
				z.buf.Truncate(len(t) - 3)
				break
			}
		}
		if z.buf.Len() < htmlMaxTag {
			z.buf.WriteByte(c)
		} else {
			// Keep the last bytes so the terminator can still be seen.
			t := z.buf.Bytes()
			copy(t[len(t)-3:], t[len(t)-2:])
			t[len(t)-1] = c
		}
	}
	return htmlToken{Kind: htmlComment, Text: z.buf.String()}
}

// skipTo consumes bytes through the next c (or to EOF).
func (z *htmlTokenizer) skipTo(c byte) {
	for {
		b, ok := z.readByte()
		if !ok || b == c {
			return
		}
	}
}

// tag reads a tag after "<" or "</": its name, attributes and the closing
// ">". Quoted attribute values may hold '>'. Everything past htmlMaxTag
// bytes is dropped.
func (z *htmlTokenizer) tag(kind htmlTokenKind) htmlToken {
	t := htmlToken{Kind: kind}
	z.buf.Reset()
	for {
		b := z.peek(1)
		if len(b) == 0 || isHTMLSpace(b[0]) || b[0] == '/' || b[0] == '>' {
			break
		}
		c, _ := z.readByte()
		if z.buf.Len() < 64 {
			z.buf.WriteByte(lowerASCII(c))
		}
	}
	t.Name = z.buf.String()
	size := len(t.Name)
	for {
		c, ok := z.readByte()
		if !ok {
			return t
		}
		switch {
		case c == '>':
			return t
		case isHTMLSpace(c):
			continue
		case c == '/':
			if b := z.peek(1); len(b) > 0 && b[0] == '>' {
				z.readByte()
				t.SelfClosing = true
				return t
			}
			continue
		}
		name, value, end := z.attribute(c)
		size += len(name) + len(value)
		if kind == htmlStartTag && size <= htmlMaxTag {
			t.Attrs = append(t.Attrs, htmlAttr{Name: name, Value: decodeEntities(value)})
		}
		if end {
			return t
		}
	}
}

// attribute reads one attribute whose name starts with first. end reports
// that the tag's '>' was consumed with it.
func (z *htmlTokenizer) attribute(first byte) (name, value string, end bool) {
	var nb strings.Builder
	nb.WriteByte(lowerASCII(first))
	for {
		b := z.peek(1)
		if len(b) == 0 || isHTMLSpace(b[0]) || b[0] == '/' || b[0] == '>' || b[0] == '=' {
			break
		}
		c, _ := z.readByte()
		if nb.Len() < 256 {
			nb.WriteByte(lowerASCII(c))
		}
	}
	z.skipSpace()
	if b := z.peek(1); len(b) == 0 || b[0] != '=' {
		return nb.String(), "", false
	}
	z.readByte()
	z.skipSpace()
	var vb strings.Builder
	b := z.peek(1)
	if len(b) == 0 {
		return nb.String(), "", false
	}
	if q := b[0]; q == '"' || q == '\'' {
		z.readByte()
		for {
			c, ok := z.readByte()
			if !ok || c == q {
				break
			}
			if vb.Len() < htmlMaxTag {
				vb.WriteByte(c)
			}
		}
		return nb.String(), vb.String(), false
	}
	for {
		b := z.peek(1)
		if len(b) == 0 || isHTMLSpace(b[0]) {
			break
		}
		c, _ := z.readByte()
		if c == '>' {
			return nb.String(), vb.String(), true
		}
		if vb.Len() < htmlMaxTag {
			vb.WriteByte(c)
		}
	}
	return nb.String(), vb.String(), false
}

// skipSpace consumes HTML whitespace.
func (z *htmlTokenizer) skipSpace() {
	for {
		b := z.peek(1)
		if len(b) == 0 || !isHTMLSpace(b[0]) {
			return
		}
		z.readByte()
	}
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// htmlEntities are the named character references common in real pages;
// others are left as written (a reader's browser would decode them, but
// none of them can carry a word).
var htmlEntities = map[string]string{
	"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'", "nbsp": "\u00a0",
	"shy": "\u00ad", "zwj": "\u200d", "zwnj": "\u200c", "lrm": "\u200e", "rlm": "\u200f",
	"copy": "©", "reg": "®", "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–",
	"lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "laquo": "«", "raquo": "»",
	"middot": "·", "bull": "•", "euro": "€", "pound": "£", "yen": "¥", "cent": "¢",
	"deg": "°", "times": "×", "divide": "÷", "para": "¶", "sect": "§",
	"ensp": "\u2002", "emsp": "\u2003", "thinsp": "\u2009",
}

// decodeEntities replaces character references (&amp; &#65; &#x41;) in s.
// Numeric references to NUL, surrogates or beyond U+10FFFF become U+FFFD.
func decodeEntities(s string) string {
	i := strings.IndexByte(s, '&')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c != '&' {
			b.WriteByte(c)
			i++
			continue
		}
		r, n := decodeEntity(s[i:])
		if n == 0 {
			b.WriteByte('&')
			i++
			continue
		}
		b.WriteString(r)
		i += n
	}
	return b.String()
}

// decodeEntity decodes the reference at the start of s ("&..."), returning
// its text and length (0: not a reference).
func decodeEntity(s string) (string, int) {
	if len(s) < 3 {
		return "", 0
	}
	if s[1] == '#' {
		j, base := 2, 10
		if len(s) > 2 && (s[2] == 'x' || s[2] == 'X') {
			j, base = 3, 16
		}
		k := j
		for k < len(s) && k-j < 8 && isDigitBase(s[k], base) {
			k++
		}
		if k == j {
			return "", 0
		}
		v, err := strconv.ParseUint(s[j:k], base, 32)
		r := rune(v)
		if err != nil || r == 0 || r > utf8.MaxRune || (r >= 0xD800 && r <= 0xDFFF) {
			r = utf8.RuneError
		}
		if k < len(s) && s[k] == ';' {
			k++
		}
		return string(r), k
	}
	k := 1
	for k < len(s) && k < 12 && isASCIILetter(s[k]) {
		k++
	}
	if v, ok := htmlEntities[s[1:k]]; ok {
		if k < len(s) && s[k] == ';' {
			k++
		}
		return v, k
	}
	return "", 0
}

func isDigitBase(c byte, base int) bool {
	if c >= '0' && c <= '9' {
		return true
	}
	return base == 16 && (c|0x20) >= 'a' && (c|0x20) <= 'f'
}
