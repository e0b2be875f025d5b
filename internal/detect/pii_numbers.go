package detect

import "strings"

// This file holds the recognisers for numbers written with digits and
// separators: payment cards, phone numbers, US SSNs and routing numbers,
// UK NHS numbers, Aadhaar numbers, Australian TFNs, IPv4 addresses and
// numeric dates of birth.
//
// The scanner first cuts the text into digit segments: runs of digit groups
// joined by single separators (space, '-', '.', '/', parentheses), such as
// "(415) 555-2671" or "4111 1111 1111 1111". Every sub-range of a segment
// that starts and ends on a token boundary is then offered to each
// recogniser; the boundary rule (digitRunBoundary) means a segment is only
// split at spaces, never inside "1-415-555-2671-99".

// maxNumGroups caps the groups of one segment; a longer run is a table of
// numbers, not one identifier.
const maxNumGroups = 12

// numGroup is one run of digits, text[start:end].
type numGroup struct{ start, end int }

// numCand describes one sub-range of a digit segment.
type numCand struct {
	start, end int // span, including a leading '+' or '('
	digits     [24]byte
	nd         int    // number of digits
	glen       []int  // digit count of each group
	sep        byte   // the one separator used (0: none, 'x': mixed)
	paren      bool   // parentheses around a group
	plus       bool   // starts with '+'
	raw        string // text[start:end]
}

// d returns the digits of the candidate.
func (c *numCand) d() string { return string(c.digits[:c.nd]) }

// groupsAre reports whether the group lengths are exactly want.
func (c *numCand) groupsAre(want ...int) bool {
	if len(c.glen) != len(want) {
		return false
	}
	for i := range want {
		if c.glen[i] != want[i] {
			return false
		}
	}
	return true
}

// scanNumbers finds digit segments and classifies their sub-ranges.
func (s *piiScanner) scanNumbers() {
	t := s.text
	var groups [maxNumGroups]numGroup
	glen := make([]int, 0, maxNumGroups)
	for i := 0; i < len(t); {
		if !isDigit(t[i]) {
			i++
			continue
		}
		// Digits glued to a letter belong to another token ("A12345678",
		// "is415"); the token scanner handles those.
		if i > 0 && (isLetterByte(t[i-1]) || t[i-1] == '_') {
			for i < len(t) && (isAlnum(t[i]) || t[i] == '_') {
				i++
			}
			continue
		}
		n := 0
		j := i
		for {
			k := j
			for k < len(t) && isDigit(t[k]) {
				k++
			}
			groups[n] = numGroup{j, k}
			n++
			if n == maxNumGroups {
				j = k
				break
			}
			sl := numSepLen(t, k)
			if sl == 0 {
				j = k
				break
			}
			j = k + sl
		}
		for a := 0; a < n; a++ {
			for b := a; b < n && b-a < 8; b++ {
				s.classifyNumber(groups[a:b+1], glen[:0])
			}
		}
		i = j
	}
}

// numSepLen returns the length of the separator at text[k:] if a digit
// follows it, else 0.
func numSepLen(t string, k int) int {
	if k >= len(t) {
		return 0
	}
	switch c := t[k]; c {
	case ' ', '-', '.', '/', '(', ')':
		if k+1 < len(t) && isDigit(t[k+1]) {
			return 1
		}
		if k+2 < len(t) && isDigit(t[k+2]) {
			n := t[k+1]
			if (c == ')' && (n == ' ' || n == '-' || n == '.')) || (c == ' ' && n == '(') {
				return 2
			}
		}
	}
	return 0
}

// classifyNumber offers one sub-range of a segment to every recogniser.
func (s *piiScanner) classifyNumber(gs []numGroup, glen []int) {
	t := s.text
	c := numCand{start: gs[0].start, end: gs[len(gs)-1].end}
	if c.start > 0 && t[c.start-1] == '(' {
		c.start--
		c.paren = true
	}
	if c.start > 0 && t[c.start-1] == '+' {
		c.start--
		c.plus = true
	}
	for gi, g := range gs {
		if c.nd+g.end-g.start > len(c.digits) {
			return
		}
		c.nd += copy(c.digits[c.nd:], t[g.start:g.end])
		glen = append(glen, g.end-g.start)
		if gi == 0 {
			continue
		}
		sep := t[gs[gi-1].end:g.start]
		if strings.ContainsAny(sep, "()") {
			c.paren = true
			continue // "(415) 555": the space after ')' is not a separator choice
		}
		switch {
		case c.sep == 0:
			c.sep = sep[0]
		case c.sep != sep[0]:
			c.sep = 'x'
		}
	}
	c.glen = glen
	// Balance parentheses: "(415" alone is not a number.
	c.raw = t[c.start:c.end]
	if open, closed := strings.Count(c.raw, "("), strings.Count(c.raw, ")"); open != closed {
		if open != closed+1 || c.end >= len(t) || t[c.end] != ')' {
			return
		}
		c.end++
		c.raw = t[c.start:c.end]
	}
	if len(gs) == 4 && c.sep == '.' {
		s.ipv4(gs[0].start, gs[3].end)
	}
	bounded := digitRunBoundary(t, c.start, c.end)
	if bounded && c.sep != 'x' {
		s.numberIDs(&c)
	}
	// A phone number may carry an extension ("x1234", " ext. 12").
	if ext := phoneExtension(t, c.end); ext > c.end && digitRunBoundary(t, c.start, ext) {
		c.end = ext
		c.raw = t[c.start:c.end]
		s.phone(&c)
	} else if bounded {
		s.phone(&c)
	}
}

// numberIDs runs the recognisers of fixed-length numbers.
func (s *piiScanner) numberIDs(c *numCand) {
	d := c.d()
	plain := !c.paren && !c.plus
	if !plain {
		return
	}
	single := len(c.glen) == 1
	switch {
	case c.nd >= 13 && c.nd <= 19 && (c.sep == 0 || c.sep == ' ' || c.sep == '-') && knownIIN(d) && luhn(d):
		s.add(TypeCreditCard, c.start, c.end, scoreChecked)
	case isNumericDate(c):
		s.addCtx(TypeDateOfBirth, c.start, c.end, scoreContext, 0)
	}
	switch c.nd {
	case 9:
		if validSSN(d) {
			switch {
			case c.groupsAre(3, 2, 4) && c.sep == '-':
				s.addCtx(TypeUSSSN, c.start, c.end, scoreContext+0.05, scoreShape)
			case c.groupsAre(3, 2, 4):
				s.addCtx(TypeUSSSN, c.start, c.end, scoreContext, scoreWeak+0.05)
			case single:
				s.addCtx(TypeUSSSN, c.start, c.end, scoreContext-0.05, 0)
			}
		}
		if validABA(d) {
			switch {
			case single:
				s.addCtx(TypeRoutingNumber, c.start, c.end, scoreChecked, 0)
			case c.groupsAre(4, 4, 1) && c.sep == '-':
				s.addCtx(TypeRoutingNumber, c.start, c.end, scoreChecked, scoreAmbiguous)
			}
		}
		if validTFN(d) {
			switch {
			case single:
				s.addCtx(TypeAUTFN, c.start, c.end, scoreChecked, 0)
			case c.groupsAre(3, 3, 3) && (c.sep == ' ' || c.sep == '-'):
				s.addCtx(TypeAUTFN, c.start, c.end, scoreChecked, scoreAmbiguous)
			}
		}
	case 10:
		if validNHS(d) {
			switch {
			case single:
				s.addCtx(TypeUKNHS, c.start, c.end, scoreChecked, 0)
			case c.groupsAre(3, 3, 4) && (c.sep == ' ' || c.sep == '-'):
				s.addCtx(TypeUKNHS, c.start, c.end, scoreChecked, scoreAmbiguous)
			}
		}
	case 12:
		if d[0] >= '2' && verhoeff(d) {
			switch {
			case single:
				s.addCtx(TypeINAadhaar, c.start, c.end, scoreChecked, 0)
			case c.groupsAre(4, 4, 4) && (c.sep == ' ' || c.sep == '-'):
				s.addCtx(TypeINAadhaar, c.start, c.end, scoreChecked, scoreAmbiguous)
			}
		}
	}
	// Passports and driving licences are bare digit runs that only a
	// context word tells apart from any other number.
	if single {
		if c.nd >= 6 && c.nd <= 9 {
			s.addCtx(TypePassport, c.start, c.end, scoreContext-0.05, 0)
		}
		if c.nd >= 7 && c.nd <= 13 {
			s.addCtx(TypeDriverLicense, c.start, c.end, scoreContext-0.05, 0)
		}
	}
}

// ipv4 reports a dotted quad at t[start:end], with its CIDR prefix length
// when one follows ("10.0.0.0/8"), unless a version word precedes it.
func (s *piiScanner) ipv4(start, end int) {
	t := s.text
	if !validIPv4(t[start:end]) {
		return
	}
	if end+1 < len(t) && t[end] == '/' && isDigit(t[end+1]) {
		j := end + 1
		for j < len(t) && j-end <= 3 && isDigit(t[j]) {
			j++
		}
		end = j
	}
	if !digitRunBoundary(t, start, end) || hasAdjacentWord(s.lower[max(0, start-16):start], versionWords) {
		return
	}
	s.addCtx(TypeIPAddress, start, end, scoreContext+0.05, scoreShape+0.05)
}

// versionWords precede dotted numbers that are versions, not addresses.
var versionWords = []string{"version", "ver", "v", "release", "build", "oid", "rev"}

// phone scores a candidate as a phone number.
func (s *piiScanner) phone(c *numCand) {
	if c.sep == 'x' || c.nd < 6 || isNumericDate(c) {
		return
	}
	d := c.d()
	nd := c.nd
	ng := len(c.glen)
	switch {
	case c.plus:
		if nd >= 8 && nd <= 15 && d[0] != '0' && (ng > 1 || nd >= 10) {
			s.addCtx(TypePhone, c.start, c.end, scoreContext+0.05, scoreShape+0.1)
		}
	case c.paren && c.raw[0] != '(':
		// "030 (1234)" and the like: too odd to call.
	case strings.HasPrefix(d, "00") && ng >= 2 && nd >= 11 && nd <= 15 && d[2] != '0':
		// International call prefix: "0049 30 901820", "001-748-088-2851".
		s.addCtx(TypePhone, c.start, c.end, scoreContext, scoreWeak+0.05)
	case (nd == 10 && c.groupsAre(3, 3, 4) || nd == 11 && d[0] == '1' && c.groupsAre(1, 3, 3, 4)) && d[nd-10] >= '2' && d[nd-7] >= '2':
		// North American Numbering Plan: area code and exchange start 2-9.
		score := scoreShape
		if c.paren {
			score = scoreShape + 0.05
		}
		s.addCtx(TypePhone, c.start, c.end, scoreContext+0.05, score)
	case len(c.glen) == 4 && c.sep == '.' && c.glen[0] <= 3 && c.glen[1] <= 3 && c.glen[2] <= 3 && c.glen[3] <= 3:
		// Shaped like an IPv4 address, not a phone number.
	case d[0] == '0' && d[1] != '0' && ng >= 2 && nd >= 9 && nd <= 12 && c.glen[0] >= 2 && c.glen[0] <= 5 && c.sep != '.' ||
		d[0] == '0' && d[1] != '0' && c.sep == '.' && ng >= 3 && nd >= 10 && nd <= 12:
		// National numbers with a trunk 0: "020 7946 0958", "06 12 34 56 78".
		s.addCtx(TypePhone, c.start, c.end, scoreContext, scoreWeak)
	case ng >= 2 && nd >= 7 && nd <= 12 && c.sep != '/', ng >= 3 && nd == 6 && c.sep != '/' && c.sep != '.':
		s.addCtx(TypePhone, c.start, c.end, scoreContext-0.05, 0)
	case ng == 1 && nd >= 10 && nd <= 12:
		s.addCtx(TypePhone, c.start, c.end, scoreContext-0.1, 0)
	}
}

// phoneExtension returns the end of an extension written right after a
// phone number ending at end ("x818", " ext. 12"), or end if there is none.
func phoneExtension(t string, end int) int {
	i := end
	rest := t[i:]
	switch {
	case strings.HasPrefix(rest, "x"), strings.HasPrefix(rest, "X"):
		i++
	case strings.HasPrefix(rest, " x"):
		i += 2
	case len(rest) >= 4 && strings.EqualFold(rest[:4], " ext"):
		i += 4
		if i < len(t) && t[i] == '.' {
			i++
		}
		if i < len(t) && t[i] == ' ' {
			i++
		}
	default:
		return end
	}
	j := i
	for j < len(t) && j-i < 6 && isDigit(t[j]) {
		j++
	}
	if j == i || (j < len(t) && isAlnum(t[j])) {
		return end
	}
	return j
}

// isNumericDate reports whether the candidate reads as a calendar date:
// d/m/y, m/d/y or y-m-d with one separator kind and a plausible year.
func isNumericDate(c *numCand) bool {
	if len(c.glen) != 3 || c.paren || c.plus || (c.sep != '/' && c.sep != '-' && c.sep != '.') {
		return false
	}
	g := c.glen
	d := c.digits[:c.nd]
	num := func(b []byte) int {
		v := 0
		for _, x := range b {
			v = v*10 + int(x-'0')
		}
		return v
	}
	switch {
	case g[0] == 4 && g[1] <= 2 && g[2] <= 2:
		y, m, day := num(d[:4]), num(d[4:4+g[1]]), num(d[4+g[1]:])
		return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && day >= 1 && day <= 31
	case g[0] <= 2 && g[1] <= 2 && (g[2] == 4 || g[2] == 2):
		a, b := num(d[:g[0]]), num(d[g[0]:g[0]+g[1]])
		if g[2] == 4 {
			if y := num(d[g[0]+g[1]:]); y < 1900 || y > 2099 {
				return false
			}
		}
		return a >= 1 && b >= 1 && ((a <= 12 && b <= 31) || (b <= 12 && a <= 31))
	}
	return false
}

// digitRunBoundary reports whether text[start:end] is not part of a longer
// token: the bytes around it are not letters or digits, and not a
// separator that continues a run of digits ("1.2.3.4.5", "12-34-56-78").
func digitRunBoundary(text string, start, end int) bool {
	if start > 0 {
		b := text[start-1]
		if isAlnum(b) || b == '_' {
			return false
		}
		if (b == '.' || b == '-' || b == '/' || b == ':') && start > 1 && isDigit(text[start-2]) {
			return false
		}
	}
	if end < len(text) {
		b := text[end]
		if isAlnum(b) || b == '_' {
			return false
		}
		if (b == '.' || b == '-' || b == '/' || b == ':') && end+1 < len(text) && isDigit(text[end+1]) {
			return false
		}
	}
	return true
}

// knownIIN reports whether the card number d starts with the issuer
// identification number of a major scheme and has a length that scheme uses.
func knownIIN(d string) bool {
	n := len(d)
	p := func(k int) int {
		v := 0
		for i := 0; i < k; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	p2, p3, p4, p6 := p(2), p(3), p(4), p(6)
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p2 == 65, p3 >= 644 && p3 <= 649, p6 >= 622126 && p6 <= 622925: // Discover
		return n >= 16
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case p2 == 62: // UnionPay
		return n >= 16
	case p2 == 50, p2 >= 56 && p2 <= 69: // Maestro
		return n >= 12
	case p4 == 2131 || p4 == 1800: // JCB (legacy 15-digit)
		return n == 15
	case d[0] == '1' && n == 15: // UATP
		return true
	}
	return false
}

// luhn reports whether the digit string d passes the Luhn check.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// validSSN reports whether the nine digits d form a number the US Social
// Security Administration could have issued: area 000, 666 and 900-999,
// group 00 and serial 0000 are never used.
func validSSN(d string) bool {
	area, group, serial := d[0:3], d[3:5], d[5:9]
	if area == "000" || area == "666" || area[0] == '9' {
		return false
	}
	return group != "00" && serial != "0000"
}

// validABA checks an ABA routing transit number: a Federal Reserve prefix
// (00-12, 21-32, 61-72, 80) and the 3-7-1 weighted checksum.
func validABA(d string) bool {
	if len(d) != 9 {
		return false
	}
	p := int(d[0]-'0')*10 + int(d[1]-'0')
	if !(p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80) || d == "000000000" {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * [3]int{3, 7, 1}[i%3]
	}
	return sum%10 == 0
}

// validTFN checks an Australian tax file number's weighted mod-11 checksum.
func validTFN(d string) bool {
	if len(d) != 9 {
		return false
	}
	w := [9]int{1, 4, 3, 7, 5, 8, 6, 9, 10}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * w[i]
	}
	return sum%11 == 0
}

// validNHS checks a UK NHS number's mod-11 check digit.
func validNHS(d string) bool {
	if len(d) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(d[9]-'0')
}

// verhoeff reports whether the digit string d passes the Verhoeff check
// (used by Aadhaar numbers).
func verhoeff(d string) bool {
	mul := [10][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	perm := [8][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
	c := uint8(0)
	for i := 0; i < len(d); i++ {
		c = mul[c][perm[i%8][d[len(d)-1-i]-'0']]
	}
	return c == 0
}

// validIPv4 checks that each octet is 0-255 without leading zeros, and that
// the address is not the unspecified 0.0.0.0 (usually a placeholder).
func validIPv4(s string) bool {
	if s == "0.0.0.0" {
		return false
	}
	parts := 0
	for part := range strings.SplitSeq(s, ".") {
		parts++
		if len(part) == 0 || len(part) > 3 || (len(part) > 1 && part[0] == '0') {
			return false
		}
		v := 0
		for i := 0; i < len(part); i++ {
			if !isDigit(part[i]) {
				return false
			}
			v = v*10 + int(part[i]-'0')
		}
		if v > 255 {
			return false
		}
	}
	return parts == 4
}
