package model

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
)

// GGUF (llama.cpp's format) is a header, typed metadata key-values, tensor
// descriptors, then aligned tensor data. The metadata can carry a Jinja
// chat template that inference servers render for every request; a
// template that climbs from a Jinja object to Python internals runs code
// in the server (CVE-2024-34359). The scan reads the metadata sequentially,
// bounding every count and length by the bytes left in the file, hands chat
// templates to the Jinja analyser, and checks the tensor layout.

// GGUF metadata value types.
const (
	ggufUint8 = iota
	ggufInt8
	ggufUint16
	ggufInt16
	ggufUint32
	ggufInt32
	ggufFloat32
	ggufBool
	ggufString
	ggufArray
	ggufUint64
	ggufInt64
	ggufFloat64
)

// ggufScalarSize is the byte size of each fixed-size value type.
var ggufScalarSize = map[uint32]int64{
	ggufUint8: 1, ggufInt8: 1, ggufUint16: 2, ggufInt16: 2, ggufUint32: 4, ggufInt32: 4,
	ggufFloat32: 4, ggufBool: 1, ggufUint64: 8, ggufInt64: 8, ggufFloat64: 8,
}

// ggmlTypeSize gives, per ggml tensor type, the elements per block and the
// bytes per block, as in ggml's type traits. Types missing here (new or
// retired ones) are not size-checked.
var ggmlTypeSize = map[uint32][2]int64{
	0: {1, 4}, 1: {1, 2}, 2: {32, 18}, 3: {32, 20}, 6: {32, 22}, 7: {32, 24},
	8: {32, 34}, 9: {32, 36}, 10: {256, 84}, 11: {256, 110}, 12: {256, 144},
	13: {256, 176}, 14: {256, 210}, 15: {256, 292}, 16: {256, 66}, 17: {256, 74},
	18: {256, 98}, 19: {256, 50}, 20: {32, 18}, 21: {256, 110}, 22: {256, 82},
	23: {256, 136}, 24: {1, 1}, 25: {1, 2}, 26: {1, 4}, 27: {1, 8}, 28: {1, 8},
	29: {256, 56}, 30: {1, 2}, 31: {32, 18}, 32: {32, 18}, 33: {32, 18},
	34: {256, 54}, 35: {256, 66}, 39: {32, 17},
}

const (
	// ggufMaxTemplate bounds a chat template read into memory.
	ggufMaxTemplate = 16 << 20
	// ggufMaxKey bounds a metadata key.
	ggufMaxKey = 64 << 10
	// ggufMaxArrayDepth bounds arrays nested in arrays.
	ggufMaxArrayDepth = 4
	// ggufMaxDims is ggml's dimension limit, with room to spare.
	ggufMaxDims = 8
	// ggufDefaultAlignment is the data alignment when general.alignment
	// is absent.
	ggufDefaultAlignment = 32
)

var errGGUF = errors.New("malformed GGUF")

type ggufScanner struct{}

// newGGUF returns the scanner for GGUF files.
func newGGUF() formatScanner { return ggufScanner{} }

// Name implements formatScanner.
func (ggufScanner) Name() string { return "gguf" }

// Sniff recognises the GGUF magic.
func (ggufScanner) Sniff(head []byte, _ string) bool {
	return len(head) >= 8 && string(head[:4]) == "GGUF"
}

// ggufReader reads GGUF fields sequentially, tracking the offset and
// refusing lengths beyond the end of the file.
type ggufReader struct {
	r     *bufio.Reader
	off   int64
	size  int64
	order binary.ByteOrder
	// v1 files use 32-bit counts and string lengths.
	v1  bool
	buf [8]byte
}

func (g *ggufReader) full(n int) ([]byte, error) {
	if _, err := io.ReadFull(g.r, g.buf[:n]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading GGUF at offset %d: %w", g.off, err)
	}
	g.off += int64(n)
	return g.buf[:n], nil
}

func (g *ggufReader) u32() (uint32, error) {
	b, err := g.full(4)
	if err != nil {
		return 0, err
	}
	return g.order.Uint32(b), nil
}

func (g *ggufReader) u64() (uint64, error) {
	b, err := g.full(8)
	if err != nil {
		return 0, err
	}
	return g.order.Uint64(b), nil
}

// count reads a count or length (32-bit in v1, 64-bit after).
func (g *ggufReader) count() (uint64, error) {
	if g.v1 {
		v, err := g.u32()
		return uint64(v), err
	}
	return g.u64()
}

// skip discards n bytes, refusing to move past the end of the file.
func (g *ggufReader) skip(n uint64) error {
	if n > uint64(g.size-g.off) {
		return fmt.Errorf("%w: %d bytes at offset %d run past the end of the file", errGGUF, n, g.off)
	}
	for n > 0 {
		step := int(min(n, 1<<30))
		d, err := g.r.Discard(step)
		g.off += int64(d)
		if err != nil {
			return fmt.Errorf("skipping GGUF data at offset %d: %w", g.off, err)
		}
		n -= uint64(step)
	}
	return nil
}

// str reads a length-prefixed string. When the string is longer than
// limit it is skipped and ok is false; start is the offset of its bytes.
func (g *ggufReader) str(limit int) (s string, start int64, ok bool, err error) {
	n, err := g.count()
	if err != nil {
		return "", 0, false, err
	}
	start = g.off
	if n > uint64(g.size-g.off) {
		return "", start, false, fmt.Errorf("%w: string of %d bytes at offset %d runs past the end of the file", errGGUF, n, start)
	}
	if n > uint64(limit) {
		return "", start, false, g.skip(n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(g.r, b); err != nil {
		return "", start, false, fmt.Errorf("reading GGUF string at offset %d: %w", start, err)
	}
	g.off += int64(n)
	return string(b), start, true, nil
}

// ggufTensor is one tensor descriptor.
type ggufTensor struct {
	name          string
	typ           uint32
	offset, bytes uint64
	sized         bool
	at            int64
}

// Scan implements formatScanner.
func (ggufScanner) Scan(ctx context.Context, src Source, _ string, _ *Scanner) ([]Finding, error) {
	g := &ggufReader{r: bufio.NewReaderSize(io.NewSectionReader(src, 0, src.Size()), 64<<10), size: src.Size(), order: binary.LittleEndian}
	head, err := g.full(8)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	if string(head[:4]) != "GGUF" {
		return nil, fmt.Errorf("gguf: %w: bad magic", errGGUF)
	}
	version := binary.LittleEndian.Uint32(head[4:])
	if version > 0xffff && binary.BigEndian.Uint32(head[4:]) <= 3 {
		g.order, version = binary.BigEndian, binary.BigEndian.Uint32(head[4:])
	}
	if version < 1 || version > 3 {
		return nil, fmt.Errorf("gguf: %w: unsupported version %d", errGGUF, version)
	}
	g.v1 = version == 1
	tensorCount, err := g.count()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	kvCount, err := g.count()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	// A key-value takes at least 13 bytes, a tensor descriptor 24: counts
	// beyond what the file can hold are lies, refused before any loop.
	if kvCount > uint64(g.size-g.off)/13 || tensorCount > uint64(g.size-g.off)/24 {
		return nil, fmt.Errorf("gguf: %w: %d key-values and %d tensors cannot fit in %d bytes", errGGUF, kvCount, tensorCount, g.size)
	}
	var findings []Finding
	alignment := uint64(ggufDefaultAlignment)
	arch := ""
	templates := 0
	for i := uint64(0); i < kvCount; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return findings, err
			}
		}
		key, keyAt, ok, err := g.str(ggufMaxKey)
		if err != nil {
			return findings, fmt.Errorf("gguf: key %d: %w", i, err)
		}
		if !ok {
			return findings, fmt.Errorf("gguf: %w: key %d at offset %d is longer than %d bytes", errGGUF, i, keyAt, ggufMaxKey)
		}
		typ, err := g.u32()
		if err != nil {
			return findings, fmt.Errorf("gguf: key %q: %w", key, err)
		}
		isTemplate := key == "tokenizer.chat_template" || strings.HasPrefix(key, "tokenizer.chat_template.")
		switch {
		case typ == ggufString && (isTemplate || key == "general.architecture"):
			s, at, ok, err := g.str(ggufMaxTemplate)
			if err != nil {
				return findings, fmt.Errorf("gguf: key %q: %w", key, err)
			}
			if key == "general.architecture" {
				arch = s
				break
			}
			templates++
			if !ok {
				findings = append(findings, Finding{Finding: finding.Finding{
					Type: "gguf_template_too_large", Severity: finding.Medium,
					Message: fmt.Sprintf("chat template is over %d bytes and was not analysed", ggufMaxTemplate),
					Member:  key, Offset: offsetAt(at),
				},
				})
				break
			}
			findings = append(findings, chatTemplateFindings(s, key, at)...)
		case key == "general.alignment" && typ == ggufUint32:
			v, err := g.u32()
			if err != nil {
				return findings, fmt.Errorf("gguf: key %q: %w", key, err)
			}
			if v == 0 || v&(v-1) != 0 || v > 1<<20 {
				return findings, fmt.Errorf("gguf: %w: general.alignment %d is not a power of two", errGGUF, v)
			}
			alignment = uint64(v)
		default:
			if isTemplate {
				findings = append(findings, Finding{Finding: finding.Finding{
					Type: "gguf_template_not_string", Severity: finding.Medium,
					Message: "chat template key does not hold a string", Member: key, Offset: offsetAt(keyAt),
				},
				})
			}
			if err := g.skipValue(ctx, typ, 0); err != nil {
				return findings, fmt.Errorf("gguf: key %q: %w", key, err)
			}
		}
	}
	tensors := make([]ggufTensor, 0, min(tensorCount, 1<<16))
	for i := uint64(0); i < tensorCount; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return findings, err
			}
		}
		t, problem, err := g.tensorInfo()
		if err != nil {
			return findings, fmt.Errorf("gguf: tensor %d: %w", i, err)
		}
		if problem != "" {
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "gguf_bad_tensor", Severity: finding.Medium,
				Message: "tensor descriptor is invalid: " + problem, Offset: offsetAt(t.at),
			}, Detail: t.name,
			})
		}
		tensors = append(tensors, t)
	}
	dataStart := (uint64(g.off) + alignment - 1) / alignment * alignment
	findings = append(findings, ggufLayout(tensors, alignment, dataStart, uint64(g.size))...)
	findings = append(findings, Finding{Finding: finding.Finding{
		Type: "gguf_info", Severity: finding.Info,
		Message: fmt.Sprintf("GGUF v%d, %d metadata keys, %d tensors, %d chat templates", version, kvCount, tensorCount, templates),
	}, Detail: "architecture=" + arch,
	})
	return findings, nil
}

// skipValue skips one metadata value of type typ; depth counts enclosing
// arrays.
func (g *ggufReader) skipValue(ctx context.Context, typ uint32, depth int) error {
	if n, ok := ggufScalarSize[typ]; ok {
		return g.skip(uint64(n))
	}
	switch typ {
	case ggufString:
		n, err := g.count()
		if err != nil {
			return err
		}
		return g.skip(n)
	case ggufArray:
		if depth >= ggufMaxArrayDepth {
			return fmt.Errorf("%w: arrays nested deeper than %d at offset %d", errGGUF, ggufMaxArrayDepth, g.off)
		}
		elem, err := g.u32()
		if err != nil {
			return err
		}
		n, err := g.count()
		if err != nil {
			return err
		}
		if size, ok := ggufScalarSize[elem]; ok {
			if n > uint64(g.size-g.off)/uint64(size) {
				return fmt.Errorf("%w: array of %d values at offset %d runs past the end of the file", errGGUF, n, g.off)
			}
			return g.skip(n * uint64(size))
		}
		// Strings and arrays take at least 8 bytes (4 in v1) each.
		if n > uint64(g.size-g.off)/4 {
			return fmt.Errorf("%w: array of %d values at offset %d runs past the end of the file", errGGUF, n, g.off)
		}
		for i := uint64(0); i < n; i++ {
			if i%65536 == 65535 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := g.skipValue(ctx, elem, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: unknown value type %d at offset %d", errGGUF, typ, g.off-4)
}

// tensorInfo reads one tensor descriptor. problem describes a descriptor
// that parses but is invalid.
func (g *ggufReader) tensorInfo() (t ggufTensor, problem string, err error) {
	t.at = g.off
	name, _, ok, err := g.str(ggufMaxKey)
	if err != nil {
		return t, "", err
	}
	if !ok {
		return t, "", fmt.Errorf("%w: tensor name at offset %d is longer than %d bytes", errGGUF, t.at, ggufMaxKey)
	}
	t.name = name
	dims, err := g.u32()
	if err != nil {
		return t, "", err
	}
	if dims > ggufMaxDims {
		return t, "", fmt.Errorf("%w: tensor %q has %d dimensions", errGGUF, name, dims)
	}
	numel, overflow := uint64(1), false
	var first uint64
	for d := range dims {
		n, err := g.count()
		if err != nil {
			return t, "", err
		}
		if d == 0 {
			first = n
		}
		if n != 0 && numel > ^uint64(0)/n {
			overflow = true
		}
		numel *= n
	}
	if t.typ, err = g.u32(); err != nil {
		return t, "", err
	}
	if t.offset, err = g.u64(); err != nil {
		return t, "", err
	}
	bs, known := ggmlTypeSize[t.typ]
	switch {
	case overflow:
		return t, "element count overflows 64 bits", nil
	case !known:
		return t, "", nil
	case dims > 0 && first%uint64(bs[0]) != 0:
		return t, fmt.Sprintf("first dimension %d is not a multiple of the type's block size %d", first, bs[0]), nil
	case numel/uint64(bs[0]) > ^uint64(0)/uint64(bs[1]):
		return t, "byte size overflows 64 bits", nil
	}
	t.bytes, t.sized = numel/uint64(bs[0])*uint64(bs[1]), true
	return t, "", nil
}

// ggufLayout checks the tensor data ranges: aligned, inside the file, not
// overlapping, and packed without room for hidden bytes.
func ggufLayout(tensors []ggufTensor, alignment, dataStart, size uint64) []Finding {
	var findings []Finding
	if dataStart > size {
		if len(tensors) > 0 {
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "gguf_out_of_bounds", Severity: finding.High,
				Message: "tensor data section starts past the end of the file",
			},
			})
		}
		return findings
	}
	dataLen := size - dataStart
	sorted := slices.Clone(tensors)
	slices.SortStableFunc(sorted, func(a, b ggufTensor) int { return cmp.Compare(a.offset, b.offset) })
	var covered uint64
	var prev string
	// Coverage is only meaningful when every tensor's size is known; a
	// tensor of an unknown type would look like a gap.
	allSized := !slices.ContainsFunc(tensors, func(t ggufTensor) bool { return !t.sized })
	outOfBounds := false
	for _, t := range sorted {
		if t.offset%alignment != 0 {
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "gguf_misaligned_tensor", Severity: finding.Medium,
				Message: fmt.Sprintf("tensor data offset %d is not a multiple of the alignment %d", t.offset, alignment),
				Offset:  offsetAt(t.at),
			}, Detail: t.name,
			})
		}
		if !t.sized {
			continue
		}
		end := t.offset + t.bytes
		switch {
		case end < t.offset || end > dataLen:
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "gguf_out_of_bounds", Severity: finding.High,
				Message: fmt.Sprintf("tensor bytes [%d, +%d) run past the %d-byte data section", t.offset, t.bytes, dataLen),
				Offset:  offsetAt(t.at),
			}, Detail: t.name,
			})
			outOfBounds = true
			continue
		case t.offset < covered && t.bytes > 0:
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "gguf_overlap", Severity: finding.High,
				Message: fmt.Sprintf("tensor bytes at %d overlap tensor %q, which ends at %d", t.offset, prev, covered),
				Offset:  offsetAt(t.at),
			}, Detail: t.name,
			})
		case allSized && t.offset >= covered+alignment:
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "gguf_gap", Severity: finding.Medium,
				Message: fmt.Sprintf("%d bytes before tensor %q belong to no tensor (room for a hidden payload)", t.offset-covered, t.name),
				Offset:  offsetAt(int64(dataStart + covered)),
			}, Detail: t.name,
			})
		}
		if end > covered {
			covered, prev = end, t.name
		}
	}
	if allSized && !outOfBounds && len(tensors) > 0 && dataLen >= covered+alignment {
		findings = append(findings, Finding{Finding: finding.Finding{
			Type: "gguf_trailing_data", Severity: finding.Medium,
			Message: fmt.Sprintf("%d bytes after the last tensor belong to no tensor (room for a hidden payload)", dataLen-covered),
			Offset:  offsetAt(int64(dataStart + covered)),
		},
		})
	}
	return findings
}
