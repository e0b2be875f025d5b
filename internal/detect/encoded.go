package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/internal/codec"
)

// Encoded finding types: the encoding of the payload.
const (
	TypeBase64     = "base64"
	TypeHex        = "hex"
	TypeURLEncoded = "url_encoded"
	TypeBinary     = "binary"
	TypeMorse      = "morse"
	TypeROT13      = "rot13"
)

// Encoded finds payloads written in an encoding that hides their words
// from a reader and from keyword filters: Base64 (standard and URL-safe),
// hex (plain, spaced, \x and 0x forms), percent-encoding, 8-bit binary,
// Morse code and ROT13.
//
// The score says how likely the payload is smuggled text rather than
// ordinary technical data. A run that decodes to readable text scores high
// (0.6 to 0.9 with length); one that decodes to bytes scores low (0.2 to
// 0.35: keys, images and blobs are the secrets and urls detectors'
// business); hashes of the usual lengths (MD5, SHA-1, SHA-256, SHA-512) and
// UUIDs score 0.1, so a commit hash never decides on its own.
//
// The finder is a set of hand-written byte scanners, one pass each, with
// no regular expressions.
type Encoded struct{}

// NewEncoded returns an Encoded detector.
func NewEncoded() *Encoded { return &Encoded{} }

// Name implements Detector.
func (*Encoded) Name() string { return "encoded" }

// Scan implements Detector.
func (d *Encoded) Scan(text string) []Finding {
	var out []Finding
	add := func(typ string, s, e int, score float64) {
		out = append(out, Finding{Scanner: d.Name(), Type: typ, Start: s, End: e, Score: score})
	}
	encRuns(text, add)
	encSeparatedBytes(text, add)
	encPercent(text, add)
	encMorse(text, add)
	encROT13(text, add)
	sortFindings(out)
	return out
}

// Byte classes in encClass; hot loops test a table rather than ranges.
const (
	encAlnum  = 1 << iota // ASCII letter or digit
	encB64                // in a Base64 alphabet (standard or URL-safe)
	encHex                // hex digit
	encLetter             // ASCII letter
)

// encClass holds the classes of each byte value.
var encClass = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if isAlnum(b) {
			t[c] |= encAlnum | encB64
		}
		if b == '+' || b == '/' || b == '-' || b == '_' {
			t[c] |= encB64
		}
		if isDigit(b) || b|0x20 >= 'a' && b|0x20 <= 'f' {
			t[c] |= encHex
		}
		if b|0x20 >= 'a' && b|0x20 <= 'z' {
			t[c] |= encLetter
		}
	}
	return t
}()

// encB64Byte reports whether c is in the Base64 alphabets (standard or
// URL-safe).
func encB64Byte(c byte) bool { return encClass[c]&encB64 != 0 }

// encIsAlnum reports whether c is an ASCII letter or digit.
func encIsAlnum(c byte) bool { return encClass[c]&encAlnum != 0 }

// encRuns finds maximal runs of Base64-alphabet bytes and judges each as
// hex, UUID, Base64 or nothing.
func encRuns(text string, add func(string, int, int, float64)) {
	for i := 0; i < len(text); {
		if !encB64Byte(text[i]) {
			i++
			continue
		}
		s := i
		for i < len(text) && encB64Byte(text[i]) {
			i++
		}
		e := i
		for i < len(text) && text[i] == '=' && i-e < 2 {
			i++
		}
		if e-s < 16 {
			continue
		}
		run := text[s:e]
		// A run glued to a longer word (e.g. inside a non-ASCII word) is
		// not a payload on its own.
		if s > 0 && text[s-1] >= utf8.RuneSelf || e < len(text) && text[e] >= utf8.RuneSelf {
			continue
		}
		if score, ok := encJudgeHex(run); ok {
			if score > 0 {
				add(TypeHex, s, e, score)
			}
			continue
		}
		if score := encJudgeBase64(run); score > 0 {
			add(TypeBase64, s, i, score)
		}
	}
}

// encJudgeHex scores a run that is all hex digits (ok false otherwise) or
// shaped like a UUID.
func encJudgeHex(run string) (score float64, ok bool) {
	digits, letters := 0, 0
	for i := 0; i < len(run); i++ {
		c := run[i]
		switch {
		case isDigit(c):
			digits++
		case codec.IsHexDigit(c):
			letters++
		case c == '-' && (i == 8 || i == 13 || i == 18 || i == 23) && len(run) == 36:
		default:
			return 0, false
		}
	}
	if len(run) == 36 { // UUID
		return 0.1, true
	}
	if letters == 0 {
		return 0, true // a long number, not hex
	}
	switch len(run) {
	case 32, 40, 64, 128: // MD5, SHA-1, SHA-256, SHA-512
		if !encReadable(encHexDecode(run)) {
			return 0.1, true
		}
	}
	if len(run)%2 == 0 && encReadable(encHexDecode(run)) {
		return encTextScore(len(run) / 2), true
	}
	if len(run) >= 24 {
		return 0.25, true
	}
	return 0, true
}

// encHexDecode decodes pairs of hex digits, ignoring a trailing odd digit;
// nil when s is not hex.
func encHexDecode(s string) []byte {
	out, err := codec.DecodeHex(s[:len(s)&^1])
	if err != nil {
		return nil
	}
	return out
}

// encJudgeBase64 scores a run of the Base64 alphabet.
func encJudgeBase64(run string) float64 {
	if len(run) < 16 {
		return 0
	}
	var upper, lower, digit, sym bool
	for i := 0; i < len(run); i++ {
		c := run[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case isDigit(c):
			digit = true
		default:
			sym = true
		}
	}
	if !upper || !lower {
		return 0 // words, paths and identifiers in one case
	}
	if dec := decodeBase64Run(run); len(dec) >= 12 && encReadable(dec) {
		return encTextScore(len(dec))
	}
	// Undecodable or binary: only long, high-entropy runs say anything.
	if len(run) >= 40 && (digit || sym) && ShannonEntropy(run) >= 4.5 {
		if len(run) >= 200 {
			return 0.35
		}
		return 0.2
	}
	return 0
}

// encTextScore scores a payload that decoded to n bytes of readable text.
func encTextScore(n int) float64 {
	switch {
	case n >= 48:
		return 0.9
	case n >= 24:
		return 0.8
	case n >= 12:
		return 0.7
	}
	return 0.55
}

// encReadable reports whether b is text a person (or a model) would read:
// valid UTF-8, almost all printable, mostly letters and with word breaks
// when long.
func encReadable(b []byte) bool {
	if len(b) < 4 || !utf8.Valid(b) {
		return false
	}
	var n, printable, letters, spaces int
	for _, r := range string(b) {
		n++
		switch {
		case unicode.IsLetter(r):
			letters++
			printable++
		case r == ' ' || r == '\n' || r == '\t':
			spaces++
			printable++
		case unicode.IsPrint(r):
			printable++
		}
	}
	if printable*10 < n*9 || letters*2 < n {
		return false
	}
	return n < 16 || spaces > 0 || letters*10 >= n*9
}

// encSeparatedBytes finds byte values written one by one with separators:
// hex pairs ("69 67 6e", "\x69\x67", "0x69,0x67") and 8-bit binary groups
// ("01101001 01100111"). Separators keep these out of encRuns.
func encSeparatedBytes(text string, add func(string, int, int, float64)) {
	for i := 0; i < len(text); {
		c := text[i]
		if i > 0 && encIsAlnum(text[i-1]) || encClass[c]&encHex == 0 && c != '\\' {
			i++
			continue
		}
		s, e, dec, typ := encByteSeq(text, i)
		if typ == "" {
			// Skip the rest of the word: sequences start at word starts.
			for i++; i < len(text) && encIsAlnum(text[i]); i++ {
			}
			continue
		}
		switch {
		case encReadable(dec):
			add(typ, s, e, encTextScore(len(dec)))
		case len(dec) >= 16:
			add(typ, s, e, 0.25)
		}
		i = e
	}
}

// encByteSeq tries to read a separated byte sequence starting at text[i];
// typ is "" when there is none of at least 6 bytes.
func encByteSeq(text string, i int) (s, e int, dec []byte, typ string) {
	c := text[i]
	if i > 0 && isAlnum(text[i-1]) {
		return 0, 0, nil, "" // inside a word
	}
	switch {
	case c == '0' || c == '1':
		// Binary groups first: "01101001" is also hex-looking.
		j, out := i, []byte(nil)
		for {
			if j+8 > len(text) {
				break
			}
			var v byte
			ok := true
			for k := 0; k < 8; k++ {
				b := text[j+k]
				if b != '0' && b != '1' {
					ok = false
					break
				}
				v = v<<1 | (b - '0')
			}
			if !ok || j+8 < len(text) && isAlnum(text[j+8]) {
				break
			}
			out = append(out, v)
			e = j + 8
			if j+9 < len(text) && (text[j+8] == ' ' || text[j+8] == ',') {
				j += 9
				continue
			}
			break
		}
		if len(out) >= 6 {
			return i, e, out, TypeBinary
		}
	}
	// Hex pairs with a prefix or separator.
	prefix := ""
	switch {
	case strings.HasPrefix(text[i:], `\x`), strings.HasPrefix(text[i:], `\X`):
		prefix = `\x`
	case strings.HasPrefix(text[i:], "0x"), strings.HasPrefix(text[i:], "0X"):
		prefix = "0x"
	case codec.IsHexDigit(c):
	default:
		return 0, 0, nil, ""
	}
	j, out := i, []byte(nil)
	for {
		k := j + len(prefix)
		if prefix != "" && (len(text) < k || !strings.EqualFold(text[j:k], prefix)) {
			break
		}
		if k+2 > len(text) {
			break
		}
		v, ok := codec.HexPair(text[k], text[k+1])
		if !ok || k+2 < len(text) && isAlnum(text[k+2]) && prefix != `\x` {
			break
		}
		out = append(out, v)
		e = k + 2
		j = e
		if j < len(text) && (text[j] == ' ' || text[j] == ',' || text[j] == ':') && prefix != `\x` {
			if j+1 < len(text) && text[j+1] == ' ' && text[j] == ',' {
				j++
			}
			j++
		}
	}
	// Without a prefix, a single separator style is required and more
	// bytes, so that times (12:30), MAC addresses and number lists stay out.
	minBytes := 6
	if prefix == "" {
		minBytes = 8
	}
	if len(out) >= minBytes {
		return i, e, out, TypeHex
	}
	return 0, 0, nil, ""
}

// encPercent finds percent-encoded runs. Legitimate URLs escape reserved
// characters and spaces; escaping letters and digits only hides them.
func encPercent(text string, add func(string, int, int, float64)) {
	for i := 0; i < len(text); {
		p := strings.IndexByte(text[i:], '%')
		if p < 0 {
			return
		}
		p += i
		// The whitespace-delimited token around the first escape.
		s := p
		for s > 0 && !encSpace(text[s-1]) {
			s--
		}
		e := p
		for e < len(text) && !encSpace(text[e]) {
			e++
		}
		escapes, alnum := 0, 0
		var dec []byte
		for k := s; k < e; k++ {
			if v, ok := encEscape(text, k, e); ok {
				escapes++
				if isAlnum(v) {
					alnum++
				}
				dec = append(dec, v)
				k += 2
				continue
			}
			dec = append(dec, text[k])
		}
		switch {
		case alnum >= 4 && encReadable(dec):
			add(TypeURLEncoded, s, e, min(0.9, 0.6+0.02*float64(alnum)))
		case alnum >= 4:
			add(TypeURLEncoded, s, e, 0.5)
		case escapes >= 12:
			add(TypeURLEncoded, s, e, 0.3)
		}
		i = e
	}
}

// encEscape decodes the %xx escape at text[k], which must end before e.
func encEscape(text string, k, e int) (byte, bool) {
	if text[k] != '%' || k+2 >= e {
		return 0, false
	}
	return codec.HexPair(text[k+1], text[k+2])
}

// encSpace reports whether c separates tokens.
func encSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// encMorseTable maps Morse letters and digits.
var encMorseTable = map[string]byte{
	".-": 'a', "-...": 'b', "-.-.": 'c', "-..": 'd', ".": 'e', "..-.": 'f', "--.": 'g', "....": 'h',
	"..": 'i', ".---": 'j', "-.-": 'k', ".-..": 'l', "--": 'm', "-.": 'n', "---": 'o', ".--.": 'p',
	"--.-": 'q', ".-.": 'r', "...": 's', "-": 't', "..-": 'u', "...-": 'v', ".--": 'w', "-..-": 'x',
	"-.--": 'y', "--..": 'z', ".----": '1', "..---": '2', "...--": '3', "....-": '4', ".....": '5',
	"-....": '6', "--...": '7', "---..": '8', "----.": '9', "-----": '0',
}

// encMorse finds runs of Morse code: groups of dots and dashes separated by
// spaces, with "/" or "|" between words. At least 8 letters, so that
// ellipses and dashes in prose do not count.
func encMorse(text string, add func(string, int, int, float64)) {
	i := 0
	for i < len(text) {
		if text[i] != '.' && text[i] != '-' {
			i++
			continue
		}
		s, letters, words, last := i, 0, 1, i
		j := i
		for j < len(text) {
			k := j
			for k < len(text) && (text[k] == '.' || text[k] == '-') {
				k++
			}
			if k == j {
				if text[j] == '/' || text[j] == '|' {
					words++
					j++
					for j < len(text) && text[j] == ' ' {
						j++
					}
					continue
				}
				break
			}
			if _, ok := encMorseTable[text[j:k]]; !ok || k < len(text) && text[k] != ' ' && text[k] != '/' && text[k] != '\n' {
				break
			}
			letters++
			last = k
			j = k
			for j < len(text) && text[j] == ' ' {
				j++
			}
		}
		if letters >= 8 {
			score := 0.6
			if letters >= 16 && words >= 2 {
				score = 0.8
			}
			add(TypeMorse, s, last, score)
			i = last
			continue
		}
		i = max(j, i+1)
	}
}

// encWordKinds maps frequent English words (and words that matter in
// attacks) packed by encPackWord: encROT13Word for their ROT13 forms,
// chosen so that none is itself an English word, and encPlainWord for the
// same words in clear.
var encWordKinds = func() map[uint64]uint8 {
	m := map[uint64]uint8{}
	for _, w := range strings.Fields(`the and is to you of in it that for this are with not your all
		what have from will me my do how we as at by if no so but was they there which would about`) {
		k, _ := encPackWord(w)
		m[k] = encPlainWord
	}
	for _, w := range strings.Fields(`the and is to you of in it that for this are with not your all ignore
		instructions previous what have from will say tell me my do how we as at by if no so but get
		was his they there which would about system prompt password secret now please write reply
		answer following above rules any print show give output must should`) {
		k, _ := encPackWord(codec.ROT13(w))
		if m[k] == 0 {
			m[k] = encROT13Word
		}
	}
	return m
}()

// Kinds of word in encWordKinds.
const (
	encPlainWord uint8 = 1
	encROT13Word uint8 = 2
)

// encPackWord packs an ASCII word of up to 12 letters, case-folded, into a
// uint64 (5 bits a letter), so that looking it up neither hashes a string
// nor allocates; ok is false for longer words.
func encPackWord(w string) (k uint64, ok bool) {
	if len(w) > 12 {
		return 0, false
	}
	for i := 0; i < len(w); i++ {
		k = k<<5 | uint64(w[i]|0x20-'a'+1)
	}
	return k, true
}

// encROT13 finds stretches of ROT13 English: frequent English words in
// their ROT13 form outnumbering the same words in clear. The span runs from
// the first to the last ROT13 word of the densest stretch.
func encROT13(text string, add func(string, int, int, float64)) {
	type hit struct{ s, e int }
	var rot, plain []hit
	words := 0
	for i := 0; i < len(text); {
		if !encIsLetter(text[i]) {
			i++
			continue
		}
		s := i
		for i < len(text) && encIsLetter(text[i]) {
			i++
		}
		words++
		k, ok := encPackWord(text[s:i])
		if !ok {
			continue
		}
		switch encWordKinds[k] {
		case encROT13Word:
			rot = append(rot, hit{s, i})
		case encPlainWord:
			plain = append(plain, hit{s, i})
		}
	}
	if len(rot) < 3 || words == 0 {
		return
	}
	// Words between the first and last hit, to judge density.
	s, e := rot[0].s, rot[len(rot)-1].e
	inSpan := 0
	for i := s; i < e; {
		if !encIsLetter(text[i]) {
			i++
			continue
		}
		for i < e && encIsLetter(text[i]) {
			i++
		}
		inSpan++
	}
	plainIn := 0
	for _, h := range plain {
		if h.s >= s && h.e <= e {
			plainIn++
		}
	}
	if len(rot)*5 < inSpan || len(rot) <= plainIn {
		return
	}
	score := 0.6
	switch {
	case len(rot) >= 8:
		score = 0.9
	case len(rot) >= 5:
		score = 0.8
	}
	add(TypeROT13, s, e, score)
}

// encIsLetter reports whether c is an ASCII letter.
func encIsLetter(c byte) bool { return encClass[c]&encLetter != 0 }
