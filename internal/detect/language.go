package detect

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Language finding type prefixes: "language:<code>" (ISO 639-1) for a
// Latin-script language and "script:<name>" for a writing system.
const (
	TypeLanguagePrefix = "language:"
	TypeScriptPrefix   = "script:"
)

// Language reports text written in a language or script outside an
// allow-list. It first counts letters by script (Latin, Cyrillic, Greek,
// Arabic, Hebrew, Devanagari, Bengali, Tamil, Thai, Han, Hiragana, Katakana,
// Hangul, Armenian, Georgian, Ethiopic); for Latin-script text it then
// tells 16 languages apart (en, de, fr, es, it, pt, nl, sv, da, pl, cs, ro,
// fi, tr, id, vi) by counting their most frequent function words.
//
// It says "unknown" rather than guess: a stretch needs 8 words and 3
// function words to be identified, and the best language must clearly beat
// the runner-up; a script needs 8 letters and a fair share of the text.
// Text is judged in segments (paragraphs, merged until they hold 12 words)
// so that a paragraph in another language inside an allowed one is found;
// a finding spans its segment and scores the identification's confidence
// (a script by its share of the letters).
type Language struct {
	allowLang   map[string]bool
	allowScript map[string]bool
}

// languageScripts lists the scripts of the languages Language knows or
// that an allow-list may name, so that allowing "ru" allows Cyrillic.
var languageScripts = map[string][]string{
	"en": {"latin"}, "de": {"latin"}, "fr": {"latin"}, "es": {"latin"}, "it": {"latin"}, "pt": {"latin"},
	"nl": {"latin"}, "sv": {"latin"}, "da": {"latin"}, "no": {"latin"}, "pl": {"latin"}, "cs": {"latin"},
	"ro": {"latin"}, "fi": {"latin"}, "tr": {"latin"}, "id": {"latin"}, "vi": {"latin"}, "hu": {"latin"},
	"ru": {"cyrillic"}, "uk": {"cyrillic"}, "bg": {"cyrillic"}, "sr": {"cyrillic", "latin"}, "el": {"greek"},
	"ar": {"arabic"}, "fa": {"arabic"}, "ur": {"arabic"}, "he": {"hebrew"}, "hi": {"devanagari"},
	"mr": {"devanagari"}, "ne": {"devanagari"}, "bn": {"bengali"}, "ta": {"tamil"}, "th": {"thai"},
	"zh": {"han"}, "ja": {"han", "hiragana", "katakana"}, "ko": {"hangul", "han"}, "hy": {"armenian"},
	"ka": {"georgian"}, "am": {"ethiopic"},
}

// NewLanguage returns a Language detector that accepts the allowed
// languages (ISO 639-1 codes such as "en") and scripts (names such as
// "latin" or "script:cyrillic"). Allowing a language allows its script,
// but allowing only "en" still reports German text. An empty allow-list
// reports nothing.
func NewLanguage(allowed []string) *Language {
	l := &Language{allowLang: map[string]bool{}, allowScript: map[string]bool{}}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		a = strings.TrimPrefix(strings.TrimPrefix(a, TypeLanguagePrefix), TypeScriptPrefix)
		if scripts, ok := languageScripts[a]; ok {
			l.allowLang[a] = true
			for _, s := range scripts {
				l.allowScript[s] = true
			}
		} else if a != "" {
			l.allowScript[a] = true
		}
	}
	return l
}

// Name implements Detector.
func (*Language) Name() string { return "language" }

// Scan implements Detector.
func (l *Language) Scan(text string) []Finding {
	if len(l.allowLang) == 0 && len(l.allowScript) == 0 {
		return nil
	}
	var out []Finding
	for _, seg := range languageSegments(text) {
		out = append(out, l.judge(text, seg[0], seg[1])...)
	}
	return out
}

// judge reports the segment text[s:e] if its script or language is not
// allowed.
func (l *Language) judge(text string, s, e int) []Finding {
	seg := text[s:e]
	counts, letters := languageScriptCounts(seg)
	var out []Finding
	add := func(typ string, score float64) {
		out = append(out, Finding{Scanner: l.Name(), Type: typ, Start: s, End: e, Score: score})
	}
	for k, n := range counts {
		script := languageScriptTables[k].name
		if n < 8 || l.allowScript[script] {
			continue
		}
		share := float64(n) / float64(letters)
		if share < 0.2 {
			continue // a name or a quotation in passing
		}
		add(TypeScriptPrefix+script, min(1, 0.3+share*0.7))
	}
	// Latin text in an allowed script, but maybe not an allowed language.
	if l.allowScript["latin"] && len(l.allowLang) > 0 && counts[0]*2 >= letters {
		if lang, conf := IdentifyLatinLanguage(seg); lang != "" && !l.allowLang[lang] {
			add(TypeLanguagePrefix+lang, conf)
		}
	}
	sortFindings(out)
	return out
}

// languageScriptCounts counts letters by script (indexes into
// languageScriptTables; 0 is Latin); non-letters are skipped.
func languageScriptCounts(s string) (counts [16]int, letters int) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c|0x20 >= 'a' && c|0x20 <= 'z' {
				counts[0]++
				letters++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		for k, sc := range languageScriptTables {
			if unicode.Is(sc.table, r) {
				counts[k]++
				break
			}
		}
	}
	return counts, letters
}

// languageScriptTables are the scripts told apart, most common first.
var languageScriptTables = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"latin", unicode.Latin}, {"cyrillic", unicode.Cyrillic}, {"han", unicode.Han},
	{"arabic", unicode.Arabic}, {"greek", unicode.Greek}, {"hebrew", unicode.Hebrew},
	{"devanagari", unicode.Devanagari}, {"hiragana", unicode.Hiragana}, {"katakana", unicode.Katakana},
	{"hangul", unicode.Hangul}, {"thai", unicode.Thai}, {"bengali", unicode.Bengali},
	{"tamil", unicode.Tamil}, {"armenian", unicode.Armenian}, {"georgian", unicode.Georgian},
	{"ethiopic", unicode.Ethiopic},
}

// languageSegments splits text into paragraphs (at blank lines, or at line
// breaks when lines are long), merging short ones with the next until a
// segment holds 12 words, and returns their spans.
func languageSegments(text string) [][2]int {
	var segs [][2]int
	start, words := 0, 0
	inWord := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		space := c == ' ' || c == '\t' || c == '\n' || c == '\r'
		if !space && !inWord {
			words++
		}
		inWord = !space
		if c == '\n' && words >= 12 {
			segs = append(segs, [2]int{start, i})
			start, words = i+1, 0
		}
	}
	if start < len(text) {
		if words < 12 && len(segs) > 0 {
			segs[len(segs)-1][1] = len(text) // too short alone: join the last
		} else {
			segs = append(segs, [2]int{start, len(text)})
		}
	}
	return segs
}

// languageStopwords holds, per language, frequent function words; written
// for this project from general knowledge of each language. Words shared
// by several languages count for each.
var languageStopwords = map[string]string{
	"en": "the and of to in is that it for was on are with as be this have not but by from they you at or which his her an were their there been has would what will all if can my we me your our do does did about into than them then these those who when where how should could",
	"de": "der die das und ist nicht ein eine einen einem einer zu den dem des mit sich auf für von ich du er sie wir ihr auch es im wie aber oder wenn dass noch nach bei aus nur kann sind war werden wird haben hat mir mich uns über",
	"fr": "le la les et est un une des du de en que qui ne pas pour dans sur avec au aux ce cette il elle nous vous ils sont mais ou je tu on être avoir fait plus comme par se son sa ses leur été très aussi",
	"es": "el la los las y es un una unos de del en que no por para con se su sus lo como más pero al ya muy también fue son está este esta yo tú él ella nosotros hay ser tiene puede cuando donde sobre",
	"it": "il lo la gli le e è un una di del della dei in che non per con su si suo sua come più ma anche sono stato questo questa io tu lui lei noi voi loro ha hanno essere molto quando dove nel nella alla",
	"pt": "o a os as e é um uma de do da dos das em no na que não por para com se seu sua como mais mas ao foi são está este esta eu você ele ela nós tem ser muito também quando onde pelo pela",
	"nl": "de het een en is van in dat niet te op voor met zijn er aan ook als maar om dan wat ik je jij hij zij wij ze bij uit nog wel geen naar door over kan heeft hebben was werd worden dit deze",
	"sv": "och att det som en ett är på för med av till den inte har de jag du han hon vi ni var om men från så kan ska vara eller när bara också mycket hade sig efter detta denna",
	"da": "og at det som en et er på for med af til den ikke har de jeg du han hun vi var om men fra så kan skal være eller når kun også meget havde sig efter dette denne",
	"pl": "i w na z że nie się to jest do o jak ale co po tak od za przez dla czy jego jej ich już może być był była są tylko także oraz gdy jestem który która które będzie ponieważ pod przy bardzo jeszcze tego tym mnie",
	"cs": "a v na se že je to s z do o jak ale co po tak od za pro jsem jsou byl byla není jeho její jejich už může být také který která které když nebo",
	"ro": "și în de la cu pe nu este să un o ce care din pentru mai dar sau ca al ale lui ei fost sunt au fi acest această foarte când unde despre",
	"fi": "ja on ei se että hän oli ovat mutta kun tai niin kuin jos myös ole olen olla sen hänen minä sinä me te he tämä tuo mitä joka siitä",
	"tr": "ve bir bu da de için ile ne gibi çok daha ama ya mi mı var yok olan olarak sonra kadar ben sen o biz siz onlar her şey değil nasıl neden",
	"id": "dan yang di ke dari ini itu dengan untuk tidak ada adalah akan pada juga saya kamu dia kami mereka atau karena bisa sudah belum sangat oleh dalam seperti",
	"vi": "và của là có không một những các cho được trong này với người đã để khi thì như về tôi bạn anh chị chúng họ cũng rất nhưng nếu đó sẽ vào vì đang lại mới ra còn nên sau",
}

// languageLetters maps letters that, among the identified languages, only
// one uses.
var languageLetters = func() map[rune]int {
	m := map[rune]int{}
	for code, letters := range map[string]string{
		"pl": "łąęśżźń", "cs": "řěů", "de": "ß", "es": "ñ", "pt": "ãõ", "ro": "șță", "da": "øæ", "tr": "ğış",
		"vi": "ươđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
	} {
		for _, r := range letters {
			m[r] = slices.Index(languageCodes, code)
		}
	}
	return m
}()

// languageCodes is the sorted list of identified languages; bit i of a
// languageWordMask value stands for languageCodes[i].
var languageCodes = func() []string {
	var out []string
	for l := range languageStopwords {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}()

// languageWordMask maps each function word to the languages it belongs to,
// so that a word costs one lookup.
var languageWordMask = func() map[string]uint32 {
	m := map[string]uint32{}
	for i, code := range languageCodes {
		for _, w := range strings.Fields(languageStopwords[code]) {
			m[w] |= 1 << i
		}
	}
	return m
}()

// IdentifyLatinLanguage guesses the language of a Latin-script text among
// the 16 Language knows, by function-word counts. It returns "" when unsure
// (fewer than 8 words or 3 function words, or no clear winner), else the
// ISO 639-1 code and a confidence in 0.3..1; 0.5 and above is a decision.
func IdentifyLatinLanguage(text string) (lang string, confidence float64) {
	// One-letter words ("i", "a", "w", "z") also abound in code and
	// lists: they weigh half and cannot make a decision alone.
	var hits [32]float64 // by index in languageCodes
	var long [32]int
	words := 0
	lowerBuf := make([]byte, 0, 32)
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if !unicode.IsLetter(r) && r != '\'' {
			i += size
			continue
		}
		// One word: lower-case it into lowerBuf.
		lowerBuf = lowerBuf[:0]
		bonus := false
		for i < len(text) {
			r, size = rune(text[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(text[i:])
			} else if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			if !unicode.IsLetter(r) && r != '\'' {
				break
			}
			if r >= utf8.RuneSelf {
				r = unicode.ToLower(r)
				// A letter only one language uses says more than any word.
				if k, ok := languageLetters[r]; ok && !bonus {
					hits[k] += 0.5
					bonus = true // once a word
				}
			}
			lowerBuf = utf8.AppendRune(lowerBuf, r)
			i += size
		}
		words++
		mask := languageWordMask[string(lowerBuf)]
		if mask == 0 {
			continue
		}
		weight := 1.0
		if len(lowerBuf) == 1 || utf8.RuneCount(lowerBuf) == 1 {
			weight = 0.5
		}
		for k := range languageCodes {
			if mask&(1<<k) != 0 {
				hits[k] += weight
				if weight == 1 {
					long[k]++
				}
			}
		}
	}
	if words < 8 {
		return "", 0
	}
	best, second := 0, 1
	if hits[1] > hits[0] {
		best, second = 1, 0
	}
	for k := 2; k < len(languageCodes); k++ {
		switch {
		case hits[k] > hits[best]:
			best, second = k, best
		case hits[k] > hits[second]:
			second = k
		}
	}
	b, s := hits[best], hits[second]
	if b < 3 || long[best] < 2 || b < 1.5*s {
		return "", 0
	}
	// Confidence grows with the winner's margin and with how much of the
	// text it explains (function words are 30-50% of running text).
	margin := (b - s) / b
	coverage := min(1, b/float64(words)/0.25)
	return languageCodes[best], 0.3 + 0.7*margin*coverage
}
