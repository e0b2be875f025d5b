package detect

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/codec"
)

// URL types reported by the URLs detector.
const (
	TypeMarkdownImage    = "markdown_image"
	TypeLink             = "link"
	TypeExfilQuery       = "exfil_query"
	TypeIPLiteral        = "ip_literal"
	TypeDataURL          = "data_url"
	TypeJavaScriptURL    = "javascript_url"
	TypeDomainNotAllowed = "domain_not_allowed"
	TypePunycode         = "punycode"
	TypeHomograph        = "idn_homograph"
	TypeShortener        = "url_shortener"
	TypeURLCredentials   = "url_credentials"
)

// URLs finds links a reply could use to carry data out or to mislead:
// markdown and HTML images (which a chat UI fetches by itself, without a
// click), markdown links and bare URLs, URLs whose query string carries
// data (exfil_query), hosts outside the allow-list (domain_not_allowed, only
// when one is configured), IP-literal hosts including the decimal and hex
// forms (ip_literal), data: and javascript: URLs, punycode and mixed-script
// (homograph) domains, URL shorteners that hide the destination, and
// credentials in the URL.
//
// Findings for one URL may stack: an image to an unknown domain whose query
// carries data gives a markdown_image finding spanning the whole markdown
// element and an exfil_query finding spanning the URL. URLs on allowed
// domains are not reported at all. Relative links are ignored. A plain link
// scores 0.3 and an image without data 0.6: whether links as such are
// unwanted is the policy's choice (an allow-list).
type URLs struct {
	allowed []string
}

// NewURLs returns a URLs detector that ignores links to the allowed
// domains and their subdomains ("example.com" allows "docs.example.com").
func NewURLs(allowed []string) *URLs {
	u := &URLs{}
	for _, d := range allowed {
		d = strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
		if d != "" {
			u.allowed = append(u.allowed, d)
		}
	}
	return u
}

// Name implements Detector.
func (*URLs) Name() string { return "urls" }

// The patterns below are anchored: they run only where a cheap search
// (urlMarkdownStarts and friends) found a candidate, because unanchored
// regular expressions over a whole text cost hundreds of microseconds.
var (
	// Markdown image or link: optional !, [text], (url "title"). The URL
	// may be wrapped in <>. Group 1 is the !, group 2 the URL.
	reMarkdownURLAt = regexp.MustCompile(`^(!?)\[[^\]\n]{0,500}\]\(\s*<?([^\s)<>]+)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)`)
	// An HTML image; group 1 is the URL.
	reHTMLImageAt = regexp.MustCompile(`^(?i)<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)["']?[^>]*>`)
	// A URL with a scheme, and a protocol-relative one (//host.tld/path).
	reBareURLAt = regexp.MustCompile(`^(?i)(?:https?|ftp|file|gopher|dict|ldap|wss?)://(?:\[[0-9A-Fa-f:.]+\])?[^\s<>"'\x60\]\[{}|\\^]*`)
	reRelURLAt  = regexp.MustCompile(`^(?i)//[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,}(?::\d+)?/[^\s<>"'\x60\]\[{}|\\^]*`)
	reDataURLAt = regexp.MustCompile(`^(?i)data:[a-z]+/[a-z0-9.+-]+(?:;[a-z0-9=.+-]+)*,[A-Za-z0-9+/=%._~-]+`)
	reBase64ish = regexp.MustCompile(`^[A-Za-z0-9+/_-]{16,}={0,2}$`)
)

// urlMatches runs the anchored re at each candidate start (ascending) and
// returns its submatch indexes as offsets into text, skipping candidates
// inside an earlier match, as FindAll would.
func urlMatches(text string, re *regexp.Regexp, starts []int) [][]int {
	var out [][]int
	end := -1
	for _, s := range starts {
		if s < end {
			continue
		}
		m := re.FindStringSubmatchIndex(text[s:])
		if m == nil {
			continue
		}
		for k := range m {
			if m[k] >= 0 {
				m[k] += s
			}
		}
		out = append(out, m)
		end = m[1]
	}
	return out
}

// urlFoldStarts returns the offsets of the lower-case ASCII sub in text,
// ignoring ASCII case.
func urlFoldStarts(text, sub string) []int {
	var out []int
	for i := 0; i+len(sub) <= len(text); i++ {
		if text[i]|0x20 == sub[0] && strings.EqualFold(text[i:i+len(sub)], sub) {
			out = append(out, i)
		}
	}
	return out
}

// urlDataStarts returns where "data:" starts a word.
func urlDataStarts(text string) []int {
	var out []int
	for _, i := range urlFoldStarts(text, "data:") {
		if i == 0 || !urlWordByte(text[i-1]) {
			out = append(out, i)
		}
	}
	return out
}

// urlMarkdownStarts returns where a markdown link or image may start: the
// "[" (or "![") before each "](", with no "]" or newline between them
// and at most 500 bytes apart.
func urlMarkdownStarts(text string) []int {
	var out []int
	for i := 0; ; {
		p := strings.Index(text[i:], "](")
		if p < 0 {
			return out
		}
		p += i
		for j := p - 1; j >= 0 && p-j <= 501; j-- {
			c := text[j]
			if c == ']' || c == '\n' {
				break
			}
			if c == '[' {
				if j > 0 && text[j-1] == '!' {
					j--
				}
				if len(out) == 0 || out[len(out)-1] < j {
					out = append(out, j)
				}
				break
			}
		}
		i = p + 2
	}
}

// urlBareStarts returns where URLs with a scheme start (the scheme before
// each "://", at a word start) and where protocol-relative URLs start (a
// "//" not preceded by a word byte, "/" or ":").
func urlBareStarts(text string) (scheme, rel []int) {
	for i := 0; ; {
		p := strings.Index(text[i:], "//")
		if p < 0 {
			return scheme, rel
		}
		p += i
		if p > 0 && text[p-1] == ':' {
			s := p - 1
			for s > 0 && isLetterByteURL(text[s-1]) {
				s--
			}
			if s < p-1 && (s == 0 || !urlWordByte(text[s-1])) {
				scheme = append(scheme, s)
			}
		}
		if p == 0 || !urlWordByte(text[p-1]) && text[p-1] != '/' {
			rel = append(rel, p)
		}
		i = p + 2
	}
}

// urlWordByte reports whether c is a regexp \w byte.
func urlWordByte(c byte) bool { return isAlnum(c) || c == '_' }

// isLetterByteURL reports whether c is an ASCII letter.
func isLetterByteURL(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// Scan implements Detector.
func (u *URLs) Scan(text string) []Finding {
	var out []Finding
	var covered [][2]int // spans already explained by a markdown or HTML element
	add := func(typ string, start, end int, score float64) {
		out = append(out, Finding{Scanner: u.Name(), Type: typ, Start: start, End: end, Score: score})
	}
	isCovered := func(s, e int) bool {
		for _, c := range covered {
			if overlaps(s, e, c[0], c[1]) {
				return true
			}
		}
		return false
	}

	if !urlMayContain(text) {
		return nil
	}
	for _, m := range urlJavaScript(text) {
		add(TypeJavaScriptURL, m[0], m[1], 0.9)
		covered = append(covered, m)
	}
	for _, m := range urlMatches(text, reDataURLAt, urlDataStarts(text)) {
		add(TypeDataURL, m[0], m[1], 0.6)
		covered = append(covered, [2]int{m[0], m[1]})
	}
	for _, m := range urlMatches(text, reMarkdownURLAt, urlMarkdownStarts(text)) {
		covered = append(covered, [2]int{m[0], m[1]})
		image := m[3] > m[2]
		u.judgeURL(text, m[4], m[5], m[0], m[1], image, true, add)
	}
	for _, m := range urlMatches(text, reHTMLImageAt, urlFoldStarts(text, "<img")) {
		if isCovered(m[0], m[1]) {
			continue
		}
		covered = append(covered, [2]int{m[0], m[1]})
		u.judgeURL(text, m[2], m[3], m[0], m[1], true, true, add)
	}
	schemeStarts, relStarts := urlBareStarts(text)
	bare := urlMatches(text, reBareURLAt, schemeStarts)
	// A "//" after an unknown scheme (foo://host/) still counts, as a
	// protocol-relative URL, unless it belongs to a known-scheme URL.
	relStarts = slices.DeleteFunc(relStarts, func(p int) bool {
		for _, m := range bare {
			if p >= m[0] && p < m[1] {
				return true
			}
		}
		return false
	})
	bare = append(bare, urlMatches(text, reRelURLAt, relStarts)...)
	for _, m := range bare {
		s, e := m[0], m[1]
		e = s + len(trimURLTail(text[s:e]))
		if e <= s || isCovered(s, e) {
			continue
		}
		u.judgeURL(text, s, e, s, e, false, false, add)
	}
	sortFindings(out)
	return out
}

// judgeURL reports findings for the URL text[s:e], which sits in an element
// spanning text[es:ee] (the same span for a bare URL).
func (u *URLs) judgeURL(text string, s, e, es, ee int, image, markup bool, add func(string, int, int, float64)) {
	raw := text[s:e]
	if strings.HasPrefix(strings.ToLower(raw), "data:") {
		if !markup {
			return // reported by the data: pass
		}
		// The data: pass over the whole text reports the URL itself.
		if image {
			add(TypeMarkdownImage, es, ee, 0.5)
		}
		return
	}
	if urlIsScriptScheme(raw) {
		return // reported by the javascript: pass
	}
	if strings.HasPrefix(raw, "//") {
		raw = "https:" + raw
	}
	p, err := url.Parse(raw)
	if err != nil || (p.Host == "" && !strings.EqualFold(p.Scheme, "file")) {
		return // relative link or not a URL
	}
	host := strings.ToLower(strings.Trim(p.Hostname(), "."))
	if host != "" && u.isAllowed(host) {
		return
	}
	exfil := queryCarriesData(p.RawQuery)
	switch {
	case image && exfil:
		add(TypeMarkdownImage, es, ee, 0.9)
	case image:
		add(TypeMarkdownImage, es, ee, 0.6)
	case exfil:
		add(TypeLink, es, ee, 0.6)
	default:
		add(TypeLink, es, ee, 0.3)
	}
	if exfil {
		add(TypeExfilQuery, s, e, 0.85)
	}
	if host == "" {
		return
	}
	if len(u.allowed) > 0 {
		add(TypeDomainNotAllowed, s, e, 0.7)
	}
	switch {
	case net.ParseIP(host) != nil:
		add(TypeIPLiteral, s, e, 0.7)
	case urlObfuscatedIP(host):
		add(TypeIPLiteral, s, e, 0.85)
	}
	if pw, ok := p.User.Password(); ok && pw != "" {
		add(TypeURLCredentials, s, e, 0.9)
	}
	if urlShorteners[strings.TrimPrefix(host, "www.")] {
		add(TypeShortener, s, e, 0.55)
	}
	switch urlIDNKind(host) {
	case TypeHomograph:
		add(TypeHomograph, s, e, 0.9)
	case TypePunycode:
		add(TypePunycode, s, e, 0.5)
	}
}

// isAllowed reports whether host is an allowed domain or a subdomain of one.
func (u *URLs) isAllowed(host string) bool {
	for _, d := range u.allowed {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// queryCarriesData reports whether a raw query string looks like it carries
// data rather than ordinary parameters: a long value, a base64-like or
// high-entropy value, or many parameters.
func queryCarriesData(raw string) bool {
	if raw == "" {
		return false
	}
	params := strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' })
	if len(params) >= 6 {
		return true
	}
	for _, kv := range params {
		_, v, ok := strings.Cut(kv, "=")
		if !ok {
			v = kv
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		switch {
		case len(v) >= 40:
			return true
		case len(v) >= 16 && reBase64ish.MatchString(v) && ShannonEntropy(v) > 3.5:
			return true
		case len(strings.Fields(v)) >= 4: // a sentence of text
			return true
		}
	}
	return false
}

// trimURLTail drops trailing punctuation that ends a sentence rather than
// the URL, and a closing parenthesis with no opening one in the URL.
func trimURLTail(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?*_~", c) >= 0:
			s = s[:len(s)-1]
		case c == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}

// urlMayContain is a cheap prefilter: text without any of these markers
// holds no URL this detector reports, so the regular expressions (tens of
// microseconds on a long text) do not run.
func urlMayContain(text string) bool {
	return strings.Contains(text, "//") || urlContainsFold(text, "data:") || urlContainsFold(text, "script:")
}

// urlContainsFold reports whether s contains the lower-case ASCII sub,
// ignoring ASCII case.
func urlContainsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// urlIsScriptScheme reports whether raw starts with a scheme that runs
// script when followed: javascript: or vbscript:.
func urlIsScriptScheme(raw string) bool {
	return len(raw) >= 11 && strings.EqualFold(raw[:11], "javascript:") ||
		len(raw) >= 9 && strings.EqualFold(raw[:9], "vbscript:")
}

// urlJavaScript returns the spans of javascript: and vbscript: URLs: the
// scheme not preceded by a letter and followed by code, up to a space,
// quote, angle bracket or unbalanced parenthesis. Prose about the scheme
// ("the javascript: scheme") has a space after the colon and is skipped.
func urlJavaScript(text string) [][2]int {
	var out [][2]int
	for i := 0; i < len(text); i++ {
		c := text[i] | 0x20
		if c != 'j' && c != 'v' || i > 0 && isAlnum(text[i-1]) || !urlIsScriptScheme(text[i:]) {
			continue
		}
		e := i + 11
		if c == 'v' {
			e = i + 9
		}
		if e >= len(text) || strings.IndexByte(" \t\r\n\"'<>)", text[e]) >= 0 {
			continue
		}
		// Inside a quoted attribute the URL runs to the closing quote and
		// may hold spaces and the other quote.
		var quote byte
		if i > 0 && (text[i-1] == '"' || text[i-1] == '\'') {
			quote = text[i-1]
		}
		depth := 0
	scan:
		for ; e < len(text); e++ {
			c := text[e]
			if quote != 0 {
				if c == quote || c == '\n' || c == '>' {
					break scan
				}
				continue
			}
			switch c {
			case ' ', '\t', '\r', '\n', '"', '\'', '<', '>', '`':
				break scan
			case '(':
				depth++
			case ')':
				if depth == 0 {
					break scan
				}
				depth--
			}
		}
		out = append(out, [2]int{i, e})
		i = e - 1
	}
	return out
}

// urlObfuscatedIP reports whether host is an IPv4 address written in a
// form browsers and HTTP clients accept but readers do not recognise:
// one decimal number (http://2130706433/), hex (0x7f.0x0.0x0.0x1) or
// octal parts (0177.0.0.1).
func urlObfuscatedIP(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return false
	}
	odd := len(parts) < 4
	for _, p := range parts {
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			for i := 2; i < len(p); i++ {
				if !codec.IsHexDigit(p[i]) {
					return false
				}
			}
			odd = true
		case p != "" && strings.Trim(p, "0123456789") == "":
			if len(p) > 1 && p[0] == '0' {
				odd = true
			}
		default:
			return false
		}
	}
	// A lone short number (http://80/) is not an address.
	return odd && (len(parts) > 1 || len(host) >= 8)
}

// urlShorteners are link-shortening services: a link through them hides
// where it goes.
var urlShorteners = func() map[string]bool {
	m := map[string]bool{}
	for _, h := range strings.Fields(`bit.ly bitly.com tinyurl.com t.co goo.gl ow.ly is.gd buff.ly
		rebrand.ly cutt.ly shorturl.at tiny.cc rb.gy s.id t.ly bl.ink lnkd.in v.gd qrco.de
		short.io shorte.st adf.ly bit.do mcaf.ee su.pr tr.im x.co 1url.com u.to clck.ru
		t.me/s tiny.one shrtco.de`) {
		m[h] = true
	}
	return m
}()

// urlLookalikes are Cyrillic and Greek lower-case letters that render like
// Latin ones in common fonts.
const urlLookalikes = "аеорсухіјѕԁԛԝӏһүοαρνικυ"

// urlIDNKind classifies an internationalised host: TypeHomograph when a
// label mixes Latin with Cyrillic or Greek letters, or is made only of
// letters that look Latin; TypePunycode for other punycode (xn--) labels;
// "" otherwise (ASCII hosts, and IDNs in one script shown as they are).
func urlIDNKind(host string) string {
	kind := ""
	for label := range strings.SplitSeq(host, ".") {
		puny := false
		if len(label) > 4 && strings.EqualFold(label[:4], "xn--") {
			dec, ok := punycodeDecode(label[4:])
			if !ok {
				kind = TypePunycode
				continue
			}
			label, puny = dec, true
		}
		var latin, other, lookalike, letters int
		for _, r := range label {
			switch {
			case r < utf8.RuneSelf:
				if r|0x20 >= 'a' && r|0x20 <= 'z' {
					latin++
					letters++
				}
			case unicode.In(r, unicode.Cyrillic, unicode.Greek):
				other++
				letters++
				if strings.ContainsRune(urlLookalikes, unicode.ToLower(r)) {
					lookalike++
				}
			case unicode.IsLetter(r):
				letters++
			}
		}
		switch {
		case latin > 0 && other > 0, other > 0 && lookalike == other && other == letters:
			return TypeHomograph
		case puny:
			kind = TypePunycode
		}
	}
	return kind
}

// punycodeDecode decodes the part of a punycode label after "xn--"
// (RFC 3492); ok is false for malformed input. Work is bounded by the
// label length: labels are at most 63 bytes in DNS, and longer input is
// rejected.
func punycodeDecode(s string) (string, bool) {
	const (
		base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
		initialBias, initialN        = 72, 128
	)
	if len(s) == 0 || len(s) > 63 {
		return "", false
	}
	var out []rune
	if k := strings.LastIndexByte(s, '-'); k >= 0 {
		for i := 0; i < k; i++ {
			if s[i] >= utf8.RuneSelf {
				return "", false
			}
			out = append(out, rune(s[i]))
		}
		s = s[k+1:]
	}
	n, bias, i := rune(initialN), initialBias, 0
	for pos := 0; pos < len(s); {
		oldi, w := i, 1
		for k := base; ; k += base {
			if pos >= len(s) {
				return "", false
			}
			c := s[pos]
			pos++
			var digit int
			switch {
			case c >= '0' && c <= '9':
				digit = int(c-'0') + 26
			case c|0x20 >= 'a' && c|0x20 <= 'z':
				digit = int(c | 0x20 - 'a')
			default:
				return "", false
			}
			if digit > (1<<31-1-i)/w {
				return "", false
			}
			i += digit * w
			t := k - bias
			t = max(tmin, min(tmax, t))
			if digit < t {
				break
			}
			if w > (1<<31-1)/(base-t) {
				return "", false
			}
			w *= base - t
		}
		numPoints := len(out) + 1
		// Adapt the bias (RFC 3492 section 6.1).
		delta := i - oldi
		if oldi == 0 {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / numPoints
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		bias = k + (base-tmin+1)*delta/(delta+skew)
		if i/numPoints > int(unicode.MaxRune)-int(n) {
			return "", false
		}
		n += rune(i / numPoints)
		i %= numPoints
		if n > unicode.MaxRune || n >= 0xD800 && n <= 0xDFFF {
			return "", false
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = n
		i++
	}
	return string(out), true
}
