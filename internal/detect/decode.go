package detect

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/codec"
)

// Segment is a piece of a text that carries other text in an encoding, and
// what it decodes to.
type Segment struct {
	// Start and End are byte offsets of the encoded piece in the scanned
	// text. A segment found inside a decoded one reports the span of the
	// outermost encoded piece, the only one that exists in the text.
	Start, End int
	// Kind names the encoding: "base64", "hex", "url", "rot13" or "tags";
	// nested encodings are joined outermost first, as in "base64+hex".
	Kind string
	// Decoded is the decoded text, valid UTF-8.
	Decoded string
}

// Encoded-segment kinds.
const (
	KindBase64 = "base64"
	KindHex    = "hex"
	KindURL    = "url"
	KindROT13  = "rot13"
	KindTags   = "tags"
)

// Limits that bound the work of FindEncoded whatever the input: a text made
// of nothing but encoded pieces costs a bounded multiple of its length.
const (
	// decMinBase64 and decMinHex are the shortest runs worth decoding; shorter
	// ones are mostly words, numbers and identifiers.
	decMinBase64 = 16
	decMinHex    = 16
	// decMinURLEscapes is how many %xx escapes a URL-encoded run needs.
	decMinURLEscapes = 3
	// decMaxDepth is how deep decoded text is searched again.
	decMaxDepth = 2
	// decMaxSegments and decMaxDecoded cap the segments and decoded bytes
	// returned for one text.
	decMaxSegments = 64
	decMaxDecoded  = 64 << 10
)

// FindEncoded returns the pieces of text that decode, as Base64 (standard
// or URL alphabet), hex, URL percent-encoding or Unicode tag characters, to
// mostly printable UTF-8 text, plus the whole text decoded as ROT13 when
// it asks for ROT13 (or a Caesar shift) by name. Decoded text is searched
// again, to a depth of 2. Segments come in order of Start.
func FindEncoded(text string) []Segment {
	var d segDecoder
	d.find(text, 0, len(text), "", 1, text)
	return d.out
}

// segDecoder collects segments within the limits.
type segDecoder struct {
	out     []Segment
	decoded int
}

// find scans s for encoded pieces. At depth 1, s is the text itself and
// offsets are its own; deeper, every piece reports the outer span
// [start, end) and its kind prefixed with the outer kinds.
func (d *segDecoder) find(s string, start, end int, prefix string, depth int, root string) {
	add := func(i, j int, kind, dec string) {
		if len(d.out) >= decMaxSegments || d.decoded+len(dec) > decMaxDecoded {
			return
		}
		// ROT13 of invalid UTF-8 stays invalid; the contract is valid text.
		dec = strings.ToValidUTF8(dec, "\uFFFD")
		d.decoded += len(dec)
		sg := Segment{Start: i, End: j, Kind: kind, Decoded: dec}
		if depth > 1 {
			sg.Start, sg.End, sg.Kind = start, end, prefix+"+"+kind
		}
		d.out = append(d.out, sg)
		if depth < decMaxDepth {
			d.find(dec, sg.Start, sg.End, sg.Kind, depth+1, root)
		}
	}
	if decHasRun(s) {
		decScanRuns(s, add)
	}
	if codec.ContainsTags(s) {
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !codec.IsTag(r) {
				i += size
				continue
			}
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if !codec.IsTag(r) {
					break
				}
				j += size
			}
			// The run holds tag characters only, so everything decodes
			// to hidden, which codec guarantees is valid UTF-8.
			if _, hidden := codec.DecodeTags(s[i:j]); hidden != "" {
				add(i, j, KindTags, hidden)
			}
			i = j
		}
	}
	if decAsksROT13(s) {
		add(0, len(s), KindROT13, codec.ROT13(s))
	}
}

// decAsksROT13 reports whether s names ROT13 or a Caesar cipher, the cue
// that the rest of it may be ROT13 text meant to be decoded.
func decAsksROT13(s string) bool {
	// strings.Index is vectorised: look for the rare parts of the cues,
	// "13" and "aesar", then check what precedes them.
	for i := 0; ; {
		k := strings.Index(s[i:], "13")
		if k < 0 {
			break
		}
		k += i
		for _, cue := range [...]string{"rot", "rot-", "rot "} {
			if k >= len(cue) && decHasPrefixFold(s[k-len(cue):], cue) {
				return true
			}
		}
		i = k + 2
	}
	for _, rest := range [...]string{"aesar", "AESAR"} {
		for i := 0; ; {
			k := strings.Index(s[i:], rest)
			if k < 0 {
				break
			}
			k += i
			if k > 0 && s[k-1]|0x20 == 'c' {
				return true
			}
			i = k + len(rest)
		}
	}
	return false
}

// decHasPrefixFold reports whether s starts with the lower-case ASCII word
// w, ignoring ASCII case.
func decHasPrefixFold(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		if s[j]|0x20 != w[j] && s[j] != w[j] {
			return false
		}
	}
	return true
}

// Byte classes of the encoded-run scanner.
const (
	decB64      = 1 << iota // in either Base64 alphabet
	decHexDigit             // a hex digit
	decPercent              // '%', which starts URL encoding
)

var decClass = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		if isAlnum(c) || c == '+' || c == '/' || c == '-' || c == '_' {
			t[i] |= decB64
		}
		if isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f' {
			t[i] |= decHexDigit
		}
		if c == '%' {
			t[i] |= decPercent
		}
	}
	return t
}()

// decHasRun reports whether s holds a run of Base64 or hex characters
// long enough to decode, or a '%': a branch-free pass that lets ordinary
// prose skip decScanRuns.
func decHasRun(s string) bool {
	var run, pct int
	for i := 0; i < len(s); i++ {
		c := s[i]
		// -(class&1) is all ones for a Base64 byte and zero otherwise.
		run = (run + 1) & -int(decClass[c]&decB64)
		if run >= min(decMinBase64, decMinHex) {
			return true
		}
		pct |= int(decClass[c] & decPercent)
	}
	return pct != 0
}

// decIsB64 reports whether c belongs to either Base64 alphabet.
func decIsB64(c byte) bool { return decClass[c]&decB64 != 0 }

// decIsHex reports whether c is a hex digit.
func decIsHex(c byte) bool { return decClass[c]&decHexDigit != 0 }

// decScanRuns finds Base64, hex and URL-encoded runs in one pass over s and
// calls add for each that decodes to printable text.
func decScanRuns(s string, add func(i, j int, kind, dec string)) {
	for i := 0; i < len(s); {
		c := s[i]
		if c == '%' {
			if j, dec, ok := decURLRun(s, i); ok {
				add(i, j, KindURL, dec)
				i = j
				continue
			}
		}
		if !decIsB64(c) {
			i++
			continue
		}
		j := i
		cls := uint8(decB64 | decHexDigit)
		for j < len(s) && decClass[s[j]]&decB64 != 0 {
			cls &= decClass[s[j]]
			j++
		}
		allHex := cls&decHexDigit != 0
		if j-i < min(decMinBase64, decMinHex) && (j == len(s) || s[j] != '%') {
			// Too short to decode: the usual case, a word.
			i = j
			continue
		}
		if j < len(s) && s[j] == '%' && strings.IndexByte(s[i:j], '%') < 0 {
			// The run may continue as URL encoding ("abc%20def"): let the
			// URL scan see it from its start.
			if k, dec, ok := decURLRun(s, i); ok {
				add(i, k, KindURL, dec)
				i = k
				continue
			}
		}
		pad := j
		for pad < len(s) && pad-j < 2 && s[pad] == '=' {
			pad++
		}
		run := s[i:j]
		switch {
		case allHex && len(run) >= decMinHex:
			if dec, ok := decHex(run); ok {
				add(i, i+len(run)&^1, KindHex, dec)
				break
			}
			fallthrough
		case len(run) >= decMinBase64:
			if dec, ok := decBase64(run); ok {
				add(i, pad, KindBase64, dec)
			}
		}
		i = pad
	}
}

// decHex decodes an even prefix of a run of hex digits (with an
// optional 0x prefix) if it gives printable text.
func decHex(run string) (string, bool) {
	if strings.HasPrefix(run, "0x") || strings.HasPrefix(run, "0X") {
		run = run[2:]
	}
	b, err := codec.DecodeHex(run[:len(run)&^1])
	if err != nil {
		return "", false
	}
	return decPrintable(b)
}

// decBase64 decodes a run in the standard or URL alphabet, without its
// padding, if it gives printable text.
func decBase64(run string) (string, bool) {
	b := decodeBase64Run(run)
	if b == nil {
		return "", false
	}
	return decPrintable(b)
}

// decodeBase64Run decodes a run of Base64 characters, without padding, in
// whichever alphabet it uses; nil when it mixes the two or does not decode.
// Both encoded-text scanners (FindEncoded and the Encoded detector) use it.
// A lone last character cannot make a byte, and a run found in text often
// takes one character too many from what follows the payload, so it is
// dropped rather than failing the whole run.
func decodeBase64Run(run string) []byte {
	if len(run)%4 == 1 {
		run = run[:len(run)-1]
	}
	b, err := codec.DecodeBase64(run, codec.AnyAlphabet)
	if err != nil {
		return nil
	}
	return b
}

// decURLRun reads a URL-encoded run starting at i: characters allowed in a
// URL and %xx escapes, at least decMinURLEscapes of them. It returns the end
// and the decoded run when that is printable text different from the run.
func decURLRun(s string, i int) (int, string, bool) {
	j, escapes := i, 0
	for j < len(s) {
		c := s[j]
		if c == '%' && j+2 < len(s) && decIsHex(s[j+1]) && decIsHex(s[j+2]) {
			escapes++
			j += 3
			continue
		}
		if c <= ' ' || c >= 0x7F || strings.IndexByte(`"'<>\%{}|^`+"`", c) >= 0 {
			break
		}
		j++
	}
	if escapes < decMinURLEscapes {
		return i, "", false
	}
	dec, err := url.PathUnescape(s[i:j])
	if err != nil {
		return i, "", false
	}
	out, ok := decPrintable([]byte(dec))
	return j, out, ok
}

// decPrintable returns b as a string if it is valid UTF-8 of at least 6
// runes, nearly all of them printable, at least half letters or digits:
// what decoded text looks like and random bytes do not.
func decPrintable(b []byte) (string, bool) {
	if len(b) < 6 || !utf8.Valid(b) {
		return "", false
	}
	var runes, bad, letters int
	for _, r := range string(b) {
		runes++
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			letters++
		case r == '\n' || r == '\t' || r == '\r' || unicode.IsPrint(r):
		default:
			bad++
		}
	}
	if runes < 6 || bad*20 > runes || letters*2 < runes {
		return "", false
	}
	return string(b), true
}
