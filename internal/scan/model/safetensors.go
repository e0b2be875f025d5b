package model

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
)

// A safetensors file is an 8-byte little-endian header length, a JSON header
// mapping tensor names to dtype, shape and byte range, then the tensor data.
// Nothing in it runs code, so the worst it earns is suspicious: the checks
// below find headers that a strict loader rejects or that a lax one reads
// differently (overlapping tensors, bytes hidden between or after tensors).

// safetensorsMaxHeader is the header size limit of the reference loader.
const safetensorsMaxHeader = 100 << 20

// safetensorsBits is the size in bits of one element of each dtype.
var safetensorsBits = map[string]int64{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

type safetensorsScanner struct{}

// newSafetensors returns the scanner for safetensors files.
func newSafetensors() formatScanner { return safetensorsScanner{} }

// Name implements formatScanner.
func (safetensorsScanner) Name() string { return "safetensors" }

// Sniff recognises a plausible header length followed by the start of a
// JSON object.
func (safetensorsScanner) Sniff(head []byte, _ string) bool {
	if len(head) < 10 {
		return false
	}
	n := binary.LittleEndian.Uint64(head)
	if n < 2 || n > 1<<40 {
		return false
	}
	return head[8] == '{' && (head[9] == '"' || head[9] == '}' || head[9] == ' ' || head[9] == '\n')
}

// safetensorsEntry is one tensor's header entry.
type safetensorsEntry struct {
	name        string
	begin, end  uint64
	dtype       string
	shape       []json.Number
	dataOffsets []json.Number
}

// Scan implements formatScanner.
func (safetensorsScanner) Scan(ctx context.Context, src Source, _ string, _ *Scanner) ([]Finding, error) {
	size := src.Size()
	if size < 8 {
		return nil, fmt.Errorf("safetensors: %d-byte file is shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := src.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > safetensorsMaxHeader {
		return nil, fmt.Errorf("safetensors: header claims %d bytes, over the %d-byte limit", n, safetensorsMaxHeader)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("safetensors: header claims %d bytes but only %d follow (truncated file)", n, size-8)
	}
	header := make([]byte, n)
	if _, err := src.ReadAt(header, 8); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, fmt.Errorf("safetensors: reading %d-byte header: %w", n, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dataStart := 8 + int64(n)
	findings, entries, err := safetensorsHeader(header)
	if err != nil {
		return findings, fmt.Errorf("safetensors: %w", err)
	}
	findings = append(findings, safetensorsLayout(entries, uint64(size-dataStart), dataStart)...)
	findings = append(findings, Finding{Finding: finding.Finding{
		Type: "safetensors_info", Severity: finding.Info,
		Message: fmt.Sprintf("safetensors file, %d tensors, %d-byte header", len(entries), n),
	},
	})
	return findings, nil
}

// safetensorsHeader decodes the JSON header, checking each entry on its own.
// Entries with a usable byte range are returned for the layout checks.
func safetensorsHeader(header []byte) ([]Finding, []safetensorsEntry, error) {
	var findings []Finding
	flag := func(rule string, sev finding.Severity, msg, detail string) {
		findings = append(findings, Finding{Finding: finding.Finding{Type: rule, Severity: sev, Message: msg, Offset: offsetAt(8)}, Detail: detail})
	}
	if !utf8.Valid(header) {
		flag("safetensors_header_not_utf8", finding.Medium, "header is not valid UTF-8; the reference loader rejects it", "")
	}
	// The format allows trailing spaces after the JSON, to pad the data
	// section to an alignment.
	trimmed := bytes.TrimRight(header, " ")
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return findings, nil, fmt.Errorf("header is not a JSON object")
	}
	var entries []safetensorsEntry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return findings, nil, fmt.Errorf("invalid JSON header: %w", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return findings, nil, fmt.Errorf("invalid JSON header at key %q: %w", name, err)
		}
		if seen[name] {
			flag("safetensors_duplicate_key", finding.High, "header repeats a key; loaders disagree on which entry wins", name)
			continue
		}
		seen[name] = true
		if name == "__metadata__" {
			var meta map[string]any
			if json.Unmarshal(raw, &meta) != nil {
				flag("safetensors_bad_metadata", finding.Medium, "__metadata__ is not an object", "")
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(meta)) {
				if _, ok := meta[k].(string); !ok {
					flag("safetensors_bad_metadata", finding.Medium, "__metadata__ value is not a string; the format allows only string to string", k)
				}
			}
			continue
		}
		e, problem := safetensorsDecodeEntry(name, raw)
		if problem != "" {
			flag("safetensors_bad_tensor", finding.Medium, "tensor entry is invalid: "+problem, name)
			continue
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return findings, nil, fmt.Errorf("invalid JSON header: %w", err)
	}
	if dec.More() || dec.InputOffset() != int64(len(trimmed)) {
		flag("safetensors_header_trailing", finding.Medium, "header has bytes after its JSON object other than space padding", "")
	}
	return findings, entries, nil
}

// safetensorsDecodeEntry checks one tensor entry's fields and that its
// byte range matches its shape and dtype; it returns a problem description
// instead of the entry when something is wrong.
func safetensorsDecodeEntry(name string, raw json.RawMessage) (safetensorsEntry, string) {
	var e struct {
		Dtype       string        `json:"dtype"`
		Shape       []json.Number `json:"shape"`
		DataOffsets []json.Number `json:"data_offsets"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		return safetensorsEntry{}, "not an object with dtype, shape and data_offsets"
	}
	if len(e.DataOffsets) != 2 {
		return safetensorsEntry{}, "data_offsets must hold two numbers"
	}
	begin, err1 := parseUint(e.DataOffsets[0])
	end, err2 := parseUint(e.DataOffsets[1])
	if err1 != nil || err2 != nil {
		return safetensorsEntry{}, "data_offsets are not non-negative integers"
	}
	out := safetensorsEntry{name: name, begin: begin, end: end, dtype: e.Dtype}
	if end < begin {
		return out, fmt.Sprintf("data_offsets end %d before begin %d", end, begin)
	}
	bits, ok := safetensorsBits[e.Dtype]
	if !ok {
		return out, fmt.Sprintf("unknown dtype %q", e.Dtype)
	}
	// big.Int: a hostile shape can overflow any fixed-width product.
	numel := big.NewInt(1)
	for _, d := range e.Shape {
		v, err := parseUint(d)
		if err != nil {
			return out, fmt.Sprintf("shape entry %q is not a non-negative integer", d)
		}
		numel.Mul(numel, new(big.Int).SetUint64(v))
	}
	want := numel.Mul(numel, big.NewInt(bits))
	if new(big.Int).Mod(want, big.NewInt(8)).Sign() != 0 {
		return out, fmt.Sprintf("shape %v of %s does not fill whole bytes", e.Shape, e.Dtype)
	}
	want.Div(want, big.NewInt(8))
	if !want.IsUint64() || want.Uint64() != end-begin {
		return out, fmt.Sprintf("shape %v of %s needs %s bytes but data_offsets span %d", e.Shape, e.Dtype, want, end-begin)
	}
	return out, ""
}

// parseUint parses a JSON number as a uint64.
func parseUint(n json.Number) (uint64, error) {
	v, ok := new(big.Int).SetString(n.String(), 10)
	if !ok || v.Sign() < 0 || !v.IsUint64() {
		return 0, fmt.Errorf("not a non-negative integer: %s", n)
	}
	return v.Uint64(), nil
}

// safetensorsLayout checks the byte ranges against each other and the data
// section: in bounds, no overlaps, no holes, nothing after the last tensor.
func safetensorsLayout(entries []safetensorsEntry, dataLen uint64, dataStart int64) []Finding {
	var findings []Finding
	at := func(off uint64) int64 {
		if off > uint64(1<<62) {
			return -1
		}
		return dataStart + int64(off)
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b safetensorsEntry) int {
		if a.begin != b.begin {
			return cmp.Compare(a.begin, b.begin)
		}
		return cmp.Compare(a.end, b.end)
	})
	var covered uint64
	var prev string
	for _, e := range sorted {
		switch {
		case e.end > dataLen:
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "safetensors_out_of_bounds", Severity: finding.High,
				Message: fmt.Sprintf("tensor bytes [%d, %d) run past the %d-byte data section", e.begin, e.end, dataLen),
				Offset:  offsetAt(at(e.begin)),
			}, Detail: e.name,
			})
		case e.begin < covered && e.end > e.begin:
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "safetensors_overlap", Severity: finding.High,
				Message: fmt.Sprintf("tensor bytes [%d, %d) overlap tensor %q, which ends at %d", e.begin, e.end, prev, covered),
				Offset:  offsetAt(at(e.begin)),
			}, Detail: e.name,
			})
		case e.begin > covered:
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "safetensors_gap", Severity: finding.Medium,
				Message: fmt.Sprintf("%d bytes before tensor %q belong to no tensor (room for a hidden payload)", e.begin-covered, e.name),
				Offset:  offsetAt(at(covered)),
			}, Detail: e.name,
			})
		}
		if e.end > covered {
			covered, prev = e.end, e.name
		}
	}
	if covered < dataLen {
		findings = append(findings, Finding{Finding: finding.Finding{
			Type: "safetensors_trailing_data", Severity: finding.Medium,
			Message: fmt.Sprintf("%d bytes after the last tensor belong to no tensor (room for a hidden payload)", dataLen-covered),
			Offset:  offsetAt(at(covered)),
		},
		})
	}
	return findings
}
