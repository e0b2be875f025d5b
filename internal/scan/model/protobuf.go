package model

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// This file is a minimal reader for the protobuf wire format, enough to walk
// ONNX ModelProto and TensorFlow SavedModel files without generated code. It
// reads through a small window cache over the Source, so a length-delimited
// field (a multi-gigabyte raw_data tensor, say) is skipped by moving an
// offset, never read.

// Protobuf wire types.
const (
	pbVarint  = 0
	pbFixed64 = 1
	pbBytes   = 2
	pbFixed32 = 5
)

const (
	// pbMaxDepth bounds message nesting: real ONNX and TensorFlow files
	// nest a few levels (graphs inside If/Loop attributes add some), and a
	// hostile file must not drive the walk into unbounded recursion.
	pbMaxDepth = 64
	// pbWindowSize is the read-ahead window for tags and varints.
	pbWindowSize = 32 << 10
	// pbCheckEvery is how many fields pass between context checks.
	pbCheckEvery = 4096
)

// errProtobuf marks malformed protobuf data; errors.Is finds it through the
// offset context added around it.
var errProtobuf = errors.New("malformed protobuf")

// pbField is one decoded field. For varint, fixed32 and fixed64 fields Val
// holds the value; for length-delimited fields Off and Len locate the payload
// in the Source, unread.
type pbField struct {
	Num  uint32
	Wire uint8
	Val  uint64
	// Tag is the offset of the field's tag, for findings.
	Tag int64
	Off int64
	Len int64
}

// pbReader decodes protobuf messages from a random-access Source.
type pbReader struct {
	src    io.ReaderAt
	size   int64
	win    []byte
	winOff int64
}

// newPBReader returns a reader over the first size bytes of src.
func newPBReader(src io.ReaderAt, size int64) *pbReader {
	return &pbReader{src: src, size: size, winOff: -1}
}

// byteAt returns the byte at off, refilling the window when off falls
// outside it.
func (r *pbReader) byteAt(off int64) (byte, error) {
	if off < 0 || off >= r.size {
		return 0, fmt.Errorf("%w: read past end at offset %d", errProtobuf, off)
	}
	if r.winOff < 0 || off < r.winOff || off >= r.winOff+int64(len(r.win)) {
		n := min(int64(pbWindowSize), r.size-off)
		if cap(r.win) < int(n) {
			r.win = make([]byte, pbWindowSize)
		}
		r.win = r.win[:n]
		got, err := r.src.ReadAt(r.win, off)
		if got < int(n) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			r.winOff = -1
			return 0, fmt.Errorf("reading protobuf at offset %d: %w", off, err)
		}
		r.winOff = off
	}
	return r.win[off-r.winOff], nil
}

// varint decodes a base-128 varint at off that must end before end; it
// returns the value and the offset just after it.
func (r *pbReader) varint(off, end int64) (uint64, int64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		if off+int64(i) >= end {
			return 0, 0, fmt.Errorf("%w: truncated varint at offset %d", errProtobuf, off)
		}
		b, err := r.byteAt(off + int64(i))
		if err != nil {
			return 0, 0, err
		}
		if i == 9 && b > 1 {
			return 0, 0, fmt.Errorf("%w: varint overflows 64 bits at offset %d", errProtobuf, off)
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, off + int64(i) + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: varint longer than 10 bytes at offset %d", errProtobuf, off)
}

// fixed decodes an n-byte little-endian integer at off.
func (r *pbReader) fixed(off int64, n int) (uint64, error) {
	var v uint64
	for i := range n {
		b, err := r.byteAt(off + int64(i))
		if err != nil {
			return 0, err
		}
		v |= uint64(b) << (8 * i)
	}
	return v, nil
}

// bytes reads the payload of a length-delimited field, at most limit bytes
// of it; truncated reports whether the payload was longer.
func (r *pbReader) bytes(f pbField, limit int) (b []byte, truncated bool, err error) {
	n := f.Len
	if n > int64(limit) {
		n, truncated = int64(limit), true
	}
	b = make([]byte, n)
	if _, err := r.src.ReadAt(b, f.Off); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, fmt.Errorf("reading protobuf field %d at offset %d: %w", f.Num, f.Off, err)
	}
	return b, truncated, nil
}

// str reads a string field of at most limit bytes, replacing invalid UTF-8
// so the result is safe to put into a finding; longer strings are cut and
// marked with an ellipsis.
func (r *pbReader) str(f pbField, limit int) (string, error) {
	b, truncated, err := r.bytes(f, limit)
	if err != nil {
		return "", err
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if truncated {
		s += "…"
	}
	return s, nil
}

// walk calls fn for every field of the message stored in [off, end). depth
// is the nesting level of that message (0 for the top level); callers pass
// depth+1 when they descend into a field, and walk refuses to go deeper than
// pbMaxDepth. An error from fn stops the walk and is returned as is.
func (r *pbReader) walk(ctx context.Context, off, end int64, depth int, fn func(pbField) error) error {
	if depth > pbMaxDepth {
		return fmt.Errorf("%w: messages nested deeper than %d at offset %d", errProtobuf, pbMaxDepth, off)
	}
	if off < 0 || end > r.size || off > end {
		return fmt.Errorf("%w: message [%d, %d) outside the %d-byte input", errProtobuf, off, end, r.size)
	}
	for n := 0; off < end; n++ {
		if n%pbCheckEvery == pbCheckEvery-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		tag, next, err := r.varint(off, end)
		if err != nil {
			return err
		}
		f := pbField{Num: uint32(tag >> 3), Wire: uint8(tag & 7), Tag: off}
		if f.Num == 0 || tag>>3 > 1<<29-1 {
			return fmt.Errorf("%w: invalid field number %d at offset %d", errProtobuf, tag>>3, off)
		}
		switch f.Wire {
		case pbVarint:
			f.Off = next
			f.Val, next, err = r.varint(next, end)
		case pbFixed64, pbFixed32:
			width := 8
			if f.Wire == pbFixed32 {
				width = 4
			}
			if end-next < int64(width) {
				return fmt.Errorf("%w: truncated fixed%d field %d at offset %d", errProtobuf, width*8, f.Num, off)
			}
			f.Off = next
			f.Val, err = r.fixed(next, width)
			next += int64(width)
		case pbBytes:
			var n uint64
			n, next, err = r.varint(next, end)
			if err == nil && n > uint64(end-next) {
				err = fmt.Errorf("%w: field %d at offset %d claims %d bytes, only %d left in its message", errProtobuf, f.Num, off, n, end-next)
			}
			f.Off, f.Len = next, int64(n)
			next += int64(n)
		default:
			// Groups (wire types 3 and 4) are deprecated and appear in
			// neither ONNX nor TensorFlow files.
			err = fmt.Errorf("%w: unsupported wire type %d for field %d at offset %d", errProtobuf, f.Wire, f.Num, off)
		}
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		off = next
	}
	return nil
}

// pbHeadFields decodes the fields that lie wholly or partly inside head, a
// prefix of a file, for content sniffing. It stops at the first malformed
// field or at a length-delimited field running past the head, which is
// normal for a large message, and returns the fields seen (the last one's
// payload may be cut) and whether everything before that point was valid.
func pbHeadFields(head []byte, maxFields int) (fields []pbField, ok bool) {
	r := newPBReader(sliceSource(head), int64(len(head)))
	end := int64(len(head))
	off := int64(0)
	for off < end && len(fields) < maxFields {
		tag, next, err := r.varint(off, end)
		if err != nil {
			return fields, len(fields) > 0
		}
		f := pbField{Num: uint32(tag >> 3), Wire: uint8(tag & 7), Tag: off}
		if f.Num == 0 || tag>>3 > 1<<29-1 {
			return fields, false
		}
		switch f.Wire {
		case pbVarint:
			f.Val, next, err = r.varint(next, end)
			if err != nil {
				return fields, len(fields) > 0
			}
		case pbFixed64:
			next += 8
		case pbFixed32:
			next += 4
		case pbBytes:
			var n uint64
			n, next, err = r.varint(next, end)
			if err != nil {
				return fields, len(fields) > 0
			}
			f.Off, f.Len = next, int64(min(n, 1<<62))
			next += f.Len
		default:
			return fields, false
		}
		fields = append(fields, f)
		off = next
	}
	return fields, true
}

// sliceSource adapts a byte slice to io.ReaderAt without copying.
type sliceSource []byte

// ReadAt implements io.ReaderAt.
func (b sliceSource) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Size returns the length, so a byte slice is also a Source.
func (b sliceSource) Size() int64 { return int64(len(b)) }
