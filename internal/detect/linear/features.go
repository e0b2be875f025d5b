package linear

import (
	"math"
	"math/bits"
	"slices"
)

// Hashing constants. Features are hashed on the fly as the scan moves on,
// so no n-gram string is ever built: a character n-gram is the last n
// bytes of a 64-bit rolling window (the n-gram itself, for n <= 8), and a
// word is its bytes rotated into a 64-bit word. One multiplication then
// spreads either over the top bits, which pick the bucket.
const (
	mix = 0x9E3779B97F4A7C15
	// Family salts keep a word, a bigram and a character n-gram with the
	// same bytes apart; saltChar is multiplied by n, so n-grams of
	// different lengths differ too.
	saltWord   = 0x2545F4914F6CDD1D
	saltBigram = 0x68E31DA4B2A9D5C3
	saltChar   = 0x5851F42D4C957F2D
)

// foldTable lower-cases ASCII letters and turns ASCII whitespace into a
// space, so "Ignore\tPrevious" and "ignore previous" hash alike. Bytes of
// multi-byte UTF-8 sequences pass unchanged.
var foldTable = func() (t [256]byte) {
	for i := range t {
		b := byte(i)
		switch {
		case b >= 'A' && b <= 'Z':
			b += 'a' - 'A'
		case b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f':
			b = ' '
		}
		t[i] = b
	}
	return t
}()

// wordByte marks the bytes that belong to a word: ASCII letters and
// digits, and every byte of a multi-byte UTF-8 sequence (letters of other
// scripts).
var wordByte = func() (t [256]bool) {
	for i := range t {
		b := byte(i)
		t[i] = b >= 0x80 || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
	}
	return t
}()

// sums accumulates the weights of a text's features per family, and the
// number of features, for the per-family length normalisation.
type sums struct {
	word, char   int32
	nWord, nChar int32
}

// collector receives the bucket of every feature, for training.
type collector struct {
	word, char []uint32
}

// walk hashes every feature of text. With w set it adds the weights to s;
// with col set it records the buckets. Scoring passes w and no collector,
// which keeps it free of allocation.
func (c Config) walk(text string, w []int8, s *sums, col *collector) {
	shift := 64 - uint(c.Bits)
	if c.Words || c.Bigrams {
		var prev, v uint64
		havePrev, inWord := false, false
		for i := 0; i <= len(text); i++ {
			if i < len(text) && wordByte[text[i]] {
				v = bits.RotateLeft64(v, 8) ^ uint64(foldTable[text[i]])
				inWord = true
				continue
			}
			if !inWord {
				continue
			}
			if c.Words {
				b := uint32(((v ^ saltWord) * mix) >> shift)
				if w != nil {
					s.word += int32(w[b])
				}
				if col != nil {
					col.word = append(col.word, b)
				}
				s.nWord++
			}
			if c.Bigrams && havePrev {
				b := uint32(((bits.RotateLeft64(prev*mix, 31) ^ v ^ saltBigram) * mix) >> shift)
				if w != nil {
					s.word += int32(w[b])
				}
				if col != nil {
					col.word = append(col.word, b)
				}
				s.nWord++
			}
			prev, havePrev = v, true
			v, inWord = 0, false
		}
	}
	if c.CharMax == 0 {
		return
	}
	lo, hi := int(c.CharMin), int(c.CharMax)
	if lo == hi && col == nil {
		// The shipped models' case: one n-gram length, scored.
		c.walkChar(text, lo, w, s)
		return
	}
	var win uint64
	for i := 0; i < len(text); i++ {
		win = win<<8 | uint64(foldTable[text[i]])
		for n := lo; n <= hi && n <= i+1; n++ {
			b := uint32((((win & gramMask[n]) ^ saltChar*uint64(n)) * mix) >> shift)
			if w != nil {
				s.char += int32(w[b])
			}
			if col != nil {
				col.char = append(col.char, b)
			}
			s.nChar++
		}
	}
}

// walkChar adds the weights of the character n-grams of one length n: the
// inner loop of scoring, one shift, one multiplication and one load per
// byte.
func (c Config) walkChar(text string, n int, w []int8, s *sums) {
	if len(text) < n {
		return
	}
	shift := 64 - uint(c.Bits)
	mask, salt := gramMask[n], saltChar*uint64(n)
	var win uint64
	for i := 0; i < n-1; i++ {
		win = win<<8 | uint64(foldTable[text[i]])
	}
	var sum int32
	for i := n - 1; i < len(text); i++ {
		win = win<<8 | uint64(foldTable[text[i]])
		sum += int32(w[(((win&mask)^salt)*mix)>>shift])
	}
	s.char += sum
	s.nChar += int32(len(text) - n + 1)
}

// gramMask[n] keeps the last n bytes of the rolling window.
var gramMask = [9]uint64{0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFF_FFFFFFFF, 0xFFFF_FFFFFFFF, 0xFFFFFF_FFFFFFFF, ^uint64(0)}

// Feature is one hashed feature of a text and its value: the feature's
// count divided by the square root of the number of features of its family
// (words or characters) in the text, which keeps long and short texts on
// one scale.
type Feature struct {
	Index uint32
	Value float32
}

// Features returns the sparse feature vector of text under c, sorted by
// Index, each index once. It is what the training program learns from;
// Model.Score computes the same dot product without building the vector.
func (c Config) Features(text string) []Feature {
	var s sums
	var col collector
	c.walk(text, nil, &s, &col)
	out := make([]Feature, 0, len(col.word)+len(col.char))
	add := func(idx []uint32, n int32) {
		if n == 0 {
			return
		}
		v := float32(1 / math.Sqrt(float64(n)))
		for _, i := range idx {
			out = append(out, Feature{Index: i, Value: v})
		}
	}
	add(col.word, s.nWord)
	add(col.char, s.nChar)
	slices.SortFunc(out, func(a, b Feature) int { return int(a.Index) - int(b.Index) })
	// Merge repeated indices into one feature whose value is the sum.
	merged := out[:0]
	for _, f := range out {
		if n := len(merged); n > 0 && merged[n-1].Index == f.Index {
			merged[n-1].Value += f.Value
			continue
		}
		merged = append(merged, f)
	}
	return merged
}

// Logit returns the model's log-odds for a feature vector built by
// Features, using the quantised weights; it equals the log-odds behind Raw.
func (m *Model) Logit(fs []Feature) float64 {
	z := float64(m.bias)
	for _, f := range fs {
		z += float64(m.scale) * float64(m.w[f.Index]) * float64(f.Value)
	}
	return z
}
