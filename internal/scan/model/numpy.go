package model

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
)

// NumPy .npy files: a magic string, a version, a header that is a Python
// dict literal ({'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}),
// then the array data. When the dtype holds Python objects ('O'), the data
// is a pickle, which numpy.load(allow_pickle=True) unpickles: the machine
// scans it. Other arrays are checked for a consistent size and not read.

var npyMagic = []byte("\x93NUMPY")

// npyMaxHeader bounds the header we parse; numpy itself refuses headers
// over 10,000 bytes unless told otherwise.
const npyMaxHeader = 1 << 20

// npyHeader is a parsed .npy header.
type npyHeader struct {
	descr      pyLit
	fortran    bool
	shape      []int64
	dataOffset int64
}

// parseNPYHeader reads the header of a .npy at offset 0 of src.
func parseNPYHeader(src io.ReaderAt, size int64) (*npyHeader, error) {
	pre := make([]byte, 12)
	n, _ := src.ReadAt(pre, 0)
	if n < 10 || !bytes.Equal(pre[:6], npyMagic) {
		return nil, errors.New("not a .npy file (bad magic)")
	}
	var hlen, start int64
	switch pre[6] {
	case 1:
		hlen, start = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		if n < 12 {
			return nil, errTruncatedNPY
		}
		hlen, start = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return nil, fmt.Errorf("unsupported .npy version %d.%d", pre[6], pre[7])
	}
	if hlen > npyMaxHeader {
		return nil, fmt.Errorf(".npy header of %d bytes exceeds %d", hlen, npyMaxHeader)
	}
	if start+hlen > size {
		return nil, errTruncatedNPY
	}
	buf := make([]byte, hlen)
	if _, err := src.ReadAt(buf, start); err != nil {
		return nil, fmt.Errorf("read .npy header: %w", err)
	}
	lit, err := parsePyLiteral(strings.TrimRight(string(buf), " \n\x00"))
	if err != nil {
		return nil, fmt.Errorf(".npy header: %w", err)
	}
	if lit.kind != litDict {
		return nil, errors.New(".npy header is not a dict")
	}
	h := &npyHeader{dataOffset: start + hlen}
	d, ok := lit.get("descr")
	if !ok {
		return nil, errors.New(".npy header has no 'descr'")
	}
	h.descr = d
	if f, ok := lit.get("fortran_order"); ok {
		h.fortran = f.kind == litBool && f.n == 1
	}
	s, ok := lit.get("shape")
	if !ok || (s.kind != litTuple && s.kind != litList) {
		return nil, errors.New(".npy header has no 'shape' tuple")
	}
	for _, d := range s.items {
		if d.kind != litInt || d.n < 0 {
			return nil, errors.New(".npy shape holds a non-size")
		}
		h.shape = append(h.shape, d.n)
	}
	return h, nil
}

var errTruncatedNPY = errors.New("truncated .npy header")

// count returns the number of elements, or false on overflow.
func (h *npyHeader) count() (int64, bool) {
	c := int64(1)
	for _, d := range h.shape {
		if d != 0 && c > math.MaxInt64/d {
			return 0, false
		}
		c *= d
	}
	return c, true
}

// dtypeHasObject reports whether a descr (string or structured list)
// holds Python objects anywhere.
func dtypeHasObject(d pyLit) bool {
	switch d.kind {
	case litStr:
		s := strings.TrimLeft(d.s, "<>|=")
		return strings.HasPrefix(s, "O")
	case litList, litTuple:
		for _, f := range d.items {
			// A field is (name, descr) or (name, descr, shape).
			if f.kind == litTuple && len(f.items) >= 2 {
				if dtypeHasObject(f.items[1]) {
					return true
				}
			} else if dtypeHasObject(f) {
				return true
			}
		}
	}
	return false
}

// dtypeItemSize returns the byte size of one element of a descr.
func dtypeItemSize(d pyLit) (int64, bool) {
	switch d.kind {
	case litStr:
		return descrItemSize(d.s)
	case litList:
		var total int64
		for _, f := range d.items {
			if f.kind != litTuple || len(f.items) < 2 {
				return 0, false
			}
			sz, ok := dtypeItemSize(f.items[1])
			if !ok {
				return 0, false
			}
			if len(f.items) >= 3 {
				sub := f.items[2]
				dims := sub.items
				if sub.kind == litInt {
					dims = []pyLit{sub}
				}
				for _, dim := range dims {
					if dim.kind != litInt || dim.n < 0 || (dim.n != 0 && sz > math.MaxInt64/dim.n) {
						return 0, false
					}
					sz *= dim.n
				}
			}
			if total > math.MaxInt64-sz {
				return 0, false
			}
			total += sz
		}
		return total, true
	}
	return 0, false
}

// charCodeSizes are numpy's one-letter type codes that carry no size.
var charCodeSizes = map[byte]int64{
	'?': 1, 'b': 1, 'B': 1, 'h': 2, 'H': 2, 'i': 4, 'I': 4, 'l': 8, 'L': 8,
	'q': 8, 'Q': 8, 'e': 2, 'f': 4, 'd': 8, 'g': 16, 'F': 8, 'D': 16, 'G': 32,
	'O': 8, 'M': 8, 'm': 8, 'p': 8, 'P': 8,
}

// descrItemSize parses a numpy type string such as "<f8", "|b1", "<U10",
// "|S5", "V16", "<M8[ns]" or "O".
func descrItemSize(s string) (int64, bool) {
	s = strings.TrimLeft(s, "<>|=")
	if i := strings.IndexByte(s, '['); i >= 0 { // datetime unit
		s = s[:i]
	}
	if s == "" {
		return 0, false
	}
	kind, digits := s[0], s[1:]
	if digits == "" {
		n, ok := charCodeSizes[kind]
		return n, ok
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	switch kind {
	case 'U':
		if n > math.MaxInt64/4 {
			return 0, false
		}
		return n * 4, true
	case 'b', 'i', 'u', 'f', 'c', 'S', 'a', 'V', 'O', 'M', 'm', '?':
		return n, true
	}
	return 0, false
}

// npyFormat scans .npy files.
type npyFormat struct{}

func newNPY() formatScanner { return npyFormat{} }

func (npyFormat) Name() string { return "numpy" }

func (npyFormat) Sniff(head []byte, _ string) bool { return bytes.HasPrefix(head, npyMagic) }

func (npyFormat) Scan(ctx context.Context, src Source, _ string, s *Scanner) ([]Finding, error) {
	h, err := parseNPYHeader(src, src.Size())
	if err != nil {
		return nil, err
	}
	avail := src.Size() - h.dataOffset
	if dtypeHasObject(h.descr) {
		fs := []Finding{{Finding: finding.Finding{Type: "numpy_object_array", Severity: finding.Info, Offset: offsetAt(h.dataOffset),
			Message: "object array: its data is a pickle that numpy.load(allow_pickle=True) unpickles; scanned"}}}
		more, err := scanPickleStream(ctx, io.NewSectionReader(src, h.dataOffset, avail), h.dataOffset, s.policy, pickleOptions{})
		return append(fs, more...), err
	}
	count, ok := h.count()
	itemSize, ok2 := dtypeItemSize(h.descr)
	if !ok || !ok2 || (itemSize > 0 && count > math.MaxInt64/itemSize) {
		return nil, fmt.Errorf(".npy header: cannot size dtype %s with shape %v", h.descr, h.shape)
	}
	want := count * itemSize
	switch {
	case avail < want:
		return nil, fmt.Errorf(".npy data truncated: header declares %d bytes, file holds %d", want, avail)
	case avail > want:
		return []Finding{{Finding: finding.Finding{Type: "numpy_trailing_data", Severity: finding.Low, Offset: offsetAt(h.dataOffset + want),
			Message: fmt.Sprintf("%d bytes follow the array data; numpy.load ignores them", avail-want)}}}, nil
	}
	return nil, nil
}

// pyLit is a parsed Python literal, enough for .npy headers.
type pyLit struct {
	kind  litKind
	s     string
	n     int64
	items []pyLit // tuple/list items; dict: alternating key, value
}

type litKind uint8

const (
	litNone litKind = iota
	litBool
	litInt
	litStr
	litTuple
	litList
	litDict
)

func (l pyLit) String() string {
	switch l.kind {
	case litStr:
		return strconv.Quote(l.s)
	case litInt, litBool:
		return strconv.FormatInt(l.n, 10)
	case litNone:
		return "None"
	}
	parts := make([]string, len(l.items))
	for i, it := range l.items {
		parts[i] = it.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (l pyLit) get(key string) (pyLit, bool) {
	for i := 0; i+1 < len(l.items); i += 2 {
		if k := l.items[i]; k.kind == litStr && k.s == key {
			return l.items[i+1], true
		}
	}
	return pyLit{}, false
}

// parsePyLiteral parses dicts, lists, tuples, strings, integers, True,
// False and None: the subset numpy writes in headers.
func parsePyLiteral(s string) (pyLit, error) {
	p := &litParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return v, err
	}
	p.space()
	if p.i != len(p.s) {
		return v, fmt.Errorf("unexpected %q at column %d", p.s[p.i], p.i)
	}
	return v, nil
}

type litParser struct {
	s string
	i int
}

func (p *litParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) value(depth int) (pyLit, error) {
	if depth > 32 {
		return pyLit{}, errors.New("literal nests too deep")
	}
	p.space()
	if p.i >= len(p.s) {
		return pyLit{}, errors.New("unexpected end of literal")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.seq('}', litDict, depth)
	case c == '[':
		return p.seq(']', litList, depth)
	case c == '(':
		return p.seq(')', litTuple, depth)
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.s[p.i+1:], c)
		if end < 0 {
			return pyLit{}, fmt.Errorf("unterminated string at column %d", p.i)
		}
		v := pyLit{kind: litStr, s: p.s[p.i+1 : p.i+1+end]}
		p.i += end + 2
		return v, nil
	case c == '-' || (c >= '0' && c <= '9'):
		j := p.i + 1
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		txt := strings.TrimSuffix(p.s[p.i:j], "L")
		if j < len(p.s) && p.s[j] == 'L' { // Python 2 long literal
			j++
		}
		n, err := strconv.ParseInt(txt, 10, 64)
		if err != nil {
			return pyLit{}, fmt.Errorf("bad integer %q at column %d", txt, p.i)
		}
		p.i = j
		return pyLit{kind: litInt, n: n}, nil
	default:
		for word, v := range map[string]pyLit{"True": {kind: litBool, n: 1}, "False": {kind: litBool}, "None": {kind: litNone}} {
			if strings.HasPrefix(p.s[p.i:], word) {
				p.i += len(word)
				return v, nil
			}
		}
		return pyLit{}, fmt.Errorf("unexpected %q at column %d", c, p.i)
	}
}

// seq parses a bracketed, comma-separated sequence; dicts alternate key
// and value in items.
func (p *litParser) seq(closer byte, kind litKind, depth int) (pyLit, error) {
	p.i++ // opening bracket
	out := pyLit{kind: kind}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == closer {
			p.i++
			return out, nil
		}
		if len(out.items) > 4096 {
			return out, errors.New("literal has too many items")
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return out, err
		}
		out.items = append(out.items, v)
		p.space()
		if kind == litDict {
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return out, fmt.Errorf("expected ':' at column %d", p.i)
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return out, err
			}
			out.items = append(out.items, v)
			p.space()
		}
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == closer {
			p.i++
			return out, nil
		}
		return out, fmt.Errorf("expected ',' or %q at column %d", closer, p.i)
	}
}
