package detect

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file holds the recognisers that work on words: person names, street
// addresses and dates of birth written with a month name. Without a
// language model they rely on shape and lexicons: honorifics ("Mr.",
// "Dr."), phrases that introduce a name ("my name is", "Dear"), a list of
// common given names from many cultures followed by capitalised surnames,
// and house numbers followed by a street name and a street type.

// piiWord is one word or number of the text.
type piiWord struct {
	start, end int
	num        bool   // starts with a digit ("12", "12B", "184th")
	letter     bool   // letters only (with inner ' or -)
	cap        bool   // starts with an upper-case letter
	upper      bool   // every letter upper case
	flags      uint16 // word classes (wHonorific...), from wordClasses; next to the bools to keep the struct at 56 bytes
	lower      string
	key        string // lower case without diacritics, for name lookups
}

// words splits the text into words and numbers; punctuation and spaces are
// left in the gaps between them.
func piiWords(t, lower string) []piiWord {
	ws := make([]piiWord, 0, len(t)/4+1)
	classes := wordClasses()
	for i := 0; i < len(t); {
		c := t[i]
		if c < 0x80 && !isAlnum(c) {
			i++
			continue
		}
		r, n := rune(c), 1
		if c >= 0x80 {
			r, n = utf8.DecodeRuneInString(t[i:])
			if !unicode.IsLetter(r) {
				i += n
				continue
			}
		}
		w := piiWord{start: i, num: isDigit(c), cap: unicode.IsUpper(r), upper: true, letter: !isDigit(c)}
		j := i
		ascii := true
		for j < len(t) {
			c := t[j]
			if c < 0x80 {
				switch {
				case isDigit(c):
					w.letter = false
				case isAlnum(c):
					if c >= 'a' {
						w.upper = false
					}
				case (c == '\'' || c == '-') && j+1 < len(t) && isAlnum(t[j+1]) && !w.num:
				default:
					goto done
				}
				j++
				continue
			}
			r, n := utf8.DecodeRuneInString(t[j:])
			if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
				break
			}
			ascii = false
			if unicode.IsLower(r) {
				w.upper = false
			}
			j += n
		}
	done:
		next := j
		// A possessive belongs to the name before it: "Emre's address".
		if w.letter && j-i > 3 && (t[j-2] == '\'' && t[j-1]|0x20 == 's') {
			j -= 2
		}
		w.end = j
		if ascii {
			w.lower = lower[i:j]
			w.key = w.lower
		} else {
			w.lower = strings.ToLower(t[i:j])
			w.key = foldDiacritics(w.lower)
		}
		w.flags = classes[w.lower]
		ws = append(ws, w)
		i = next
	}
	return ws
}

// gap returns the text between word k and the next.
func gap(t string, ws []piiWord, k int) string {
	if k+1 >= len(ws) {
		return t[ws[k].end:]
	}
	return t[ws[k].end:ws[k+1].start]
}

// inlineGap reports whether a gap keeps two words in one phrase: spaces and
// at most a period or comma, no line break.
func inlineGap(g string) bool {
	if len(g) == 0 || len(g) > 3 {
		return false
	}
	for i := 0; i < len(g); i++ {
		if g[i] != ' ' && g[i] != '.' && g[i] != ',' {
			return false
		}
	}
	return g[len(g)-1] == ' '
}

// scanWords runs the word-based recognisers.
func (s *piiScanner) scanWords() {
	t := s.text
	ws := piiWords(t, s.lower)
	// Text typed all in lower case gets no help from capitals: given names
	// from the list then stand in for them.
	s.lowerMode = strings.IndexFunc(t, unicode.IsUpper) < 0
	nameEnd := 0 // words before this index are already part of a name
	for k := 0; k < len(ws); k++ {
		w := &ws[k]
		switch {
		case w.num:
			s.address(ws, k)
			s.zipCode(ws, k)
		case w.letter:
			if w.flags&wMonth != 0 {
				s.monthDate(ws, k)
			}
			if (w.flags&wPrefixStreet != 0) || w.cap && k+1 < len(ws) && ws[k+1].num && streetMorpheme(w.lower) {
				s.europeanAddress(ws, k)
			}
			switch w.lower {
			case "box", "psc":
				s.poBox(ws, k)
			case "apo", "fpo", "dpo":
				s.militaryAddress(ws, k)
			}
			if w.flags&wUnit != 0 {
				s.unitAddress(ws, k)
			}
			if k >= nameEnd {
				if end := s.person(ws, k); end > k {
					nameEnd = end
				}
			}
		}
	}
	if !s.lowerMode {
		s.coordinatedNames(ws)
	}
	s.joinAddresses()
}

// joinAddresses merges street-address candidates that overlap or follow
// each other with only a space, a comma or a line break between them: the
// street line and the unit or city line found by different recognisers
// ("68 Hulsterdreef" + "100 Apt. 535, København K") are one address, and
// the union scores as its best part.
func (s *piiScanner) joinAddresses() {
	var buf [8]piiCandidate
	addr := buf[:0]
	for _, c := range s.cands {
		if c.typ == TypeStreetAddress && c.score >= 0.5 {
			addr = append(addr, c)
		}
	}
	if len(addr) < 2 {
		return
	}
	slices.SortFunc(addr, func(a, b piiCandidate) int { return cmp.Compare(a.start, b.start) })
	cur, joined := addr[0], false
	for _, c := range addr[1:] {
		switch {
		case c.start < cur.end: // overlapping alternatives: keep the union
			joined = joined || c.end > cur.end || c.score > cur.score
			cur.end, cur.score = max(cur.end, c.end), max(cur.score, c.score)
			continue
		case blockGap(s.text[cur.end:c.start]):
			cur.end, cur.score, joined = c.end, max(cur.score, c.score), true
			continue
		}
		if joined {
			s.cands = append(s.cands, cur)
		}
		cur, joined = c, false
	}
	if joined {
		s.cands = append(s.cands, cur)
	}
}

// coordinatedNames reports the capitalised single words of a list that
// already holds a name ("Schulz, Strickland and Matthews", "Lang and
// Fowler"): words coordinated with a person are people too. Lists that
// mix in numbers, lower-case words or street and organisation words are
// left alone.
func (s *piiScanner) coordinatedNames(ws []piiWord) {
	t := s.text
	isItem := func(k int) bool {
		w := ws[k]
		return w.letter && w.cap && !w.upper && w.flags&(nameBreak|wUnit|wPrefixStreet|wParticle) == 0 && len(w.lower) > 1 &&
			!strings.Contains(w.lower, "'")
	}
	for k := 0; k < len(ws); k++ {
		if !isItem(k) || k > 0 && ws[k-1].flags&wPlacePrefix != 0 && inlineGap(gap(t, ws, k-1)) {
			continue
		}
		var buf [16]int
		items := append(buf[:0], k)
		j := k
		joined := false // a real list ends in "and" or "or"
		for {
			g := gap(t, ws, j)
			switch {
			case j+1 < len(ws) && g == ", " && isItem(j+1):
				j++
			case j+2 < len(ws) && (g == " " || g == ", ") && (ws[j+1].lower == "and" || ws[j+1].lower == "or") &&
				gap(t, ws, j+1) == " " && isItem(j+2):
				j += 2
				joined = true
			default:
				goto done
			}
			items = append(items, j)
		}
	done:
		k = j
		// An item must stand alone: a capitalised word or a number right
		// after the list makes the last item part of something else.
		// "The Jones, Mitchell and Williams office" is a firm.
		firm := items[0] > 0 && ws[items[0]-1].lower == "the"
		if len(items) < 2 || !joined || firm || j+1 < len(ws) && inlineGap(gap(t, ws, j)) && (ws[j+1].cap || ws[j+1].num) {
			continue
		}
		known, unknown := 0, 0
		for _, i := range items {
			if s.hasCandidate(TypePerson, ws[i].start, ws[i].end) {
				known++
			} else if !s.hasCandidate("", ws[i].start, ws[i].end) {
				unknown++
			}
		}
		if known == 0 || unknown == 0 {
			continue
		}
		for _, i := range items {
			if !s.hasCandidate("", ws[i].start, ws[i].end) {
				s.add(TypePerson, ws[i].start, ws[i].end, scoreWeak+0.05)
			}
		}
	}
}

// hasCandidate reports whether a candidate of typ (any type when empty)
// scoring 0.5 or more overlaps [start, end).
func (s *piiScanner) hasCandidate(typ string, start, end int) bool {
	for _, c := range s.cands {
		if c.score >= 0.5 && (typ == "" || c.typ == typ) && overlaps(c.start, c.end, start, end) {
			return true
		}
	}
	return false
}

// person looks for a name starting at word k and returns the index after
// its last word (k if none).
func (s *piiScanner) person(ws []piiWord, k int) int {
	t := s.text
	w := ws[k]
	// An honorific followed by a name: "Mr. John Smith", "dr. hurst".
	if (w.flags&wHonorific != 0) && k+1 < len(ws) {
		g := gap(t, ws, k)
		n := ws[k+1]
		if (g == " " || g == ". ") && n.letter && !(n.flags&wNameStop != 0) && len(n.lower) > 1 &&
			(n.cap || isFirstName(n.key) || g == ". " && (s.lowerMode || w.cap)) && (w.cap || g == ". " || s.lowerMode) {
			end := s.nameRun(ws, k+1, 3)
			s.addCtx(TypePerson, w.start, ws[end-1].end, scoreContext+0.05, scoreContext)
			return end
		}
	}
	if !w.letter || (w.flags&wNameStop != 0) || len(w.lower) < 2 {
		return k
	}
	// "San Luis", "Port Louis", "rue Victor Hugo": places, not people.
	if k > 0 && (ws[k-1].flags&wPlacePrefix != 0) && inlineGap(gap(t, ws, k-1)) {
		return k
	}
	first := isFirstName(w.key)
	// A phrase that introduces a name: "my name is Ada Lovelace", "Dear Ada".
	if (w.cap || first) && k > 0 && s.ctx.near(TypePerson, s.lower, w.start, w.end) {
		end := s.nameRun(ws, k, 3)
		s.add(TypePerson, w.start, ws[end-1].end, scoreContext)
		return end
	}
	if !first {
		if w.cap && !w.upper {
			return s.unlistedName(ws, k)
		}
		return k
	}
	if !(w.cap || w.upper || s.lowerMode) {
		return k
	}
	end := s.nameRun(ws, k, 3)
	if orgOrPlaceAfter(t, ws, end-1) {
		// "Joaquin Suarez 4740", "Oliver Wyman office": a street or a firm.
		return end
	}
	switch {
	case end > k+1:
		s.add(TypePerson, w.start, ws[end-1].end, scoreShape+0.05)
	case !ambiguousFirstNames[w.key]:
		s.add(TypePerson, w.start, w.end, scoreWeak+0.05)
	}
	return end
}

// unlistedName handles a capitalised word that is not a listed given name:
// a surname (listed, or by its ending) alone or after another capitalised
// word ("Kellie Nováková"), or any capitalised word that a human verb
// follows ("Vinka shouted") or whose possessive names a relative
// ("Russell's daughter"). It returns the index after the name (k if none).
func (s *piiScanner) unlistedName(ws []piiWord, k int) int {
	t := s.text
	w := ws[k]
	next := k + 1
	hasNext := next < len(ws) && gap(t, ws, k) == " "
	if hasNext && !imperatives[w.lower] && ws[next].letter && ws[next].cap && !ws[next].upper && ws[next].flags&nameBreak == 0 &&
		isSurname(ws[next].key) && !orgOrPlaceAfter(t, ws, next) {
		end := s.nameRun(ws, k, 3)
		s.add(TypePerson, w.start, ws[end-1].end, scoreShape)
		return end
	}
	if orgOrPlaceAfter(t, ws, k) || placeBefore(t, ws, k) || cityAfter(t, ws, k) {
		return k
	}
	nextCap := hasNext && ws[next].letter && ws[next].cap
	switch {
	case hasNext && humanVerbs[ws[next].lower]:
		s.add(TypePerson, w.start, w.end, scoreWeak+0.05)
	case w.end+3 < len(t) && t[w.end] == '\'' && next < len(ws) && kinWords[ws[next].lower] && gap(t, ws, k) == "'s ":
		s.add(TypePerson, w.start, w.end, scoreWeak+0.05)
	case !nextCap && isSurname(w.key):
		s.add(TypePerson, w.start, w.end, scoreWeak)
	default:
		return k
	}
	return k + 1
}

// orgOrPlaceAfter reports whether the words after ws[k] make it part of
// an organisation, a place or a street ("Guerra Inc", "Lindström Street",
// "Kovalev 12").
func orgOrPlaceAfter(t string, ws []piiWord, k int) bool {
	if k+1 >= len(ws) || !inlineGap(gap(t, ws, k)) {
		return false
	}
	n := ws[k+1]
	return n.num || n.flags&(wStreetSuffix|wOrgWord) != 0
}

// placeBefore reports whether the word before ws[k] makes it a place or a
// ship rather than a person ("in Kalatsova", "from Moldova", "USNS Lundberg").
func placeBefore(t string, ws []piiWord, k int) bool {
	if k == 0 || !inlineGap(gap(t, ws, k-1)) {
		return false
	}
	switch ws[k-1].lower {
	case "in", "from", "at", "to", "near", "into", "via", "across", "around", "outside", "towards",
		"uss", "usns", "usnv", "uscgc":
		return true
	}
	return false
}

// cityAfter reports whether ws[k] is followed, on the same line or the
// next, by a comma and a state code or a postal code ("Solís\n, MA").
func cityAfter(t string, ws []piiWord, k int) bool {
	if k+1 >= len(ws) {
		return false
	}
	g := gap(t, ws, k)
	if !strings.Contains(g, ",") || len(g) > 4 {
		return false
	}
	n := ws[k+1]
	return n.upper && n.letter && n.end-n.start == 2 || n.num && n.end-n.start == 5
}

// nameBreak are the word classes that never continue a name.
const nameBreak = wNameStop | wStreetSuffix | wMonth | wWeekday | wOrgWord

// imperatives start sentences before a name ("Ask Novak", "Tell Ivanova")
// and are not part of it.
var imperatives = map[string]bool{
	"ask": true, "tell": true, "call": true, "thank": true, "email": true, "contact": true, "meet": true,
	"see": true, "let": true, "help": true, "visit": true, "invite": true, "text": true, "phone": true,
	"welcome": true, "congratulate": true, "congratulations": true, "thanks": true, "ping": true, "cc": true,
}

// humanVerbs follow a person's name as its verb ("Vinka shouted at ...");
// verbs that companies also do ("said", "announced") are not listed.
var humanVerbs = map[string]bool{
	"shouted": true, "whispered": true, "replied": true, "yelled": true, "screamed": true,
	"laughed": true, "smiled": true, "sighed": true, "nodded": true, "cried": true, "muttered": true,
	"exclaimed": true, "grinned": true, "frowned": true, "giggled": true, "shrugged": true,
	"winked": true, "blushed": true,
}

// kinWords after a possessive make the owner a person ("Mary's daughter").
var kinWords = map[string]bool{
	"daughter": true, "son": true, "wife": true, "husband": true, "mother": true, "father": true,
	"brother": true, "sister": true, "mom": true, "mum": true, "dad": true, "boyfriend": true,
	"girlfriend": true, "fiance": true, "fiancé": true, "fiancée": true, "grandmother": true,
	"grandfather": true, "uncle": true, "aunt": true, "cousin": true, "niece": true, "nephew": true,
	"children": true, "kids": true, "parents": true, "widow": true,
}

// nameRun returns the index after a run of up to max name words starting
// at k (k itself always counts): capitalised words, initials ("J.") and
// lower-case particles inside a name ("van", "de").
func (s *piiScanner) nameRun(ws []piiWord, k, maxWords int) int {
	t := s.text
	end := k + 1
	taken := 1
	for end < len(ws) && taken < maxWords+1 {
		g := t[ws[end-1].end:ws[end].start]
		if g != " " && !(g == ". " && ws[end-1].end-ws[end-1].start == 1) {
			break
		}
		n := ws[end]
		switch {
		case !n.letter:
			return end
		case (n.flags&wParticle != 0) && end+1 < len(ws) && ws[end+1].cap && ws[end+1].letter:
			end++
			continue
		case !(n.cap || s.lowerMode) || (n.flags&wNameStop != 0) || (n.flags&wStreetSuffix != 0) || n.flags&(wMonth|wWeekday) != 0 ||
			s.lowerMode && ((n.flags&wLowerStop != 0) || len(n.lower) < 3):
			return end
		case ws[end-1].upper != n.upper && ws[end-1].end-ws[end-1].start > 1 && n.end-n.start > 1:
			// "JOHN Smith" is two things, "John SMITH" is rare enough.
			return end
		}
		end++
		taken++
	}
	return end
}

// isFirstName reports whether the lower-cased word is a common given name.
func isFirstName(lower string) bool {
	return names().given[lower]
}

// address looks for a street address starting at the house number ws[k].
func (s *piiScanner) address(ws []piiWord, k int) {
	t := s.text
	w := ws[k]
	if w.end-w.start > 6 {
		return
	}
	// "32 216 Menzies Street": a second number may follow the first.
	j := k + 1
	if j < len(ws) && ws[j].num && inlineGap(gap(t, ws, k)) {
		j++
	}
	// Up to five capitalised (or ordinal) words, then a street type.
	for n := 0; j < len(ws) && n < 6; n++ {
		if !inlineGap(gap(t, ws, j-1)) {
			return
		}
		x := ws[j]
		if n > 0 && (x.flags&wStreetSuffix != 0) {
			s.streetEnd(ws, ws[k].start, j, scoreShape+0.1)
			return
		}
		if n == 0 && (x.flags&wPrefixStreet != 0) && (x.cap || x.lower == "avenue") {
			// "110 Rue du Koweit", "57 avenue Jules Ferry": take the name.
			end := j + 1
			for end < len(ws) && end-j <= 4 && inlineGap(gap(t, ws, end-1)) && ws[end].letter &&
				(ws[end].cap || (ws[end].flags&wParticle != 0)) {
				end++
			}
			if end > j+1 {
				s.streetEnd(ws, ws[k].start, end-1, scoreShape+0.05)
			}
			return
		}
		if streetMorpheme(x.lower) && x.cap {
			s.streetEnd(ws, ws[k].start, j, scoreShape+0.05)
			return
		}
		if n > 0 && x.num && x.end-x.start <= 5 {
			// "34 Skolegyden 99": house number, street, number, as the
			// generator of many forms writes it; needs a context word.
			s.streetEndCtx(ws, ws[k].start, j, scoreShape+0.1, true)
			return
		}
		if !(x.cap && x.letter) && !isOrdinal(x.lower) && !(x.flags&wDirection != 0) &&
			!(n > 0 && x.letter && ((x.flags&wPrefixStreet != 0) || (x.flags&wParticle != 0))) {
			return
		}
		j++
	}
}

// unitAddress finds an address line that ends in a house number and is
// followed by a unit ("Stubben 149, Suite 947", "16 salontie 6 apt. 523"):
// the unit word is what makes "words and a number" an address.
func (s *piiScanner) unitAddress(ws []piiWord, k int) {
	t := s.text
	if k < 2 || k+1 >= len(ws) || !ws[k+1].num || len(gap(t, ws, k)) > 2 || !ws[k-1].num || !blockGap(gap(t, ws, k-1)) {
		return
	}
	start := -1
	j := k - 2
	for n := 0; j >= 0 && n < 5 && inlineGap(gap(t, ws, j)); n++ {
		if ws[j].num {
			if n > 0 {
				start = ws[j].start
				if j > 0 && ws[j-1].num && inlineGap(gap(t, ws, j-1)) {
					start = ws[j-1].start
				}
			}
			break
		}
		if !ws[j].letter || (ws[j].flags&wNameStop != 0) && !(ws[j].flags&wParticle != 0) {
			break
		}
		start = ws[j].start
		j--
	}
	if start < 0 {
		return
	}
	s.streetEndCtx(ws, start, k+1, scoreShape+0.05, false)
}

// militaryAddress finds US military mail: "APO AE 09123", usually after a
// unit or ship line ("PSC 1234, Box 56", "USS Ohio").
func (s *piiScanner) militaryAddress(ws []piiWord, k int) {
	t := s.text
	if k+2 >= len(ws) || !ws[k+1].upper && !s.lowerMode || ws[k+1].end-ws[k+1].start != 2 || !ws[k+2].num ||
		ws[k+2].end-ws[k+2].start != 5 || len(gap(t, ws, k)) > 2 || len(gap(t, ws, k+1)) > 2 {
		return
	}
	switch ws[k+1].lower {
	case "aa", "ae", "ap":
	default:
		return
	}
	start := ws[k].start
	if k > 0 && strings.Contains(gap(t, ws, k-1), "\n") {
		j := k - 1
		for j > 0 && k-j < 6 && !strings.Contains(gap(t, ws, j-1), "\n") {
			j--
		}
		switch ws[j].lower {
		case "uss", "usns", "usnv", "psc", "unit", "cmr":
			start = ws[j].start
		}
	}
	s.add(TypeStreetAddress, start, ws[k+2].end, scoreContext)
}

// zipCode reports a US ZIP code right after "zip code" or "postal code".
func (s *piiScanner) zipCode(ws []piiWord, k int) {
	w := ws[k]
	n := w.end - w.start
	end := w.end
	if n != 5 || !allDigits(w.lower) {
		return
	}
	if t := s.text; end+5 <= len(t) && t[end] == '-' && allDigits(t[end+1:end+5]) && (end+5 == len(t) || !isAlnum(t[end+5])) {
		end += 5
	}
	if hasAdjacentWord(s.lower[max(0, w.start-24):w.start], zipWords) {
		s.add(TypeStreetAddress, w.start, end, scoreContext-0.05)
	}
}

// zipWords introduce a postal code.
var zipWords = []string{"zip", "zip code", "zipcode", "postal code", "postcode", "post code", "zip code is", "postal code is"}

// streetEnd records an address from byte offset start to word b, extended
// over a unit ("Apt. 4"), a city, a state and a postal code when they
// follow.
func (s *piiScanner) streetEnd(ws []piiWord, start, b int, score float64) {
	s.streetEndCtx(ws, start, b, score, false)
}

// streetEndCtx is streetEnd; with needCtx the address is only reported
// when a context word sits nearby.
func (s *piiScanner) streetEndCtx(ws []piiWord, start, b int, score float64, needCtx bool) {
	t := s.text
	end := b
	if end+1 < len(ws) && (ws[end+1].flags&wDirection != 0) && inlineGap(gap(t, ws, end)) {
		end++
	}
	// Unit: on the same line or the next.
	if u := end + 1; u+1 < len(ws) && (ws[u].flags&wUnit != 0) && blockGap(gap(t, ws, end)) &&
		len(gap(t, ws, u)) <= 3 && (ws[u+1].num || ws[u+1].end-ws[u+1].start <= 4) {
		end = u + 1
		score += 0.05
	}
	// City (and country), optional state and postal code:
	// "Springfield, IL 62704", "Drijette, Qatar 52904".
	if c := end + 1; c < len(ws) && blockGap(gap(t, ws, end)) && (ws[c].cap || s.lowerMode) && ws[c].letter && !(ws[c].flags&wUnit != 0) {
		e := c
		for places := 0; e+1 < len(ws) && places < 6; places++ {
			g := gap(t, ws, e)
			if !(g == " " || blockGap(g) && places < 3) || !ws[e+1].letter || !(ws[e+1].cap || s.lowerMode) ||
				ws[e+1].upper && ws[e+1].end-ws[e+1].start == 2 {
				break
			}
			e++
		}
		z := e + 1
		if z < len(ws) && ws[z].upper && ws[z].end-ws[z].start == 2 && blockGap(gap(t, ws, e)) {
			z++
		}
		if z < len(ws) && ws[z].num && ws[z].end-ws[z].start == 5 && blockGap(gap(t, ws, z-1)) {
			end = z
			score += 0.05
		} else if z > e+1 {
			end = z - 1
		}
	} else if z := end + 1; z < len(ws) && ws[z].num && ws[z].end-ws[z].start == 5 && blockGap(gap(t, ws, end)) {
		end = z
	}
	without := min(score, scoreContext)
	if needCtx {
		without = 0
	}
	s.addCtx(TypeStreetAddress, start, ws[end].end, min(score+0.1, scoreChecked), without)
}

// blockGap reports whether a gap may separate the lines or parts of an
// address: spaces, one comma or one line break.
func blockGap(g string) bool {
	if len(g) == 0 || len(g) > 4 {
		return false
	}
	breaks := 0
	for i := 0; i < len(g); i++ {
		switch g[i] {
		case ' ', '\t', '\r':
		case ',', '\n':
			breaks++
		default:
			return false
		}
	}
	return breaks <= 1 && (breaks == 1 || len(g) >= 1)
}

// europeanAddress handles street names that come before the house number:
// "Michaelkirchstr. 15", "Via Roma 12", "Rue du Koweit 7".
func (s *piiScanner) europeanAddress(ws []piiWord, k int) {
	t := s.text
	w := ws[k]
	if !w.cap && !(w.flags&wPrefixStreet != 0) {
		return
	}
	// Skip when a house number precedes: address() already handled it.
	if k > 0 && ws[k-1].num && inlineGap(gap(t, ws, k-1)) {
		return
	}
	j := k + 1
	for j < len(ws) && j-k <= 4 && inlineGap(gap(t, ws, j-1)) {
		if ws[j].num {
			if ws[j].end-ws[j].start <= 4 {
				s.streetEnd(ws, ws[k].start, j, scoreShape)
			}
			return
		}
		if !(w.flags&wPrefixStreet != 0) {
			return // a "-straße" word is followed by its number directly
		}
		if !ws[j].letter || !(ws[j].cap || (ws[j].flags&wParticle != 0)) {
			return
		}
		j++
	}
}

// poBox finds "P.O. Box 123", "PO Box 123" and military "PSC 1234, Box 56".
func (s *piiScanner) poBox(ws []piiWord, k int) {
	t := s.text
	if k+1 >= len(ws) || !ws[k+1].num || len(gap(t, ws, k)) > 2 {
		return
	}
	start := ws[k].start
	if ws[k].lower == "box" {
		p := k - 1
		switch {
		case p >= 0 && ws[p].lower == "po":
			start = ws[p].start
		case p >= 1 && ws[p].lower == "o" && ws[p-1].lower == "p":
			start = ws[p-1].start
		case p >= 1 && ws[p].lower == "office" && ws[p-1].lower == "post":
			start = ws[p-1].start
		default:
			return
		}
	}
	end := k + 1
	if ws[k].lower == "psc" && end+2 < len(ws) && ws[end+1].lower == "box" && ws[end+2].num {
		end += 2
	}
	s.streetEnd(ws, start, end, scoreShape+0.1)
}

// monthDate finds "12 March 1985", "March 12, 1985" and "12th of March
// 1985" around the month name ws[k]; reported as a date of birth only with
// a birth context word nearby.
func (s *piiScanner) monthDate(ws []piiWord, k int) {
	t := s.text
	start, end := -1, -1
	day := func(w piiWord) bool {
		d := strings.TrimRight(w.lower, "stndrh")
		if !w.num || len(d) > 2 || !allDigits(d) {
			return false
		}
		v := int(d[0] - '0')
		if len(d) == 2 {
			v = v*10 + int(d[1]-'0')
		}
		return v >= 1 && v <= 31
	}
	year := func(w piiWord) bool {
		return w.num && w.end-w.start == 4 && (strings.HasPrefix(w.lower, "19") || strings.HasPrefix(w.lower, "20"))
	}
	switch {
	case k+2 < len(ws) && day(ws[k+1]) && year(ws[k+2]) && len(gap(t, ws, k)) <= 2 && len(gap(t, ws, k+1)) <= 2:
		start, end = ws[k].start, ws[k+2].end
	case k >= 1 && k+1 < len(ws) && day(ws[k-1]) && year(ws[k+1]) && len(gap(t, ws, k)) <= 2:
		start, end = ws[k-1].start, ws[k+1].end
	case k >= 2 && k+1 < len(ws) && ws[k-1].lower == "of" && day(ws[k-2]) && year(ws[k+1]) && len(gap(t, ws, k)) <= 2:
		start, end = ws[k-2].start, ws[k+1].end
	default:
		return
	}
	s.addCtx(TypeDateOfBirth, start, end, scoreContext, 0)
}

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// isOrdinal reports whether w is "1st", "184th" and the like.
func isOrdinal(w string) bool {
	if len(w) < 3 || !isDigit(w[0]) {
		return false
	}
	suf := w[len(w)-2:]
	return (suf == "st" || suf == "nd" || suf == "rd" || suf == "th") && allDigits(w[:len(w)-2])
}

// streetMorpheme reports whether a word is a street name by its ending, as
// in German, Dutch and Scandinavian compounds ("Hauptstraße",
// "Amerveldstraat", "Storgatan").
func streetMorpheme(w string) bool {
	if len(w) < 6 {
		return false
	}
	for _, suf := range streetEndings {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

var streetEndings = []string{
	"straße", "strasse", "str", "straat", "weg", "gasse", "allee", "platz", "damm", "ring", "ufer",
	"laan", "dreef", "plein", "gracht", "kade", "singel", "steeg", "gata", "gatan", "vägen", "vej",
	"veien", "vegen", "vegur", "gade", "plads", "stigen", "utca", "katu", "tie", "ulica", "cesta", "torget", "gränd",
}

// streetSuffixes are the street types written after the street name,
// lower-cased, with abbreviations; the value is unused beyond membership.
var streetSuffixes = map[string]uint8{
	"street": 1, "st": 1, "avenue": 1, "ave": 1, "av": 1, "road": 1, "rd": 1, "boulevard": 1, "blvd": 1,
	"lane": 1, "ln": 1, "drive": 1, "dr": 1, "court": 1, "ct": 1, "place": 1, "pl": 1, "square": 1,
	"sq": 1, "terrace": 1, "ter": 1, "way": 1, "parkway": 1, "pkwy": 1, "highway": 1, "hwy": 1,
	"circle": 1, "cir": 1, "trail": 1, "trl": 1, "crescent": 1, "cres": 1, "close": 1, "grove": 1,
	"gardens": 1, "row": 1, "walk": 1, "alley": 1, "plaza": 1, "loop": 1, "pike": 1, "mews": 1,
	"heights": 1, "hts": 1, "ridge": 1, "crossing": 1, "commons": 1, "esplanade": 1, "quay": 1,
	"wharf": 1, "causeway": 1, "expressway": 1, "freeway": 1, "turnpike": 1, "path": 1, "hill": 1,
	"park": 1, "view": 1, "green": 1, "broadway": 1, "embankment": 1,
}

// prefixStreetWords are street types written before the name, as in
// French, Spanish, Italian and Portuguese.
var prefixStreetWords = map[string]bool{
	"ul": true, "aleja": true, "trg": true, "calea": true, "strada": true, "sokak": true, "cadde": true,
	"rue": true, "avenue": true, "boulevard": true, "chemin": true, "via": true, "viale": true,
	"corso": true, "piazza": true, "largo": true, "calle": true, "avenida": true, "paseo": true,
	"plaza": true, "carrer": true, "rua": true, "rúa": true, "travessa": true, "praça": true,
	"ulica": true, "allée": true, "impasse": true, "quai": true, "avinguda": true,
}

var unitWords = map[string]bool{
	"apt": true, "apartment": true, "suite": true, "ste": true, "unit": true, "flat": true,
	"floor": true, "fl": true, "room": true, "rm": true, "bldg": true, "building": true, "no": true,
}

var directions = map[string]bool{
	"n": true, "s": true, "e": true, "w": true, "ne": true, "nw": true, "se": true, "sw": true,
	"north": true, "south": true, "east": true, "west": true,
}

var honorifics = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "prof": true,
	"sir": true, "dame": true, "lady": true, "lord": true, "madam": true, "mme": true, "mlle": true,
	"herr": true, "frau": true, "sr": true, "sra": true, "srta": true, "rev": true,
}

var nameParticles = map[string]bool{
	"van": true, "von": true, "de": true, "der": true, "den": true, "da": true, "das": true, "dos": true,
	"del": true, "della": true, "di": true, "du": true, "la": true, "le": true, "bin": true, "binti": true,
	"al": true, "el": true, "ibn": true, "ten": true, "ter": true, "y": true,
}

// Word classes, as bits of piiWord.flags: one map look-up per word instead
// of one per lexicon.
const (
	wHonorific uint16 = 1 << iota
	wNameStop
	wPlacePrefix
	wPrefixStreet
	wUnit
	wParticle
	wDirection
	wLowerStop
	wWeekday
	wMonth
	wStreetSuffix
	wOrgWord
)

// wordClasses merges the lexicons into one table, built once.
var wordClasses = sync.OnceValue(func() map[string]uint16 {
	m := map[string]uint16{}
	for _, l := range []struct {
		set  map[string]bool
		flag uint16
	}{
		{honorifics, wHonorific}, {nameStop, wNameStop}, {placePrefixes, wPlacePrefix},
		{prefixStreetWords, wPrefixStreet}, {unitWords, wUnit}, {nameParticles, wParticle},
		{directions, wDirection}, {lowerStop, wLowerStop}, {weekdays, wWeekday},
	} {
		for w := range l.set {
			m[w] |= l.flag
		}
	}
	for w := range monthNames {
		m[w] |= wMonth
	}
	for w := range streetSuffixes {
		m[w] |= wStreetSuffix
	}
	for w := range strings.FieldsSeq(orgWords) {
		m[w] |= wOrgWord
	}
	return m
})

var monthNames = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
	"oct": 10, "nov": 11, "dec": 12,
}

var weekdays = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true,
	"saturday": true, "sunday": true,
}

// placePrefixes start place names that contain given names ("San Luis",
// "Port Louis", "rue Victor Hugo").
var placePrefixes = map[string]bool{
	"san": true, "santa": true, "santo": true, "são": true, "saint": true, "st": true, "ste": true,
	"sainte": true, "port": true, "fort": true, "mount": true, "mt": true, "lake": true, "cape": true,
	"rue": true, "via": true, "avenue": true, "calle": true, "avenida": true, "boulevard": true,
	"vila": true, "villa": true, "colonia": true, "plaza": true, "piazza": true, "ul": true,
	"of": true, "de": true, "del": true, "la": true, "le": true,
}

// lowerStop are frequent lower-case words that follow a given name in
// text typed without capitals and are not surnames.
var lowerStop = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`said says told asked went goes gave got likes loves wants needs
	knows thinks called calls wrote writes will would can could shall should must had has have
	here there very really also just too shouted spent lives lived works worked from about into
	version recorded concert`) {
		m[w] = true
	}
	return m
}()

// nameStop are capitalised words that start sentences or name things, and
// so never continue a person's name.
var nameStop = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`i a an the and or but nor if so yet in on at to for of from by with
	is are was were be been am has have had do does did will would can could should may might must
	this that these those it he she they we you me him her them us his hers their our my your its
	who what when where why how which whose hi hello hey dear thanks thank please yes no not ok okay
	also just then there here now today tomorrow yesterday all any some every each more most
	inc ltd llc corp co company group bank university college school hospital hotel church
	street avenue road lane drive court boulevard city county state republic united kingdom
	north south east west new old great saint st mount lake river
	mr mrs ms miss dr prof sir
	email phone tel fax address ssn card account number id dob
	january february march april june july august september october november december
	monday tuesday wednesday thursday friday saturday sunday
	english french german spanish italian chinese japanese american british european
	god lord jesus christ christmas easter`) {
		m[w] = true
	}
	return m
}()

// orgWords follow a name inside the name of an organisation or a place
// ("Guerra Inc", "Marshall Islands", "Ben Azouz Country Club").
const orgWords = `inc ltd llc plc gmbh ag sa corp corporation co company companies group bank
university college school academy institute hospital clinic hotel church club association
foundation society partners associates solutions technologies technology systems services labs
consulting holdings international industries enterprises media research studios records airlines
motors insurance capital ventures fund trust agency brothers sons
island islands republic federation bay beach valley county province district region coast city
town village mountains mountain river lake park square station airport`

// foldDiacritics removes accents from a lower-cased word so that "océane"
// and "kateřina" find "oceane" and "katerina" in the name list.
func foldDiacritics(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'ł':
			b.WriteByte('l')
		case r == 'ø':
			b.WriteByte('o')
		case r == 'ß':
			b.WriteString("ss")
		case r == 'æ':
			b.WriteString("ae")
		case r == 'œ':
			b.WriteString("oe")
		case r == 'đ', r == 'ð':
			b.WriteByte('d')
		case r == 'þ':
			b.WriteString("th")
		case r == 'ı':
			b.WriteByte('i')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
