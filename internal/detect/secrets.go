package detect

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/redoubt-sec/redoubt/internal/codec"
	"github.com/redoubt-sec/redoubt/internal/yamlx"
)

// Secrets finds credentials: cloud and SaaS API keys and tokens, private
// keys, JWTs, URLs with passwords, and values assigned to password, secret,
// API key or token fields.
//
// The rules are data (rules/secrets.yaml), each with its own positive and
// negative examples. A rule only runs where one of its keywords occurs: one
// Aho-Corasick pass over the lower-cased text finds every keyword, and a
// rule's regular expression then runs on a window around each hit, so a
// prompt without keywords costs one linear pass. A finding's span is the
// secret value itself (for a URL, its password), so that a redaction keeps
// the context readable. When two rules find overlapping values, the one
// with the higher score wins, so a provider rule beats the generic ones.
//
// Scores: a token with a known provider prefix or structure scores 0.9 to
// 0.99; a Stripe test key 0.6; a value assigned to a password- or
// secret-like name 0.6 to 0.8, by its entropy and how code-like the
// assignment is.
//
// The zero value is ready to use.
type Secrets struct{}

// Name implements Detector.
func (Secrets) Name() string { return "secrets" }

// Secret types reported by the Secrets detector. Several rules may share a
// type (Stripe live, test and webhook keys are all TypeStripeKey). A URL
// with a password that is not a database URL is reported as
// TypeURLCredentials, the type the URLs detector uses for it.
const (
	TypeAWSAccessKeyID       = "aws_access_key_id"
	TypeAWSSecretAccessKey   = "aws_secret_access_key"
	TypeAWSSessionToken      = "aws_session_token"
	TypeGoogleAPIKey         = "google_api_key"
	TypeGCPServiceAccountKey = "gcp_service_account_key"
	TypeGoogleOAuthSecret    = "google_oauth_secret"
	TypeGoogleOAuthToken     = "google_oauth_token"
	TypeAzureStorageKey      = "azure_storage_key"
	TypeAzureSASToken        = "azure_sas_token"
	TypeAzureClientSecret    = "azure_client_secret"
	TypeGitHubToken          = "github_token"
	TypeGitLabToken          = "gitlab_token"
	TypeSlackToken           = "slack_token"
	TypeSlackWebhook         = "slack_webhook"
	TypeStripeKey            = "stripe_key"
	TypeOpenAIKey            = "openai_key"
	TypeAnthropicKey         = "anthropic_key"
	TypeHuggingFaceToken     = "huggingface_token"
	TypeNPMToken             = "npm_token"
	TypePyPIToken            = "pypi_token"
	TypeTwilioKey            = "twilio_key"
	TypeSendGridKey          = "sendgrid_key"
	TypeMailgunKey           = "mailgun_key"
	TypeDiscordToken         = "discord_token"
	TypeDiscordWebhook       = "discord_webhook"
	TypeTelegramBotToken     = "telegram_bot_token"
	TypeJWT                  = "jwt"
	TypePrivateKey           = "private_key"
	TypeDatabaseURL          = "database_url"
	TypeAuthorizationHeader  = "authorization_header"
	TypeGenericSecret        = "generic_secret"
)

//go:embed rules/secrets.yaml
var secretsYAML []byte

// secretRuleSpec is one rule as written in rules/secrets.yaml.
type secretRuleSpec struct {
	ID           string   `yaml:"id"`
	Type         string   `yaml:"type"`
	Description  string   `yaml:"description"`
	Keywords     []string `yaml:"keywords"`
	Regex        string   `yaml:"regex"`
	Group        int      `yaml:"group"`
	Assignment   string   `yaml:"assignment"`
	Boundary     bool     `yaml:"boundary"`
	EntropyMin   float64  `yaml:"entropy_min"`
	Check        string   `yaml:"check"`
	WindowBefore *int     `yaml:"window_before"`
	WindowAfter  *int     `yaml:"window_after"`
	BlockEnd     string   `yaml:"block_end"`
	Score        float64  `yaml:"score"`
	Examples     struct {
		Positive []string `yaml:"positive"`
		Negative []string `yaml:"negative"`
	} `yaml:"examples"`
}

// secretRule is a compiled rule.
type secretRule struct {
	secretRuleSpec
	re *regexp.Regexp
	// check, if set, must accept the match.
	check secretCheck
	// assign is the value policy of an assignment rule, nil for regex rules.
	assign        *assignPolicy
	before, after int
}

// secretCheck validates a regex match: m holds the submatch offsets into
// text, and the secret is group g.
type secretCheck func(text string, m []int, g int) bool

// secretTable is the compiled rule set with its keyword automaton.
type secretTable struct {
	rules []secretRule
	kw    keywordIndex
	// kwRules maps a keyword's index to the rules it enables.
	kwRules [][]int
}

// keywordIndex finds keywords (lower case, at least two bytes) in lower-case
// text. Bitsets keyed by a keyword's first two bytes (two-byte keywords) and
// by a hash of its first three (longer ones) reject almost every position
// with a lookup or two; only the rare positions that pass compare keywords.
// On prose this is faster than an Aho-Corasick walk, whose states do not fit
// in cache.
type keywordIndex struct {
	patterns []string
	pairSet  [1 << 16 / 64]uint64 // two-byte keywords, by their bytes
	triSet   [1 << 16 / 64]uint64 // longer keywords, by triHash of their first three bytes
	byPrefix map[uint32][]int32   // exact two- or three-byte prefix -> keywords
}

func triHash(a, b, c byte) uint16 {
	return uint16(uint32(a)*961+uint32(b)*31+uint32(c)) ^ uint16(a)<<11
}

func newKeywordIndex(patterns []string) keywordIndex {
	k := keywordIndex{patterns: patterns, byPrefix: map[uint32][]int32{}}
	for i, p := range patterns {
		var key uint32
		if len(p) == 2 {
			h := uint16(p[0])<<8 | uint16(p[1])
			k.pairSet[h/64] |= 1 << (h % 64)
			key = 1<<24 | uint32(p[0])<<8 | uint32(p[1])
		} else {
			h := triHash(p[0], p[1], p[2])
			k.triSet[h/64] |= 1 << (h % 64)
			key = uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2])
		}
		k.byPrefix[key] = append(k.byPrefix[key], int32(i))
	}
	return k
}

// each calls fn for every keyword occurrence, in order of start.
func (k *keywordIndex) each(lower []byte, fn func(pattern, start, end int)) {
	for i := 0; i+1 < len(lower); i++ {
		a, b := lower[i], lower[i+1]
		if h := uint16(a)<<8 | uint16(b); k.pairSet[h/64]&(1<<(h%64)) != 0 {
			k.try(lower, i, 1<<24|uint32(a)<<8|uint32(b), fn)
		}
		if i+2 < len(lower) {
			c := lower[i+2]
			if h := triHash(a, b, c); k.triSet[h/64]&(1<<(h%64)) != 0 {
				k.try(lower, i, uint32(a)<<16|uint32(b)<<8|uint32(c), fn)
			}
		}
	}
}

func (k *keywordIndex) try(lower []byte, i int, key uint32, fn func(pattern, start, end int)) {
	for _, p := range k.byPrefix[key] {
		if pat := k.patterns[p]; len(lower)-i >= len(pat) && string(lower[i:i+len(pat)]) == pat {
			fn(int(p), i, i+len(pat))
		}
	}
}

// Default window around a keyword hit that a rule's regex runs on. Keywords
// sit at or just before the secret in nearly every format, so the window is
// short before and a little longer after.
const (
	defaultWindowBefore = 64
	defaultWindowAfter  = 320
)

var secretChecks = map[string]secretCheck{
	"mixed_case":     func(t string, m []int, g int) bool { return mixedCase(t[m[2*g]:m[2*g+1]]) },
	"no_placeholder": func(t string, m []int, g int) bool { return !placeholderValue(t[m[2*g]:m[2*g+1]]) },
	"jwt":            func(t string, m []int, g int) bool { return validJWT(t[m[2*g]:m[2*g+1]]) },
	"openai":         func(t string, m []int, g int) bool { return plausibleKey(t[m[2*g]:m[2*g+1]], 3.5) },
	"hex_mixed":      func(t string, m []int, g int) bool { return plausibleKey(t[m[2*g]+2:m[2*g+1]], 3.0) },
	"azure_sas":      checkAzureSAS,
	"url_password":   checkURLPassword,
	"sql_password":   checkSQLPassword,
	"auth_value":     func(t string, m []int, g int) bool { return plausibleKey(t[m[2*g]:m[2*g+1]], 3.0) },
	"github":         func(t string, m []int, g int) bool { return validGitHubToken(t[m[2*g]:m[2*g+1]]) },
	"password":       func(t string, m []int, g int) bool { return passwordValue(t[m[2*g]:m[2*g+1]], false) },
	"key_block":      checkKeyBlock,
}

// secretRules returns the compiled embedded rules. They are compiled once,
// on first use; a broken rule file is a bug that the tests catch, so it
// panics.
var secretRules = sync.OnceValue(func() *secretTable {
	t, err := compileSecretRules(secretsYAML, "rules/secrets.yaml")
	if err != nil {
		panic(err)
	}
	return t
})

// compileSecretRules decodes and checks a rule file and builds its keyword
// automaton.
func compileSecretRules(data []byte, source string) (*secretTable, error) {
	var file struct {
		Rules []secretRuleSpec `yaml:"rules"`
	}
	if err := yamlx.Decode(data, source, &file); err != nil {
		return nil, fmt.Errorf("secrets rules: %w", err)
	}
	t := &secretTable{}
	seen := map[string]bool{}
	kwIndex := map[string]int{}
	var patterns []string
	for _, s := range file.Rules {
		if s.ID == "" || s.Type == "" || seen[s.ID] {
			return nil, fmt.Errorf("%s: rule %q: missing or duplicate id, or no type", source, s.ID)
		}
		seen[s.ID] = true
		if s.Score <= 0 || s.Score > 1 {
			return nil, fmt.Errorf("%s: rule %s: score %v outside (0,1]", source, s.ID, s.Score)
		}
		if len(s.Keywords) == 0 {
			return nil, fmt.Errorf("%s: rule %s: no keywords", source, s.ID)
		}
		r := secretRule{secretRuleSpec: s, before: defaultWindowBefore, after: defaultWindowAfter}
		if s.WindowBefore != nil {
			r.before = *s.WindowBefore
		}
		if s.WindowAfter != nil {
			r.after = *s.WindowAfter
		}
		switch {
		case s.Regex != "" && s.Assignment == "":
			re, err := regexp.Compile(s.Regex)
			if err != nil {
				return nil, fmt.Errorf("%s: rule %s: %w", source, s.ID, err)
			}
			if s.Group < 0 || s.Group > re.NumSubexp() {
				return nil, fmt.Errorf("%s: rule %s: group %d, regex has %d", source, s.ID, s.Group, re.NumSubexp())
			}
			r.re = re
		case s.Assignment != "" && s.Regex == "":
			p, ok := assignPolicies[s.Assignment]
			if !ok {
				return nil, fmt.Errorf("%s: rule %s: unknown assignment kind %q", source, s.ID, s.Assignment)
			}
			r.assign = p
		default:
			return nil, fmt.Errorf("%s: rule %s: needs exactly one of regex and assignment", source, s.ID)
		}
		if s.Check != "" {
			c, ok := secretChecks[s.Check]
			if !ok {
				return nil, fmt.Errorf("%s: rule %s: unknown check %q", source, s.ID, s.Check)
			}
			r.check = c
		}
		idx := len(t.rules)
		for _, k := range s.Keywords {
			if len(k) < 2 || k != strings.ToLower(k) {
				return nil, fmt.Errorf("%s: rule %s: keyword %q must be lower case and at least two bytes", source, s.ID, k)
			}
			p, ok := kwIndex[k]
			if !ok {
				p = len(patterns)
				kwIndex[k] = p
				patterns = append(patterns, k)
				t.kwRules = append(t.kwRules, nil)
			}
			t.kwRules[p] = append(t.kwRules[p], idx)
		}
		t.rules = append(t.rules, r)
	}
	t.kw = newKeywordIndex(patterns)
	return t, nil
}

// kwHit is one keyword occurrence enabling one rule.
type kwHit struct{ rule, start, end int }

// Scan implements Detector.
func (s Secrets) Scan(text string) []Finding {
	t := secretRules()
	var hits []kwHit
	t.kw.each(asciiLower(text), func(pattern, start, end int) {
		for _, r := range t.kwRules[pattern] {
			hits = append(hits, kwHit{r, start, end})
		}
	})
	if len(hits) == 0 {
		return nil
	}
	// Group the hits by rule, keeping text order within a rule.
	slices.SortStableFunc(hits, func(a, b kwHit) int { return a.rule - b.rule })
	var found []Finding
	for i := 0; i < len(hits); {
		j := i
		for j < len(hits) && hits[j].rule == hits[i].rule {
			j++
		}
		r := &t.rules[hits[i].rule]
		if r.assign != nil {
			found = r.scanAssignments(text, hits[i:j], found)
		} else {
			found = r.scanWindows(text, hits[i:j], found)
		}
		i = j
	}
	return s.resolve(found)
}

// scanWindows runs a regex rule on the merged windows around its keyword
// hits and appends what it finds.
func (r *secretRule) scanWindows(text string, hits []kwHit, out []Finding) []Finding {
	for i := 0; i < len(hits); {
		ws, we := r.window(text, hits[i])
		i++
		for i < len(hits) {
			s, e := r.window(text, hits[i])
			if s > we {
				break
			}
			we = max(we, e)
			i++
		}
		for _, m := range r.re.FindAllStringSubmatchIndex(text[ws:we], -1) {
			for k := range m {
				if m[k] >= 0 {
					m[k] += ws
				}
			}
			start, end := m[2*r.Group], m[2*r.Group+1]
			if start < 0 || start == end {
				continue
			}
			if r.Boundary && !tokenBoundary(text, start, end) {
				continue
			}
			if r.EntropyMin > 0 && ShannonEntropy(text[start:end]) < r.EntropyMin {
				continue
			}
			if r.check != nil && !r.check(text, m, r.Group) {
				continue
			}
			if r.BlockEnd != "" {
				end = blockEnd(text, end, r.BlockEnd)
			}
			out = append(out, Finding{Type: r.Type, Start: start, End: end, Score: r.Score})
		}
	}
	return out
}

// maxBlock bounds how far a block (a PEM private key) may run.
const maxBlock = 64 << 10

// blockEnd returns where a block that starts before from ends: just after
// the "-----" that closes the next marker line.
//
// A block whose end marker has not appeared runs to the end of the text (at
// most maxBlock): everything after a BEGIN line is key material, whether
// the text was truncated or is a stream still arriving, where a stream must
// hold it back rather than release the key body.
func blockEnd(text string, from int, marker string) int {
	lim := min(len(text), from+maxBlock)
	i := strings.Index(text[from:lim], marker)
	if i < 0 {
		return lim
	}
	rest := from + i + len(marker)
	j := strings.Index(text[rest:min(len(text), rest+64)], "-----")
	if j < 0 {
		return min(len(text), rest+64)
	}
	return rest + j + len("-----")
}

// window returns the span a regex rule examines around a keyword hit.
func (r *secretRule) window(text string, h kwHit) (int, int) {
	s := max(0, h.start-r.before)
	e := len(text)
	if r.after >= 0 {
		e = min(len(text), h.end+r.after)
	}
	return s, e
}

// genericSecretType reports the types of the catch-all rules, which any
// provider rule finding the same value overrides, whatever the scores.
func genericSecretType(typ string) bool {
	return typ == TypeGenericSecret || typ == TypeAuthorizationHeader || typ == TypeURLCredentials
}

// resolve names the scanner, keeps the best of overlapping findings (a
// provider rule over a generic one, then the higher score, then the longer
// span) and orders the rest by position.
func (s Secrets) resolve(found []Finding) []Finding {
	slices.SortStableFunc(found, func(a, b Finding) int {
		if ga, gb := genericSecretType(a.Type), genericSecretType(b.Type); ga != gb {
			if gb {
				return -1
			}
			return 1
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return (b.End - b.Start) - (a.End - a.Start)
	})
	out := found[:0:0]
next:
	for _, f := range found {
		for k := range out { // by index: no Finding copies in this quadratic check
			if overlaps(f.Start, f.End, out[k].Start, out[k].End) {
				continue next
			}
		}
		f.Scanner = s.Name()
		out = append(out, f)
	}
	sortFindings(out)
	return out
}

// asciiLower returns text with ASCII letters lower-cased, byte for byte, so
// that offsets in it are offsets in text.
func asciiLower(text string) []byte {
	b := make([]byte, len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return b
}

// isTokenByte reports whether b can be part of a key-like token.
func isTokenByte(b byte) bool { return isAlnum(b) || b == '_' || b == '-' }

// tokenBoundary reports whether text[start:end] is a whole token: the
// bytes around it cannot continue a key.
func tokenBoundary(text string, start, end int) bool {
	return (start == 0 || !isTokenByte(text[start-1])) && (end == len(text) || !isTokenByte(text[end]))
}

// ShannonEntropy returns the Shannon entropy of s in bits per byte. Random
// base64 keys score above 4.5; English words and repeated characters score
// well below 3.5.
func ShannonEntropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// mixedCase reports whether s has upper- and lower-case letters and a digit,
// as generated keys nearly always do and prose almost never does.
func mixedCase(s string) bool {
	var up, low, dig bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		up = up || (c >= 'A' && c <= 'Z')
		low = low || (c >= 'a' && c <= 'z')
		dig = dig || isDigit(c)
	}
	return up && low && dig
}

// charClasses counts which of lower case, upper case, digits and other
// symbols occur in s. The identifier punctuation _ - . does not count as a
// symbol: snake_case words are not secrets.
func charClasses(s string) int {
	var low, up, dig, sym bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			low = true
		case 'A' <= c && c <= 'Z':
			up = true
		case isDigit(c):
			dig = true
		case c == '_' || c == '-' || c == '.':
		default:
			sym = true
		}
	}
	n := 0
	for _, b := range [...]bool{low, up, dig, sym} {
		if b {
			n++
		}
	}
	return n
}

var (
	reUUID        = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	rePlaceholder = regexp.MustCompile(`(?i)^(?:\$\{?[\w.]+\}?|%[\w.]+%|<[^>]*>|\[[^\]]*\]|\{\{.*\}\}|\*+|x+|\.+|#+|(?:your|my|the|some|example|sample|dummy|fake|test|change|replace|insert|enter|put)[\w-]*|(?:password|passwd|secret|token|changeme|redacted|hidden|none|null|nil|undefined|empty|todo|tbd|pass|admin|root|user|default|string)\w*)$`)
	// Words that mark a value as illustrative wherever they occur in it.
	placeholderWords = []string{"example", "xxxx", "****", "placeholder", "dummy", "changeme", "change_me", "your_", "your-", "<", "${", "{{", "%s", "sample"}
	// Runs that people type rather than generate.
	obviousRuns = []string{"123456", "234567", "345678", "456789", "987654", "876543", "765432", "543210",
		"abcdef", "qwerty", "asdfgh", "asdfasdf", "000000", "111111", "aaaaaa"}
)

// placeholder reports whether v is a template variable, a mask or a stock
// word rather than a real credential.
func placeholder(v string) bool { return rePlaceholder.MatchString(v) }

// placeholderValue reports whether v is a placeholder or contains a word
// that marks it as illustrative (hf_...example, <your-key>, ${VAR}).
func placeholderValue(v string) bool {
	if placeholder(v) {
		return true
	}
	lv := strings.ToLower(v)
	for _, w := range placeholderWords {
		if strings.Contains(lv, w) {
			return true
		}
	}
	return false
}

// plausibleKey reports whether v looks generated: no placeholder word, no
// typed run such as 123456 or asdf, letters and digits, and entropy of at
// least minEntropy bits per byte.
func plausibleKey(v string, minEntropy float64) bool {
	if placeholderValue(v) || ShannonEntropy(v) < minEntropy {
		return false
	}
	lv := strings.ToLower(v)
	for _, r := range obviousRuns {
		if strings.Contains(lv, r) {
			return false
		}
	}
	var letter, digit bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		letter = letter || (c|0x20 >= 'a' && c|0x20 <= 'z')
		digit = digit || isDigit(c)
	}
	return letter && digit
}

// checkKeyBlock rejects private key blocks that are shown, not leaked: a
// body elided with "..." or too short to hold a key.
func checkKeyBlock(text string, m []int, _ int) bool {
	end := blockEnd(text, m[1], "-----END ")
	if end == m[1] {
		return true // A header alone: the rest was cut off, not elided.
	}
	body := text[m[1]:end]
	if strings.Contains(body, "...") {
		return false
	}
	n := 0
	for i := 0; i < len(body); i++ {
		if isAlnum(body[i]) {
			n++
		}
	}
	return n >= 40
}

// checkAzureSAS accepts a sig= value only inside a shared access signature,
// which always carries its service version (sv=) too.
func checkAzureSAS(text string, m []int, g int) bool {
	from := max(0, m[0]-1024)
	to := min(len(text), m[1]+512)
	if !strings.Contains(text[from:to], "sv=") {
		return false
	}
	return plausibleKey(text[m[2*g]:m[2*g+1]], 3.5)
}

// checkURLPassword accepts the password of a user:password@host URL unless
// it is a placeholder, a stock word or a port-like number.
func checkURLPassword(text string, m []int, g int) bool {
	v := text[m[2*g]:m[2*g+1]]
	if placeholderValue(v) || isAllDigits(v) {
		return false
	}
	return charClasses(v) >= 2 || ShannonEntropy(v) >= 3
}

// checkSQLPassword accepts a password set in SQL when its quotes balance and
// the value is neither a bind parameter nor a word of prose.
func checkSQLPassword(text string, m []int, g int) bool {
	open, closing := text[m[2]:m[3]], text[m[6]:m[7]]
	if open != "" && open != closing {
		return false
	}
	v := text[m[2*g]:m[2*g+1]]
	if strings.ContainsAny(v[:1], ":@$?%&") {
		return false
	}
	return passwordValue(v, open != "")
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// validGitHubToken accepts a GitHub token whose last six characters are the
// base62 CRC-32 of the random part before them (how GitHub makes its tokens
// checkable offline), or, failing that, one random-looking enough to be
// real (fine-grained tokens and older formats).
func validGitHubToken(tok string) bool {
	if _, body, ok := strings.Cut(tok, "_"); ok && !strings.HasPrefix(tok, "github_pat_") && len(body) > 6 {
		const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		var sum [6]byte
		c := crc32.ChecksumIEEE([]byte(body[:len(body)-6]))
		for i := 5; i >= 0; i-- {
			sum[i] = digits[c%62]
			c /= 62
		}
		if string(sum[:]) == body[len(body)-6:] {
			return true
		}
	}
	return ShannonEntropy(tok) >= 3.5 && !placeholderValue(tok)
}

// validJWT checks that the first part of a JWT decodes to a JSON object with
// an "alg" member, which tells tokens from other dotted base64 strings.
func validJWT(tok string) bool {
	header, _, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	raw, err := codec.DecodeBase64(strings.TrimRight(header, "="), codec.URLAlphabet)
	if err != nil {
		return false
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		return false
	}
	alg, ok := h["alg"].(string)
	return ok && alg != ""
}

// assignPolicy is how an assignment rule recognises its names and judges
// the values assigned to them.
type assignPolicy struct {
	// value accepts or rejects the assigned value.
	value func(v string, quoted bool) bool
	// cont lists what may follow a keyword inside a name word without a
	// case change or separator: "pass" may continue as "password".
	cont map[string][]string
}

// assignPolicies are the assignment kinds a rule may name.
var assignPolicies = map[string]*assignPolicy{
	"password": {
		value: passwordValue,
		cont: map[string][]string{
			"pass": {"word", "wd", "wrd", "phrase"}, "pwd": nil, "pw": {"d"},
		},
	},
	"secret": {
		value: secretValue,
		cont: map[string][]string{
			"api":  {"key", "token", "secret"},
			"auth": {"orization", "entication", "key", "token"},
			"cred": {"ential", "entials"},
			"key":  nil, "token": nil, "secret": {"key"}, "private": {"key"},
		},
	},
}

// Operators that assign a value to a name, longest first.
var assignOps = []string{":=", "=>", "->", "!==", "===", "!=", "==", ":", "="}

// Last words of a name that hold something about a secret, not the secret:
// password_file, token_type, key_id, secret_name.
var deniedNameWords = map[string]bool{
	"file": true, "path": true, "dir": true, "length": true, "len": true, "size": true, "min": true,
	"max": true, "policy": true, "regex": true, "pattern": true, "field": true, "label": true,
	"hint": true, "type": true, "format": true, "name": true, "id": true, "ids": true, "count": true,
	"enabled": true, "required": true, "expires": true, "expiry": true, "timeout": true, "ttl": true,
	"prompt": true, "url": true, "uri": true, "endpoint": true, "header": true, "param": true,
	"env": true, "var": true, "limit": true, "usage": true, "version": true, "algorithm": true,
	"alg": true, "mode": true, "store": true, "manager": true, "reset": true, "changed": true,
}

// scanAssignments runs an assignment rule at each keyword hit: it takes the
// name around the keyword, parses `name <op> value`, and judges the value.
func (r *secretRule) scanAssignments(text string, hits []kwHit, out []Finding) []Finding {
	done := -1 // end of the last name parsed, so a name is parsed once
	for _, h := range hits {
		if h.start < done || !r.assign.keywordAt(text, h) {
			continue
		}
		ns, ne := nameSpan(text, h.start, h.end)
		done = ne
		if deniedName(text[ns:ne]) {
			continue
		}
		a, ok := parseAssignment(text, ns, ne)
		if !ok {
			continue
		}
		v := text[a.start:a.end]
		if !r.assign.value(v, a.quoted) {
			continue
		}
		score := r.Score
		if len(v) >= 12 && ShannonEntropy(v) >= 3.5 {
			score += 0.1
		}
		if a.quoted || (a.code && ne-ns > h.end-h.start) {
			score += 0.1
		}
		out = append(out, Finding{Type: r.Type, Start: a.start, End: a.end, Score: min(score, 0.8)})
	}
	return out
}

// keywordAt reports whether the keyword hit h starts and ends a word of a
// name: at a separator, a case change (apiKey, ANYpassword), or where the
// keyword continues as one of its allowed forms (pass -> password). In an
// all-capitals name (MYSQLPASS) words run together with no case change, so
// only the end is checked there.
func (p *assignPolicy) keywordAt(text string, h kwHit) bool {
	e, ok := p.wordEnd(text, h)
	if !ok {
		return false
	}
	if h.start > 0 && isASCIILetter(text[h.start-1]) && !caseChange(text[h.start-1], text[h.start]) {
		return upperName(text, h.start, e)
	}
	return true
}

// wordEnd returns where the word that the keyword hit starts ends, allowing
// the keyword's continuations and a plural s, and whether it ends there.
func (p *assignPolicy) wordEnd(text string, h kwHit) (int, bool) {
	e := h.end
	if e == len(text) || !isASCIILetter(text[e]) || caseChange(text[e-1], text[e]) {
		return e, true
	}
	rest := text[e:]
	for _, c := range append(p.cont[strings.ToLower(text[h.start:h.end])], "s") {
		for _, c := range []string{c, c + "s"} {
			if len(rest) >= len(c) && strings.EqualFold(rest[:len(c)], c) &&
				(len(rest) == len(c) || !isASCIILetter(rest[len(c)]) || caseChange(rest[len(c)-1], rest[len(c)])) {
				return e + len(c), true
			}
		}
	}
	return e, false
}

// upperName reports whether text[s:e] ends an all-capitals name, as in
// MYSQLPASS or AESKEY.
func upperName(text string, s, e int) bool {
	if e < len(text) && isAlnum(text[e]) {
		return false
	}
	for i := e - 1; i >= 0 && isNameByte(text[i]); i-- {
		if isASCIILower(text[i]) {
			return false
		}
	}
	return true
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }
func isASCIIUpper(b byte) bool  { return 'A' <= b && b <= 'Z' }
func isASCIILower(b byte) bool  { return 'a' <= b && b <= 'z' }

// caseChange reports a lower/upper switch between two adjacent letters.
func caseChange(a, b byte) bool {
	return (isASCIILower(a) && isASCIIUpper(b)) || (isASCIIUpper(a) && isASCIILower(b))
}

// isNameByte reports whether b can be part of an identifier-like name.
func isNameByte(b byte) bool { return isAlnum(b) || b == '_' || b == '-' || b == '.' }

// nameSpan extends a keyword hit to the whole name around it, at most 64
// bytes each way; dots join on the left only (config.password).
func nameSpan(text string, s, e int) (int, int) {
	for lim := max(0, s-64); s > lim && isNameByte(text[s-1]); s-- {
	}
	for lim := min(len(text), e+64); e < lim && isTokenByte(text[e]); e++ {
	}
	return s, e
}

// deniedName reports whether a name's last word says it holds something
// about a secret rather than the secret itself.
func deniedName(name string) bool {
	i := len(name)
	for i > 0 && isAlnum(name[i-1]) && !(i < len(name) && isASCIIUpper(name[i]) && isASCIILower(name[i-1])) {
		i--
	}
	return deniedNameWords[strings.ToLower(name[i:])]
}

// assignment is a parsed `name <op> value`.
type assignment struct {
	start, end int
	// quoted: the value was in quotes.
	quoted bool
	// code: the operator was a programming-language assignment (=, :=, =>).
	code bool
}

// parseAssignment parses what follows a name: an optional closing quote or
// bracket, an operator (or " is ", or whitespace before a quoted value or
// after a command-line flag, or a comma before a quoted argument), and the
// value. A type annotation between name and value (password: str = "x") is
// skipped.
func parseAssignment(text string, ns, ne int) (assignment, bool) {
	var a assignment
	p := ne
	for k := 0; k < 2 && p < len(text) && strings.IndexByte(`"'`+"`]\\", text[p]) >= 0; k++ {
		p++
	}
	q := skipSpaceTab(text, p)
	op := ""
	for _, o := range assignOps {
		if strings.HasPrefix(text[q:], o) {
			op = o
			break
		}
	}
	switch {
	case op != "":
		if op == ":" && q+1 < len(text) && text[q+1] == ':' {
			return a, false // Scope operator, Password::Reset.
		}
		a.code = op == "=" || op == ":=" || op == "=>"
		p = skipSpaceTab(text, q+len(op))
	case q < len(text) && text[q] == ',' && startsQuoted(text, skipSpaceTab(text, q+1)) && (firstArgument(text, ns) || upperName(text, ns, ne)):
		a.code = true // An argument after the name: define('PASSWORD', '...').
		p = skipSpaceTab(text, q+1)
	case q > p && q+3 <= len(text) && strings.EqualFold(text[q:q+3], "is "):
		p = skipSpaceTab(text, q+3)
	case q > p && (text[ns] == '-' || startsQuoted(text, q) || definedName(text, ns)):
		p = q
	case ns > 0 && text[ns-1] == '<':
		// An XML element: <password attr="...">value</password>.
		gt := strings.IndexByte(text[p:min(len(text), p+128)], '>')
		if gt < 0 {
			return a, false
		}
		vs := p + gt + 1
		lt := strings.IndexByte(text[vs:min(len(text), vs+256)], '<')
		if lt <= 0 || strings.ContainsAny(text[vs:vs+lt], "\n\r") {
			return a, false
		}
		a.start, a.end, a.quoted = vs, vs+lt, true
		return a, true
	default:
		return a, false
	}
	if p >= len(text) {
		return a, false
	}
	if startsQuoted(text, p) {
		if v, ok := parseQuoted(text, p); ok {
			v.code = a.code
			return v, true
		}
		// No closing quote on the line: a multi-line string. Take the
		// token after the opening quotes.
		for p < len(text) && strings.IndexByte(`"'`+"`\\", text[p]) >= 0 {
			p++
		}
	}
	e := p
	lim := min(len(text), p+512)
	for e < lim && !valueStop(text[e]) {
		e++
	}
	if e == p+512 {
		return a, false // Too long for a credential: a blob or data.
	}
	for e > p && (text[e-1] == '.' || text[e-1] == ':') {
		e--
	}
	if e == p {
		return a, false
	}
	// A type annotation: name: Type = value.
	if op == ":" && wordish(text[p:e]) {
		if r := skipSpaceTab(text, e); r < len(text) && text[r] == '=' && (r+1 == len(text) || text[r+1] != '=') {
			return parseAssignment(text, ns, r)
		}
	}
	a.start, a.end = p, e
	return a, true
}

// firstArgument reports whether the name at ns opens a call's argument
// list, as in define('PASSWORD', '...').
func firstArgument(text string, ns int) bool {
	i := ns - 1
	for i >= 0 && (text[i] == ' ' || text[i] == '\'' || text[i] == '"') {
		i--
	}
	return i >= 0 && text[i] == '('
}

// definedName reports whether the name at ns follows a define or set
// keyword (%define token ..., SET password ...), which assigns without an
// operator.
func definedName(text string, ns int) bool {
	before := strings.ToLower(text[max(0, ns-8):ns])
	return strings.HasSuffix(before, "define ") || strings.HasSuffix(before, "set ") ||
		strings.HasSuffix(before, "define\t") || strings.HasSuffix(before, "set\t")
}

// valueQuotes are the opening quotes parseQuoted knows, longest first: escaped
// quotes inside a string literal, HTML-escaped ones, and plain ones.
var valueQuotes = []string{`\"`, `\'`, "&quot;", `"`, `'`, "`"}

// startsQuoted reports whether a quote opens at p.
func startsQuoted(text string, p int) bool {
	for _, q := range valueQuotes {
		if strings.HasPrefix(text[p:], q) {
			return true
		}
	}
	return false
}

// parseQuoted reads a quoted value at p that closes on the same line.
func parseQuoted(text string, p int) (assignment, bool) {
	for _, q := range valueQuotes {
		if !strings.HasPrefix(text[p:], q) {
			continue
		}
		vs := p + len(q)
		lim := min(len(text), vs+256)
		n := strings.Index(text[vs:lim], q)
		if n <= 0 || strings.ContainsAny(text[vs:vs+n], "\n\r") {
			return assignment{}, false
		}
		return assignment{start: vs, end: vs + n, quoted: true}, true
	}
	return assignment{}, false
}

// skipSpaceTab skips spaces and tabs (not line breaks).
func skipSpaceTab(text string, p int) int {
	for p < len(text) && (text[p] == ' ' || text[p] == '\t') {
		p++
	}
	return p
}

// valueStop reports the bytes that end an unquoted value.
func valueStop(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', ',', ';', '<', '>', '(', ')', '[', ']', '{', '}', '\\', '&':
		return true
	}
	return false
}

var (
	reDottedName = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$`)
	reEmailValue = regexp.MustCompile(`^[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$`)
	reHexNumber  = regexp.MustCompile(`^0[xX][0-9A-Fa-f]+$`)
	// A function call or wrapper: ENC(...), getenv(...).
	reCall = regexp.MustCompile(`^\w+\(.*\)$`)
)

// codeOrProse reports values that are not literals: template and
// environment references, dotted names (settings.SECRET_KEY), paths,
// numbers, and words (required, Not_Set).
func codeOrProse(v string, quoted bool) bool {
	if placeholderValue(v) || isAllDigits(v) || (reDottedName.MatchString(v) && (!quoted || wordish(v))) {
		return true
	}
	if strings.HasPrefix(v, "$") || strings.HasPrefix(v, "%") || strings.HasPrefix(v, "#{") || strings.HasPrefix(v, "@{") {
		return true
	}
	if (strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "~/")) && strings.Count(v, "/") > 1 && strings.ToLower(v) == v {
		return true
	}
	if strings.Contains(v, "://") || reEmailValue.MatchString(v) || reHexNumber.MatchString(v) || reCall.MatchString(v) {
		return true
	}
	w := v
	if !quoted {
		w = strings.TrimRight(v, "!?.,:")
	}
	return wordish(w)
}

// wordish reports whether v is made of words: letters joined by _ - . where
// each run of letters is lower case, upper case or capitalised.
func wordish(v string) bool {
	if v == "" {
		return true
	}
	for i := 0; i < len(v); {
		c := v[i]
		if c == '_' || c == '-' || c == '.' {
			i++
			continue
		}
		if isDigit(c) && i > 0 && (v[i-1] == '_' || v[i-1] == '-' || v[i-1] == '.') {
			j := i + 1
			for j < len(v) && isDigit(v[j]) {
				j++
			}
			if j < len(v) && v[j] != '_' && v[j] != '-' && v[j] != '.' {
				return false // Digits inside a word: a generated value.
			}
			i = j
			continue
		}
		if !isASCIILetter(c) {
			return false
		}
		j := i + 1
		for j < len(v) && isASCIILetter(v[j]) {
			j++
		}
		w := v[i:j]
		if w != strings.ToLower(w) && w != strings.ToUpper(w) && w[1:] != strings.ToLower(w[1:]) {
			return false
		}
		i = j
	}
	return true
}

// passwordValue judges a value assigned to a password-like name. People
// type passwords, so they may be short and of low entropy; what rules a
// value out is looking like code, prose or a placeholder.
func passwordValue(v string, quoted bool) bool {
	if len(v) < 6 || len(v) > 128 || codeOrProse(v, quoted) {
		return false
	}
	return charClasses(v) >= 2 && ShannonEntropy(v) >= 2
}

// secretValue judges a value assigned to a secret-, token- or key-like
// name. Those names also hold IDs, settings and words, so the value must
// look generated.
func secretValue(v string, quoted bool) bool {
	if len(v) < 10 || len(v) > 512 || codeOrProse(v, quoted) || reUUID.MatchString(v) {
		return false
	}
	return charClasses(v) >= 2 && plausibleKeyLoose(v)
}

// plausibleKeyLoose is plausibleKey without the letter-and-digit demand,
// for values such as long mixed-case secrets.
func plausibleKeyLoose(v string) bool {
	if ShannonEntropy(v) < 3 {
		return false
	}
	lv := strings.ToLower(v)
	for _, r := range obviousRuns {
		if strings.Contains(lv, r) {
			return false
		}
	}
	return true
}
