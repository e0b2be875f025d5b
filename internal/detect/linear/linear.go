// Package linear is redoubt's small text classifier: logistic regression over
// feature-hashed word unigrams and bigrams and character n-grams, with
// weights quantised to int8 so that a model file stays near 64 KiB and
// scoring a 2 KiB text takes a few microseconds with no allocation.
//
// Models are trained by the project's own program (internal/train) and
// stored in a small binary format (see Load). The package does no I/O: a
// caller hands it the bytes of a model, usually embedded with go:embed.
//
// The features are computed on the text as given, with ASCII letters
// lower-cased; callers that want robustness to Unicode tricks pass the text
// through detect.Normalize first, as the training program does.
package linear

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Config is the feature configuration of a model. It is stored in the model
// file, so a model always scores with the features it was trained on.
type Config struct {
	// Bits is log2 of the number of hash buckets (weights), 10..22.
	Bits uint8
	// CharMin and CharMax bound the character n-gram lengths, 1..8;
	// CharMax 0 turns character n-grams off.
	CharMin, CharMax uint8
	// Words enables word unigrams; Bigrams enables word bigrams.
	Words, Bigrams bool
}

// DefaultConfig is the configuration redoubt's models are trained with:
// 2^16 buckets (64 KiB of weights, which stay in the CPU's L2 cache),
// word uni- and bigrams, and character 4-grams. Fewer, cheaper features
// than 3- to 5-grams over 2^18 buckets cost nothing measurable in quality
// (docs/detectors/classifiers.md) and make scoring several times faster.
var DefaultConfig = Config{Bits: 16, CharMin: 4, CharMax: 4, Words: true, Bigrams: true}

// validate reports what is wrong with c, if anything.
func (c Config) validate() error {
	switch {
	case c.Bits < 10 || c.Bits > 22:
		return fmt.Errorf("bits %d outside 10..22", c.Bits)
	case c.CharMax > 8:
		return fmt.Errorf("char n-gram max %d above 8", c.CharMax)
	case c.CharMax > 0 && (c.CharMin < 1 || c.CharMin > c.CharMax):
		return fmt.Errorf("char n-gram range %d..%d is empty", c.CharMin, c.CharMax)
	case c.CharMax == 0 && !c.Words && !c.Bigrams:
		return errors.New("no feature family enabled")
	}
	return nil
}

// Model is a trained, quantised logistic-regression classifier. It is
// immutable and safe for concurrent use.
type Model struct {
	cfg       Config
	threshold float64
	scale     float32
	bias      float32
	recipe    [32]byte
	w         []int8
}

// Config returns the model's feature configuration.
func (m *Model) Config() Config { return m.cfg }

// Threshold returns the raw probability at which the model was calibrated to
// decide "positive"; Score maps it to 0.5.
func (m *Model) Threshold() float64 { return m.threshold }

// Recipe returns the SHA-256 of the training recipe (data sources, options
// and seed) that produced the model, so a weights file can be traced back to
// the command that made it.
func (m *Model) Recipe() [32]byte { return m.recipe }

// New quantises float weights into a model. weights must have 1<<cfg.Bits
// entries; threshold is the calibrated decision point on the raw probability
// scale, in (0,1).
func New(cfg Config, weights []float32, bias float32, threshold float64, recipe [32]byte) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("linear: config: %w", err)
	}
	if len(weights) != 1<<cfg.Bits {
		return nil, fmt.Errorf("linear: %d weights for %d buckets", len(weights), 1<<cfg.Bits)
	}
	if !(threshold > 0 && threshold < 1) {
		return nil, fmt.Errorf("linear: threshold %v outside (0,1)", threshold)
	}
	if math.IsNaN(float64(bias)) || math.IsInf(float64(bias), 0) {
		return nil, fmt.Errorf("linear: bias %v is not finite", bias)
	}
	var maxAbs float32
	for _, w := range weights {
		if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			return nil, errors.New("linear: weights are not finite")
		}
		maxAbs = max(maxAbs, float32(math.Abs(float64(w))))
	}
	scale := maxAbs / 127
	if scale == 0 {
		scale = 1
	}
	q := make([]int8, len(weights))
	for i, w := range weights {
		q[i] = int8(math.Round(float64(w / scale)))
	}
	return &Model{cfg: cfg, threshold: float64(float32(threshold)), scale: scale, bias: bias, recipe: recipe, w: q}, nil
}

// The model file format, all integers little-endian:
//
//	magic     [4]byte "RDLM"
//	version   uint16  2 (1: the FNV-hashed features of the first models)
//	bits      uint8   log2 buckets
//	charMin   uint8
//	charMax   uint8
//	flags     uint8   bit 0 words, bit 1 bigrams; other bits must be 0
//	threshold float32 in (0,1)
//	scale     float32 finite, > 0
//	bias      float32 finite
//	recipe    [32]byte SHA-256 of the training recipe
//	weights   [1<<bits]int8
//	crc       uint32  CRC-32 (IEEE) of every byte before it
const (
	magic      = "RDLM"
	version    = 2
	headerSize = 4 + 2 + 4 + 4*3 + 32
)

// Marshal encodes the model in the file format that Load reads.
func (m *Model) Marshal() []byte {
	b := make([]byte, 0, headerSize+len(m.w)+4)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, version)
	var flags uint8
	if m.cfg.Words {
		flags |= 1
	}
	if m.cfg.Bigrams {
		flags |= 2
	}
	b = append(b, m.cfg.Bits, m.cfg.CharMin, m.cfg.CharMax, flags)
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(m.threshold)))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.scale))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.bias))
	b = append(b, m.recipe[:]...)
	for _, w := range m.w {
		b = append(b, byte(w))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// Load decodes and validates a model file. It checks the magic, version,
// feature configuration, value ranges, length and checksum, so a truncated
// or corrupted file is an error rather than a model that scores nonsense.
// The returned model does not retain data.
func Load(data []byte) (*Model, error) {
	if len(data) < headerSize+4 {
		return nil, fmt.Errorf("linear: model file is %d bytes, shorter than its header", len(data))
	}
	if !bytes.Equal(data[:4], []byte(magic)) {
		return nil, fmt.Errorf("linear: bad magic %q, want %q", data[:4], magic)
	}
	if v := binary.LittleEndian.Uint16(data[4:]); v != version {
		return nil, fmt.Errorf("linear: model file version %d, want %d", v, version)
	}
	flags := data[9]
	if flags&^3 != 0 {
		return nil, fmt.Errorf("linear: unknown feature flags %#x", flags)
	}
	cfg := Config{Bits: data[6], CharMin: data[7], CharMax: data[8], Words: flags&1 != 0, Bigrams: flags&2 != 0}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("linear: model config: %w", err)
	}
	if want := headerSize + 1<<cfg.Bits + 4; len(data) != want {
		return nil, fmt.Errorf("linear: model file is %d bytes, want %d for %d buckets", len(data), want, 1<<cfg.Bits)
	}
	body := data[:len(data)-4]
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(data[len(body):]); got != want {
		return nil, fmt.Errorf("linear: checksum %08x, want %08x: file is corrupted", got, want)
	}
	f32 := func(off int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(data[off:])) }
	threshold, scale, bias := f32(10), f32(14), f32(18)
	if !(threshold > 0 && threshold < 1) {
		return nil, fmt.Errorf("linear: threshold %v outside (0,1)", threshold)
	}
	if !(scale > 0) || math.IsInf(float64(scale), 0) {
		return nil, fmt.Errorf("linear: scale %v is not a finite positive number", scale)
	}
	if math.IsNaN(float64(bias)) || math.IsInf(float64(bias), 0) {
		return nil, fmt.Errorf("linear: bias %v is not finite", bias)
	}
	m := &Model{cfg: cfg, threshold: float64(threshold), scale: scale, bias: bias, w: make([]int8, 1<<cfg.Bits)}
	copy(m.recipe[:], data[22:54])
	for i, b := range body[headerSize:] {
		m.w[i] = int8(b)
	}
	return m, nil
}

// Raw returns the model's probability that text is positive, before
// calibration.
func (m *Model) Raw(text string) float64 {
	var s sums
	m.cfg.walk(text, m.w, &s, nil)
	return sigmoid(m.logit(&s))
}

// Score returns the calibrated probability that text is positive: the raw
// probability shifted on the logit scale so that the calibrated threshold
// maps to 0.5. A score of 0.5 or more is the model's "positive".
func (m *Model) Score(text string) float64 {
	var s sums
	m.cfg.walk(text, m.w, &s, nil)
	return sigmoid(m.logit(&s) - logit(m.threshold))
}

// logit computes the model's log-odds from the feature sums.
func (m *Model) logit(s *sums) float64 {
	z := float64(m.bias)
	if s.nWord > 0 {
		z += float64(m.scale) * float64(s.word) / math.Sqrt(float64(s.nWord))
	}
	if s.nChar > 0 {
		z += float64(m.scale) * float64(s.char) / math.Sqrt(float64(s.nChar))
	}
	return z
}

// Calibrate maps a raw probability to the calibrated scale of Score.
func (m *Model) Calibrate(raw float64) float64 {
	return sigmoid(logit(raw) - logit(m.threshold))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// logit is the inverse of sigmoid, clamped away from 0 and 1.
func logit(p float64) float64 {
	p = min(max(p, 1e-9), 1-1e-9)
	return math.Log(p / (1 - p))
}
