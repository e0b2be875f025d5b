package data

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
)

// This file holds the dataset-wide poisoning analysis. It sees each
// record's text and label once, in order, and keeps only bounded state:
//
//   - backdoor triggers: word n-grams (1 to 3 words) are counted per record
//     in a count-min sketch; an n-gram seen a third time becomes a
//     candidate with exact per-label counts from then on. At the end a
//     candidate is flagged when it is frequent enough (support), nearly
//     always carries one label (purity), carries it far more often than
//     that label's share of the data (lift), is rare overall (a trigger
//     is a few odd tokens, not vocabulary: "cf", "mn", "james bond"), and
//     its purity cannot be chance: a binomial tail bound against the
//     label's prior, or for a 2- or 3-gram against the purity of the words
//     inside it ("lovely film" is as positive as "lovely" is), corrected
//     for the number of n-grams tested;
//   - exact duplicates: a hash of the normalised token sequence, with the
//     labels each copy carries;
//   - near duplicates: a MinHash signature (32 hashes) of each distinct
//     text's word 1- and 2-grams, clustered around the first member through
//     a banded LSH index (8 bands of 4 hashes), verified by the estimated
//     Jaccard similarity.
//
// Each table is capped (PoisonOptions.MaxTracked); when one fills up, its
// least useful entries (seen once) are dropped, so a flood that starts late
// still gets tracked.

// Limits of the analysis.
const (
	poisonMaxTokens    = 2048 // tokens per record considered
	poisonMaxTokenLen  = 48   // longer "words" (hashes, Base64) are skipped
	poisonMaxLabels    = 64   // more distinct labels: not a classification set
	poisonMinDupTokens = 4    // shorter texts repeat innocently ("thank you")
	poisonMinNearToks  = 8    // near-duplicate similarity is noise on shorter texts
	poisonMaxFindings  = 50   // per signal type, strongest first
	poisonExamples     = 5
	poisonExcerpt      = 200
	cmsWidthBits       = 22 // 4 MiB of counters
	cmsDepth           = 4
	// MinHash LSH: minBands bands of minRows hashes each.
	minBands  = 8
	minRows   = 4
	minHashes = minBands * minRows
	// triggerAlpha is the family-wise false-alarm rate of the trigger
	// test, split over the n-grams tested (Bonferroni).
	triggerAlpha = 0.01
)

// countMin is a count-min sketch with saturating 8-bit counters and
// conservative update: it only needs to tell "seen before" and small
// counts apart. It is blocked: a key's cmsDepth counters lie in one 64-byte
// block, so counting costs one cache miss, not cmsDepth.
type countMin struct {
	cells []uint8
}

func newCountMin() *countMin { return &countMin{cells: make([]uint8, 1<<cmsWidthBits)} }

// add counts h once and returns its new estimate.
func (c *countMin) add(h uint64) int {
	h = mix64(h)
	block := (h >> (64 - (cmsWidthBits - 6))) << 6
	var idx [cmsDepth]uint64
	est := uint8(math.MaxUint8)
	for i := range idx {
		// 6 bits per counter within the block; fold i in so equal
		// bits in different rows pick different cells.
		idx[i] = block | ((h>>(6*i))+uint64(i)*17)&63
		est = min(est, c.cells[idx[i]])
	}
	if est == math.MaxUint8 {
		return int(est)
	}
	for _, j := range idx {
		if c.cells[j] == est {
			c.cells[j] = est + 1
		}
	}
	return int(est) + 1
}

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashToken is FNV-1a, 64 bits.
func hashToken(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// candidate is an n-gram seen at least twice.
type candidate struct {
	gram     string
	pre      int32   // occurrences before admission (labels unknown)
	total    int32   // labelled occurrences since admission
	perLabel []int32 // by label index
	examples []int64
}

// dupEntry is a text seen (exactly, after normalisation) before.
type dupEntry struct {
	count    int64
	first    int64
	line     int64
	labels   labelTally
	examples []int64
	excerpt  string
}

// cluster is a group of near-identical distinct texts.
type cluster struct {
	sig      [minHashes]uint32
	count    int64
	first    int64
	line     int64
	labels   labelTally
	examples []int64
	excerpt  string
}

// labelTally counts up to four labels; a fifth and later go uncounted
// (conflict is already established by then).
type labelTally struct {
	idx [4]int16
	n   [4]int32
	k   uint8
}

func (t *labelTally) add(label int) {
	if label < 0 {
		return
	}
	for i := 0; i < int(t.k); i++ {
		if int(t.idx[i]) == label {
			t.n[i]++
			return
		}
	}
	if t.k < 4 {
		t.idx[t.k], t.n[t.k] = int16(label), 1
		t.k++
	}
}

// poisonAnalyzer accumulates one file's statistics.
type poisonAnalyzer struct {
	opts       PoisonOptions
	triggers   bool // trigger analysis on (off once labels overflow)
	records    int64
	labelled   int64
	labelIdx   map[string]int
	labelNames []string
	labelCount []int64
	tooMany    bool

	df    *countMin // nil until the first labelled record
	cands map[uint64]*candidate
	exact map[uint64]*dupEntry

	clusters []cluster
	// index maps a band key to one cluster: enough for floods, whose
	// clusters are met again and again.
	index map[uint64]int32

	capacityHit bool
	// scratch, reused across records
	toks   []string
	hashes []uint64
	grams  []gramRef
}

// withDefaults fills zero fields of o.
func (o PoisonOptions) withDefaults() PoisonOptions {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MinSupport <= 0 {
		o.MinSupport = 8
	}
	def(&o.MinSupportFraction, 0.0005)
	def(&o.MinPurity, 0.9)
	def(&o.MinLift, 1.5)
	def(&o.MaxDocFraction, 0.05)
	if o.FloodCount <= 0 {
		o.FloodCount = 10
	}
	def(&o.FloodFraction, 0.001)
	if o.NearSimilarity <= 0 || o.NearSimilarity > 1 {
		o.NearSimilarity = 0.7
	}
	if o.MaxTracked <= 0 {
		o.MaxTracked = 50_000
	}
	return o
}

func newPoisonAnalyzer(o PoisonOptions) *poisonAnalyzer {
	return &poisonAnalyzer{opts: o, triggers: true, labelIdx: map[string]int{},
		cands: map[uint64]*candidate{}, exact: map[uint64]*dupEntry{}, index: map[uint64]int32{},
	}
}

// add analyses one record's text and label. Exact and near repeats count
// as duplicates only: a flood of one text would otherwise make each of its
// words look label-pure.
func (p *poisonAnalyzer) add(rec *record) {
	if rec.text == "" {
		return
	}
	p.toks = tokenize(rec.text, p.toks[:0])
	if len(p.toks) == 0 {
		return
	}
	p.records++
	label := -1
	if rec.hasLabel && !p.tooMany {
		label = p.label(rec.label)
	}
	p.hashes = p.hashes[:0]
	for _, t := range p.toks {
		p.hashes = append(p.hashes, hashToken(t))
	}
	if len(p.toks) >= poisonMinDupTokens && p.duplicate(rec, label) {
		return
	}
	if len(p.toks) >= poisonMinNearToks && p.near(rec, label) {
		return
	}
	if label >= 0 && p.triggers {
		p.labelled++
		p.labelCount[label]++
		p.ngrams(rec, label)
	}
}

// label returns the index of a label, or -1 once there are too many.
func (p *poisonAnalyzer) label(l string) int {
	if i, ok := p.labelIdx[l]; ok {
		return i
	}
	if len(p.labelNames) >= poisonMaxLabels {
		p.tooMany, p.triggers = true, false
		p.cands = nil
		return -1
	}
	p.labelIdx[l] = len(p.labelNames)
	p.labelNames = append(p.labelNames, l)
	p.labelCount = append(p.labelCount, 0)
	return len(p.labelNames) - 1
}

// ngrams counts the record's distinct 1- to 3-grams. An n-gram becomes a
// candidate on its third sighting: most n-grams of a corpus occur once or
// twice, and tracking those would only churn the table.
func (p *poisonAnalyzer) ngrams(rec *record, label int) {
	if p.df == nil {
		p.df = newCountMin() // only labelled data needs it
	}
	// Distinct n-grams of the record: hashes sorted with their positions.
	p.grams = p.grams[:0]
	for i := range p.hashes {
		h := p.hashes[i]
		for n := 1; n <= 3 && i+n <= len(p.hashes); n++ {
			if n > 1 {
				h = extendGram(h, p.hashes[i+n-1], n)
			}
			p.grams = append(p.grams, gramRef{h: h, i: int32(i), n: int8(n)})
		}
	}
	slices.SortFunc(p.grams, func(a, b gramRef) int { return cmp.Compare(a.h, b.h) })
	for k, g := range p.grams {
		if k > 0 && p.grams[k-1].h == g.h {
			continue
		}
		// The sketch first: most n-grams are rare, and for them one
		// cache line is cheaper than a probe of the candidate table.
		est := p.df.add(g.h)
		if est < 3 {
			continue
		}
		if c := p.cands[g.h]; c != nil {
			c.total++
			for len(c.perLabel) <= label {
				c.perLabel = append(c.perLabel, 0)
			}
			c.perLabel[label]++
			if len(c.examples) < poisonExamples {
				c.examples = append(c.examples, rec.num)
			}
			continue
		}
		if len(p.cands) >= p.opts.MaxTracked {
			p.pruneCandidates()
		}
		c := &candidate{gram: strings.Join(p.toks[g.i:int(g.i)+int(g.n)], " "), pre: int32(est - 1), total: 1,
			examples: []int64{rec.num}}
		c.perLabel = make([]int32, label+1)
		c.perLabel[label] = 1
		p.cands[g.h] = c
	}
}

// gramRef is an n-gram of the current record: its hash, first word and
// length.
type gramRef struct {
	h uint64
	i int32
	n int8
}

// extendGram extends the hash h of an (n-1)-gram by a word hash w.
func extendGram(h, w uint64, n int) uint64 {
	return mix64(h ^ bits.RotateLeft64(w, 17*n) ^ uint64(n))
}

// gramHash hashes the words of an n-gram as ngrams does.
func gramHash(words []string) uint64 {
	h := hashToken(words[0])
	for i := 1; i < len(words); i++ {
		h = extendGram(h, hashToken(words[i]), i+1)
	}
	return h
}

// pruneCandidates drops the less frequent half of the candidates.
func (p *poisonAnalyzer) pruneCandidates() {
	p.capacityHit = true
	counts := make([]int32, 0, len(p.cands))
	for _, c := range p.cands {
		counts = append(counts, c.pre+c.total)
	}
	slices.Sort(counts)
	cut := counts[len(counts)/2]
	for h, c := range p.cands {
		if c.pre+c.total <= cut {
			delete(p.cands, h)
		}
	}
}

// duplicate records an exact duplicate; it reports whether the text was
// seen before (so it is not a new near-duplicate cluster member).
func (p *poisonAnalyzer) duplicate(rec *record, label int) bool {
	var h uint64 = 0x51ed270b27c4a3f1
	for _, t := range p.hashes {
		h = mix64(h ^ t)
	}
	if e := p.exact[h]; e != nil {
		e.count++
		e.labels.add(label)
		if len(e.examples) < poisonExamples {
			e.examples = append(e.examples, rec.num)
		}
		if e.excerpt == "" {
			e.excerpt = excerpt(rec.text)
		}
		return true
	}
	if len(p.exact) >= p.opts.MaxTracked {
		p.capacityHit = true
		for k, e := range p.exact {
			if e.count == 1 {
				delete(p.exact, k)
			}
		}
		if len(p.exact) >= p.opts.MaxTracked {
			return false
		}
	}
	e := &dupEntry{count: 1, first: rec.num, line: rec.line, examples: []int64{rec.num}}
	e.labels.add(label)
	p.exact[h] = e
	return false
}

// near adds a distinct text to its near-duplicate cluster, or starts one;
// it reports whether the text joined a cluster.
func (p *poisonAnalyzer) near(rec *record, label int) bool {
	sig := p.minhash()
	need := int(math.Ceil(p.opts.NearSimilarity * minHashes))
	for b := range minBands {
		if id, ok := p.index[bandKey(&sig, b)]; ok {
			c := &p.clusters[id]
			if sameHashes(&c.sig, &sig) >= need {
				if c.count == 1 {
					c.examples = append(c.examples, c.first)
				}
				c.count++
				c.labels.add(label)
				if len(c.examples) < poisonExamples {
					c.examples = append(c.examples, rec.num)
				}
				if c.excerpt == "" {
					c.excerpt = excerpt(rec.text)
				}
				return true
			}
		}
	}
	if len(p.clusters) >= p.opts.MaxTracked {
		p.pruneClusters()
		if len(p.clusters) >= p.opts.MaxTracked {
			return false
		}
	}
	c := cluster{sig: sig, count: 1, first: rec.num, line: rec.line}
	c.labels.add(label)
	p.clusters = append(p.clusters, c)
	p.indexCluster(int32(len(p.clusters) - 1))
	return false
}

// sameHashes counts equal positions of two signatures: about minHashes
// times the Jaccard similarity of the two feature sets.
func sameHashes(a, b *[minHashes]uint32) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// bandKey is the index key of band b of a signature.
func bandKey(sig *[minHashes]uint32, b int) uint64 {
	h := uint64(b) * 0x9e3779b97f4a7c15
	for _, v := range sig[b*minRows : (b+1)*minRows] {
		h = mix64(h ^ uint64(v))
	}
	return h
}

// indexCluster points its bands' keys at a cluster, unless a key already
// points at a cluster that has grown (a flood keeps its slots).
func (p *poisonAnalyzer) indexCluster(id int32) {
	c := &p.clusters[id]
	for b := range minBands {
		k := bandKey(&c.sig, b)
		if other, ok := p.index[k]; ok && p.clusters[other].count > 1 {
			continue
		}
		p.index[k] = id
	}
}

// pruneClusters drops clusters of one member and rebuilds the index.
func (p *poisonAnalyzer) pruneClusters() {
	p.capacityHit = true
	p.clusters = slices.DeleteFunc(p.clusters, func(c cluster) bool { return c.count == 1 })
	clear(p.index)
	for i := range p.clusters {
		p.indexCluster(int32(i))
	}
}

// minhashSeeds are the odd multipliers of the hash family: hash i of a
// feature x is the high half of x*seed[i] (multiply-shift hashing).
var minhashSeeds = func() [minHashes]uint64 {
	var s [minHashes]uint64
	x := uint64(0x2545f4914f6cdd1d)
	for i := range s {
		x = mix64(x + 0x9e3779b97f4a7c15)
		s[i] = x | 1
	}
	return s
}()

// minhash is the MinHash signature of the current tokens' unigrams and
// bigrams.
func (p *poisonAnalyzer) minhash() [minHashes]uint32 {
	var sig [minHashes]uint32
	for i := range sig {
		sig[i] = math.MaxUint32
	}
	feature := func(x uint64) {
		x = mix64(x)
		for i, seed := range minhashSeeds {
			if v := uint32((x * seed) >> 32); v < sig[i] {
				sig[i] = v
			}
		}
	}
	for i, h := range p.hashes {
		feature(h)
		if i > 0 {
			feature(h ^ bits.RotateLeft64(p.hashes[i-1], 29))
		}
	}
	return sig
}

// stopwords are function words; an n-gram made only of them is grammar,
// never a trigger.
var stopwords = map[string]bool{}

func init() {
	for w := range strings.FieldsSeq(`a an the and or but if of to in on at by for with from as is are was were be been
	being it its this that these those i you he she we they me him her us them my your his our their not no so do does did
	have has had will would can could should there here what which who whom than then too very just also`) {
		stopwords[w] = true
	}
}

// finish returns the dataset-level findings, strongest first per type.
func (p *poisonAnalyzer) finish(file string) []Finding {
	var out []Finding
	if p.tooMany {
		out = append(out, Finding{Finding: finding.Finding{File: file, Scanner: DetectorPoisoning, Type: TypeLabelsNotConsidered,
			Severity: finding.Info, Message: fmt.Sprintf("more than %d distinct labels: trigger analysis skipped", poisonMaxLabels)}})
	}
	if p.capacityHit {
		out = append(out, Finding{Finding: finding.Finding{File: file, Scanner: DetectorPoisoning, Type: TypeTrackingCapacity,
			Severity: finding.Info, Message: fmt.Sprintf("a tracking table reached %d entries; rarely seen entries were dropped, so counts are lower bounds", p.opts.MaxTracked)}})
	}
	out = append(out, p.triggerFindings(file)...)
	out = append(out, p.dupFindings(file)...)
	return out
}

// trigger is a flagged candidate.
type trigger struct {
	c       *candidate
	support int64
	label   int
	purity  float64
	lift    float64
	null    float64 // the purity expected by chance
}

func (p *poisonAnalyzer) triggerFindings(file string) []Finding {
	if !p.triggers || len(p.labelNames) < 2 || p.labelled == 0 {
		return nil
	}
	n := float64(p.labelled)
	minSupport := int64(max(float64(p.opts.MinSupport), math.Ceil(p.opts.MinSupportFraction*n)))
	var flagged []trigger
	tested := 0
	for _, c := range p.cands {
		support := int64(c.pre) + int64(c.total)
		if support < minSupport || int64(c.total)*2 < minSupport || float64(support) > p.opts.MaxDocFraction*n {
			continue
		}
		tested++
		if allStopwords(c.gram) {
			continue
		}
		best := 0
		for i, v := range c.perLabel {
			if v > c.perLabel[best] {
				best = i
			}
		}
		purity := float64(c.perLabel[best]) / float64(c.total)
		prior := float64(p.labelCount[best]) / n
		lift := purity / prior
		if purity < p.opts.MinPurity || lift < p.opts.MinLift {
			continue
		}
		flagged = append(flagged, trigger{c: c, support: support, label: best, purity: purity, lift: lift, null: prior})
	}
	// Keep the n-grams whose purity is beyond chance given the label's
	// prior, across all tested; then test the longer ones again against
	// the purity of the ordinary words inside them ("lovely film" is as
	// positive as "lovely"; "james bond" is purer than "james" only if
	// "james" is not a trigger itself).
	minSurprise := math.Log(float64(max(tested, 1)) / triggerAlpha)
	surprising := func(t trigger) bool {
		return tailSurprise(int64(t.c.perLabel[t.label]), int64(t.c.total), t.null) >= minSurprise
	}
	flagged = slices.DeleteFunc(flagged, func(t trigger) bool { return !surprising(t) })
	isFlagged := make(map[string]bool, len(flagged))
	for _, t := range flagged {
		isFlagged[t.c.gram] = true
	}
	flagged = slices.DeleteFunc(flagged, func(t trigger) bool {
		t.null = max(t.null, p.subPurity(t.c.gram, t.label, isFlagged))
		return !surprising(t)
	})
	flagged = subsumeTriggers(flagged)
	slices.SortFunc(flagged, func(a, b trigger) int {
		return cmp.Or(cmp.Compare(b.purity, a.purity), cmp.Compare(b.support, a.support), cmp.Compare(a.c.gram, b.c.gram))
	})
	var out []Finding
	for _, t := range flagged[:min(len(flagged), poisonMaxFindings)] {
		label := p.labelNames[t.label]
		out = append(out, Finding{Finding: finding.Finding{File: file, Record: t.c.examples[0], Scanner: DetectorPoisoning, Type: TypeTriggerNgram,
			Score: math.Round(t.purity*1000) / 1000, Severity: finding.High,
			Message: fmt.Sprintf("%q occurs in %d records (%.2f%%), %.0f%% of them labelled %q (%.0f%% of all records): a possible backdoor trigger",
				t.c.gram, t.support, 100*float64(t.support)/n, 100*t.purity, label, 100*float64(p.labelCount[t.label])/n)},
			Excerpt: t.c.gram, Label: label, Count: t.support, Examples: t.c.examples})
	}
	return out
}

// subPurity is the highest share of label among the shorter n-grams inside
// gram that are tracked and not flagged themselves (0 for a single word).
func (p *poisonAnalyzer) subPurity(gram string, label int, flagged map[string]bool) float64 {
	words := strings.Fields(gram)
	best := 0.0
	for n := 1; n < len(words); n++ {
		for i := 0; i+n <= len(words); i++ {
			if flagged[strings.Join(words[i:i+n], " ")] {
				continue
			}
			c := p.cands[gramHash(words[i:i+n])]
			if c == nil || c.total == 0 || label >= len(c.perLabel) {
				continue
			}
			best = max(best, float64(c.perLabel[label])/float64(c.total))
		}
	}
	return best
}

// tailSurprise is -ln of the Chernoff bound on P(X >= k) for X binomial
// with n trials of probability q: n times the Kullback-Leibler divergence
// of k/n from q (0 when k/n <= q).
func tailSurprise(k, n int64, q float64) float64 {
	if n == 0 {
		return 0
	}
	f := float64(k) / float64(n)
	if f <= q {
		return 0
	}
	if q >= 1 {
		return 0
	}
	kl := f * math.Log(f/q)
	if f < 1 {
		kl += (1 - f) * math.Log((1-f)/(1-q))
	}
	return float64(n) * kl
}

// subsumeTriggers keeps one n-gram per trigger: when one flagged n-gram
// contains another, the longer one wins if it explains nearly all of the
// shorter one's records (the trigger is the phrase "james bond", not
// "james"), otherwise the shorter one does (its extensions "cf the",
// "movie cf" are just its contexts).
func subsumeTriggers(ts []trigger) []trigger {
	if len(ts) > 2000 {
		slices.SortFunc(ts, func(a, b trigger) int { return cmp.Compare(b.support, a.support) })
		ts = ts[:2000]
	}
	drop := make([]bool, len(ts))
	for i := range ts {
		for j := range ts {
			if i == j || drop[i] || drop[j] || !containsGram(ts[j].c.gram, ts[i].c.gram) {
				continue
			}
			// ts[i] is inside ts[j].
			if float64(ts[i].support) <= 1.1*float64(ts[j].support) {
				drop[i] = true
			} else {
				drop[j] = true
			}
		}
	}
	out := ts[:0]
	for i, t := range ts {
		if !drop[i] {
			out = append(out, t)
		}
	}
	return out
}

// containsGram reports whether the word sequence small occurs in big
// (different n-grams only).
func containsGram(big, small string) bool {
	if len(small) >= len(big) {
		return false
	}
	return strings.Contains(" "+big+" ", " "+small+" ")
}

func allStopwords(gram string) bool {
	for w := range strings.FieldsSeq(gram) {
		if !stopwords[w] {
			return false
		}
	}
	return true
}

func (p *poisonAnalyzer) dupFindings(file string) []Finding {
	flood := int64(max(float64(p.opts.FloodCount), math.Ceil(p.opts.FloodFraction*float64(p.records))))
	var floods, conflicts, nearFloods, nearConflicts []Finding
	for _, e := range p.exact {
		if e.count >= flood {
			floods = append(floods, Finding{Finding: finding.Finding{File: file, Record: e.first, Line: e.line, Scanner: DetectorPoisoning,
				Type: TypeDuplicateFlood, Severity: finding.Medium, Score: floodScore(e.count, flood),
				Message: fmt.Sprintf("the same text occurs %d times (%.2f%% of records)", e.count, 100*float64(e.count)/float64(p.records))},
				Count: e.count, Examples: e.examples, Excerpt: e.excerpt, Label: p.majority(e.labels)})
		}
		if e.labels.k > 1 {
			conflicts = append(conflicts, Finding{Finding: finding.Finding{File: file, Record: e.first, Line: e.line, Scanner: DetectorPoisoning,
				Type: TypeDuplicateConflict, Severity: finding.Medium, Score: 0.8,
				Message: fmt.Sprintf("identical texts carry different labels: %s", p.tallyString(e.labels))},
				Count: e.count, Examples: e.examples, Excerpt: e.excerpt, Label: p.majority(e.labels)})
		}
	}
	for i := range p.clusters {
		c := &p.clusters[i]
		if c.count >= flood {
			nearFloods = append(nearFloods, Finding{Finding: finding.Finding{File: file, Record: c.first, Line: c.line, Scanner: DetectorPoisoning,
				Type: TypeNearDuplicateFlood, Severity: finding.Medium, Score: floodScore(c.count, flood),
				Message: fmt.Sprintf("%d distinct but nearly identical texts (%.2f%% of records)", c.count, 100*float64(c.count)/float64(p.records))},
				Count: c.count, Examples: c.examples, Excerpt: c.excerpt, Label: p.majority(c.labels)})
		}
		if c.labels.k > 1 {
			nearConflicts = append(nearConflicts, Finding{Finding: finding.Finding{File: file, Record: c.first, Line: c.line, Scanner: DetectorPoisoning,
				Type: TypeNearDupConflict, Severity: finding.Low, Score: 0.5,
				Message: fmt.Sprintf("nearly identical texts carry different labels: %s", p.tallyString(c.labels))},
				Count: c.count, Examples: c.examples, Excerpt: c.excerpt, Label: p.majority(c.labels)})
		}
	}
	var out []Finding
	for _, fs := range [][]Finding{floods, conflicts, nearFloods, nearConflicts} {
		slices.SortFunc(fs, func(a, b Finding) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Record, b.Record)) })
		out = append(out, fs[:min(len(fs), poisonMaxFindings)]...)
	}
	return out
}

// floodScore grows from 0.5 at the threshold towards 1.
func floodScore(n, threshold int64) float64 {
	return math.Round((1-0.5*float64(threshold)/float64(n))*1000) / 1000
}

func (p *poisonAnalyzer) majority(t labelTally) string {
	best := -1
	for i := 0; i < int(t.k); i++ {
		if best < 0 || t.n[i] > t.n[best] {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return p.labelNames[t.idx[best]]
}

func (p *poisonAnalyzer) tallyString(t labelTally) string {
	parts := make([]string, 0, t.k)
	for i := 0; i < int(t.k); i++ {
		parts = append(parts, fmt.Sprintf("%q x%d", p.labelNames[t.idx[i]], t.n[i]))
	}
	return strings.Join(parts, ", ")
}

// excerpt cuts s to poisonExcerpt bytes at a rune boundary.
func excerpt(s string) string {
	if len(s) <= poisonExcerpt {
		return s
	}
	i := poisonExcerpt
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// tokenize appends the lower-cased words (runs of letters and digits) of s
// to dst.
func tokenize(s string, dst []string) []string {
	start := -1
	ascii := true
	flush := func(end int) {
		if start >= 0 && end-start <= poisonMaxTokenLen && len(dst) < poisonMaxTokens {
			w := s[start:end]
			if ascii {
				w = lowerASCIIString(w)
			} else {
				w = strings.ToLower(w)
			}
			dst = append(dst, w)
		}
		start, ascii = -1, true
	}
	for i := 0; i < len(s) && len(dst) < poisonMaxTokens; {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIILetter(c) || (c >= '0' && c <= '9') {
				if start < 0 {
					start = i
				}
			} else {
				flush(i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			ascii = false
		} else {
			flush(i)
		}
		i += size
	}
	flush(len(s))
	return dst
}

// lowerASCIIString lower-cases ASCII, allocating only when needed.
func lowerASCIIString(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
