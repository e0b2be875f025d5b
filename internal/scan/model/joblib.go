package model

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/redoubt-sec/redoubt/finding"
)

// joblib files are pickles in which numpy arrays are replaced by
// NumpyArrayWrapper objects: right after the wrapper's BUILD opcode, the
// loader reads the array's raw bytes (or, for object arrays, a whole nested
// pickle) from the same stream, and then goes on with the next opcode. The
// pickle machine therefore has to know each array's byte size to find the
// next opcode, and has to scan the nested pickles of object arrays.
// joblib.dump may also compress the whole stream (zlib by default).

// skipJoblibArray consumes the data joblib interleaves after a
// NumpyArrayWrapper's BUILD, as NumpyArrayWrapper.read_array reads it.
func (m *pickleMachine) skipJoblibArray(state *pval, off int64) error {
	shape, _ := state.dictGet("shape")
	dtype, _ := state.dictGet("dtype")
	descr, hasObject := joblibDtype(dtype, 0)
	if hasObject {
		// The array was written with pickle.dump: a nested pickle, loaded
		// by a plain pickle.load with a fresh memo.
		if m.nested >= pickleMaxNested {
			return fmt.Errorf("offset %d: joblib object arrays nested more than %d deep", m.base+off, pickleMaxNested)
		}
		saved := struct {
			stack []*pval
			marks []int
			memo  map[int64]*pval
			n     int64
			sem   error
		}{m.stack, m.marks, m.memo, m.memoLen, m.semErr}
		m.stack, m.marks = nil, nil
		m.reset()
		m.nested++
		joblib := m.joblib
		m.joblib = false
		err := m.runOne(m.ctx)
		m.joblib = joblib
		m.nested--
		if err == nil {
			err = m.semErr
		}
		m.stack, m.marks, m.memo, m.memoLen, m.semErr = saved.stack, saved.marks, saved.memo, saved.n, saved.sem
		if err != nil {
			return fmt.Errorf("joblib object array at offset %d: %w", m.base+off, err)
		}
		return nil
	}
	count := int64(1)
	if shape != nil && (shape.kind == pkTuple || shape.kind == pkList) {
		for _, d := range shape.items {
			if d.kind != pkInt || d.big || d.num < 0 {
				return fmt.Errorf("offset %d: joblib array shape is not a tuple of sizes", m.base+off)
			}
			if d.num != 0 && count > math.MaxInt64/d.num {
				return fmt.Errorf("offset %d: joblib array size overflows", m.base+off)
			}
			count *= d.num
		}
	} else if shape != nil && shape.kind == pkInt {
		count = shape.num
	}
	itemSize, ok := descrItemSize(descr)
	if !ok {
		return fmt.Errorf("offset %d: joblib array dtype %q has no known item size", m.base+off, descr)
	}
	if itemSize > 0 && count > math.MaxInt64/itemSize {
		return fmt.Errorf("offset %d: joblib array size overflows", m.base+off)
	}
	if _, aligned := state.dictGet("numpy_array_alignment_bytes"); aligned {
		pad, err := m.r.readByte()
		if err != nil {
			return errTruncated
		}
		if err := m.r.skip(int64(pad)); err != nil {
			return err
		}
	}
	return m.r.skip(count * itemSize)
}

// joblibDtype finds the descriptor string of a pickled numpy.dtype object
// (numpy.dtype("f8", False, True) followed by BUILD) and whether it, or any
// field of a structured dtype, holds Python objects.
func joblibDtype(v *pval, depth int) (descr string, hasObject bool) {
	if v == nil || depth > 8 {
		return "", false
	}
	if v.kind == pkObject && v.fn != nil && v.fn.kind == pkGlobal && v.fn.str == "numpy.dtype" {
		if a := v.args.item(0); a.isStr() {
			descr = a.str
		}
		if len(descr) > 0 && descr[0] == 'O' {
			hasObject = true
		}
	}
	// Structured dtypes carry their fields' dtypes in the BUILD state.
	for _, sub := range []*pval{v.state, v.args} {
		if sub == nil {
			continue
		}
		for _, it := range sub.items {
			if _, obj := joblibDtype(it, depth+1); obj {
				hasObject = true
			}
		}
	}
	if v.kind == pkTuple || v.kind == pkDict || v.kind == pkList {
		for _, it := range v.items {
			if _, obj := joblibDtype(it, depth+1); obj {
				hasObject = true
			}
		}
	}
	return descr, hasObject
}

// Compression magics joblib.dump writes (and plain compressed pickles).
var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicBzip2 = []byte("BZh")
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicLz4   = []byte{0x04, 0x22, 0x4d, 0x18}
	magicZF    = []byte("ZF0x") // joblib < 0.10 zlib files
)

// decompressor opens a decompressing reader for a compressed head, or
// reports that the head is not a compression format this package reads.
func decompressor(head []byte, r io.Reader) (io.Reader, string, error) {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(r)
		return zr, "gzip", err
	case bytes.HasPrefix(head, magicBzip2):
		return bzip2.NewReader(r), "bzip2", nil
	case bytes.HasPrefix(head, magicZF) && len(head) >= 72:
		// "ZF0x" + hex length, padded to 72 bytes, then a zlib stream.
		if _, err := io.CopyN(io.Discard, r, 72); err != nil {
			return nil, "", err
		}
		zr, err := zlib.NewReader(r)
		return zr, "zlib", err
	case isZlibHeader(head):
		zr, err := zlib.NewReader(r)
		return zr, "zlib", err
	}
	return nil, "", errors.New("not a supported compression format")
}

// isZlibHeader checks the two-byte zlib header (deflate, valid checksum).
func isZlibHeader(h []byte) bool {
	return len(h) >= 2 && h[0]&0x0f == 8 && h[0]>>4 <= 7 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0
}

// joblibFormat scans a compressed joblib (or any zlib/gzip/bzip2
// compressed) pickle by decompressing it as a stream into the machine.
type joblibFormat struct{}

func newJoblib() formatScanner { return joblibFormat{} }

func (joblibFormat) Name() string { return "joblib" }

// Sniff decompresses the head and checks that it starts a pickle.
func (joblibFormat) Sniff(head []byte, _ string) bool {
	if bytes.HasPrefix(head, magicXz) || bytes.HasPrefix(head, magicLz4) {
		return true // cannot decompress: Scan reports it
	}
	zr, _, err := decompressor(head, bytes.NewReader(head))
	if err != nil {
		return false
	}
	buf := make([]byte, 512)
	n, _ := io.ReadFull(zr, buf)
	return n > 0 && looksLikePickle(buf[:n])
}

func (joblibFormat) Scan(ctx context.Context, src Source, _ string, s *Scanner) ([]Finding, error) {
	head := make([]byte, 80)
	n, _ := src.ReadAt(head, 0)
	head = head[:n]
	if bytes.HasPrefix(head, magicXz) || bytes.HasPrefix(head, magicLz4) {
		return []Finding{{Finding: finding.Finding{Type: "compressed_unsupported", Severity: finding.Medium, Offset: offsetAt(0),
			Message: "xz or lz4 compressed payload cannot be decompressed by this scanner; its contents were not checked"}}}, nil
	}
	zr, kind, err := decompressor(head, io.NewSectionReader(src, 0, src.Size()))
	if err != nil {
		return nil, fmt.Errorf("open compressed stream: %w", err)
	}
	// A bomb guard: the machine reads the decompressed stream once and
	// skips array payloads, so the cap only bounds time.
	lr := &io.LimitedReader{R: zr, N: s.opts.maxDecompressed}
	fs, err := scanPickleStream(ctx, lr, 0, s.policy, pickleOptions{joblib: true})
	if lr.N <= 0 {
		fs = append(fs, Finding{Finding: finding.Finding{Type: "compressed_size_limit", Severity: finding.Medium, Offset: offsetAt(0),
			Message: fmt.Sprintf("%s stream decompresses to more than %d bytes; the rest was not scanned", kind, s.opts.maxDecompressed)}})
	}
	// Offsets inside a decompressed stream do not map to the file.
	for i := range fs {
		fs[i].Offset = nil
	}
	return fs, err
}
