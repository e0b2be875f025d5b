package model

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// This file reads just enough HDF5 to find the attributes of the root
// group, where Keras keeps model_config: the superblock (versions 0 to 3),
// the root object header (version 1, or version 2 "OHDR"), its continuation
// blocks, attribute messages, and the global heap for variable-length
// strings. Dense attribute storage (a fractal heap) and shared datatypes are
// not followed; the Keras scanner falls back to a byte search for those.

const h5Signature = "\x89HDF\r\n\x1a\n"

// Object header message types used here.
const (
	h5MsgAttribute    = 0x000C
	h5MsgContinuation = 0x0010
	h5MsgAttrInfo     = 0x0015
)

const (
	// h5MaxMessages bounds the header messages visited.
	h5MaxMessages = 1 << 16
	// h5MaxBlock bounds one object header chunk read into memory.
	h5MaxBlock = 16 << 20
	// h5MaxValue bounds one attribute value.
	h5MaxValue = 64 << 20
)

// errHDF5 marks malformed or unsupported HDF5 structures.
var errHDF5 = errors.New("malformed HDF5")

// h5Attr is one root attribute: its name, raw value (the string bytes for
// string attributes) and the file offset of the value.
type h5Attr struct {
	Name   string
	Value  []byte
	Offset int64
}

// h5File is an HDF5 file being walked.
type h5File struct {
	src              io.ReaderAt
	size             int64
	offSize, lenSize int
	base             int64
	// visited holds the header chunks already read, so a continuation
	// loop ends.
	visited  map[int64]bool
	messages int
}

// h5RootAttributes returns the root group attributes whose names want
// accepts. It returns the attributes found so far with any error.
func h5RootAttributes(ctx context.Context, src Source, want func(string) bool) ([]h5Attr, error) {
	h := &h5File{src: src, size: src.Size(), visited: map[int64]bool{}}
	root, err := h.superblock()
	if err != nil {
		return nil, err
	}
	return h.objectAttributes(ctx, root, want)
}

// read returns n bytes at off, with bounds checked against the file.
func (h *h5File) read(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > h.size || n > h.size-off {
		return nil, fmt.Errorf("%w: %d bytes at offset %d run past the %d-byte file", errHDF5, n, off, h.size)
	}
	b := make([]byte, n)
	if got, err := h.src.ReadAt(b, off); got < len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading HDF5 at offset %d: %w", off, err)
	}
	return b, nil
}

// h5Uint reads a little-endian unsigned integer of width bytes.
func h5Uint(b []byte, width int) uint64 {
	var v uint64
	for i := 0; i < width && i < len(b); i++ {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

// addr converts a stored address to a file offset; ok is false for the
// undefined address (all ones) and for addresses outside the file.
func (h *h5File) addr(b []byte) (int64, bool) {
	v := h5Uint(b, h.offSize)
	if h.offSize < 8 && v == 1<<(8*h.offSize)-1 || v == ^uint64(0) {
		return 0, false
	}
	if v >= uint64(h.size) || int64(v) > h.size-h.base {
		return 0, false
	}
	return h.base + int64(v), true
}

// superblock finds and decodes the superblock, returning the root group's
// object header offset.
func (h *h5File) superblock() (int64, error) {
	at := int64(-1)
	for off := int64(0); off+8 <= h.size && off <= 1<<30; off = max(512, off*2) {
		b, err := h.read(off, 8)
		if err != nil {
			return 0, err
		}
		if string(b) == h5Signature {
			at = off
			break
		}
	}
	if at < 0 {
		return 0, fmt.Errorf("%w: no superblock signature", errHDF5)
	}
	hdr, err := h.read(at, min(h.size-at, 256))
	if err != nil {
		return 0, err
	}
	if len(hdr) < 16 {
		return 0, fmt.Errorf("%w: truncated superblock at offset %d", errHDF5, at)
	}
	version := hdr[8]
	var rootField int
	switch version {
	case 0, 1:
		h.offSize, h.lenSize = int(hdr[13]), int(hdr[14])
		fixed := 24
		if version == 1 {
			fixed = 28
		}
		// base, free-space, end-of-file and driver addresses, then the
		// root symbol table entry: link name offset, object header.
		rootField = fixed + 5*h.offSize
	case 2, 3:
		h.offSize, h.lenSize = int(hdr[9]), int(hdr[10])
		// base, extension, end-of-file, root object header.
		rootField = 12 + 3*h.offSize
	default:
		return 0, fmt.Errorf("%w: unsupported superblock version %d", errHDF5, version)
	}
	if !h5ValidSize(h.offSize) || !h5ValidSize(h.lenSize) {
		return 0, fmt.Errorf("%w: bad offset/length sizes %d/%d in superblock", errHDF5, h.offSize, h.lenSize)
	}
	if len(hdr) < rootField+h.offSize {
		return 0, fmt.Errorf("%w: truncated superblock at offset %d", errHDF5, at)
	}
	baseField := 24
	if version == 1 {
		baseField = 28
	} else if version >= 2 {
		baseField = 12
	}
	h.base = int64(h5Uint(hdr[baseField:], h.offSize))
	if h.base < 0 || h.base > h.size {
		return 0, fmt.Errorf("%w: base address %d outside the file", errHDF5, h.base)
	}
	root, ok := h.addr(hdr[rootField:])
	if !ok {
		return 0, fmt.Errorf("%w: root object header address outside the file", errHDF5)
	}
	return root, nil
}

func h5ValidSize(n int) bool { return n == 2 || n == 4 || n == 8 }

// h5Chunk is a run of header messages to decode.
type h5Chunk struct {
	off, len int64
	v2       bool
	// flags are the version 2 header flags (creation-order field size).
	flags byte
}

// objectAttributes decodes the object header at off and returns its
// attributes that want accepts.
func (h *h5File) objectAttributes(ctx context.Context, off int64, want func(string) bool) ([]h5Attr, error) {
	first, err := h.headerPrefix(off)
	if err != nil {
		return nil, err
	}
	var attrs []h5Attr
	queue := []h5Chunk{first}
	dense := false
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return attrs, err
		}
		c := queue[0]
		queue = queue[1:]
		if h.visited[c.off] {
			continue
		}
		h.visited[c.off] = true
		if c.len > h5MaxBlock {
			return attrs, fmt.Errorf("%w: header chunk of %d bytes at offset %d", errHDF5, c.len, c.off)
		}
		block, err := h.read(c.off, c.len)
		if err != nil {
			return attrs, err
		}
		err = h.eachMessage(block, c, func(typ int, data []byte, at int64) error {
			switch typ {
			case h5MsgContinuation:
				if len(data) < h.offSize+h.lenSize {
					return fmt.Errorf("%w: short continuation message at offset %d", errHDF5, at)
				}
				next, ok := h.addr(data)
				length := int64(h5Uint(data[h.offSize:], h.lenSize))
				if !ok || length < 0 || length > h.size-next {
					return fmt.Errorf("%w: continuation block outside the file (message at offset %d)", errHDF5, at)
				}
				nc := h5Chunk{off: next, len: length, v2: c.v2, flags: c.flags}
				if c.v2 {
					sig, err := h.read(next, 4)
					if err != nil {
						return err
					}
					if string(sig) != "OCHK" || length < 8 {
						return fmt.Errorf("%w: bad continuation block signature at offset %d", errHDF5, next)
					}
					nc.off, nc.len = next+4, length-8 // signature and checksum
				}
				queue = append(queue, nc)
			case h5MsgAttrInfo:
				dense = true
			case h5MsgAttribute:
				a, err := h.attribute(data, at, want)
				if err != nil {
					return err
				}
				if a != nil {
					attrs = append(attrs, *a)
				}
			}
			return nil
		})
		if err != nil {
			return attrs, err
		}
	}
	if dense && len(attrs) == 0 {
		return attrs, fmt.Errorf("%w: attributes in dense storage (fractal heap) are not read", errHDF5)
	}
	return attrs, nil
}

// headerPrefix decodes an object header's prefix and returns its first
// chunk of messages.
func (h *h5File) headerPrefix(off int64) (h5Chunk, error) {
	p, err := h.read(off, min(h.size-off, 32))
	if err != nil {
		return h5Chunk{}, err
	}
	if len(p) >= 16 && p[0] == 1 {
		// Version 1: version, reserved, message count (2), reference
		// count (4), header size (4), padding to 16.
		return h5Chunk{off: off + 16, len: int64(binary.LittleEndian.Uint32(p[8:12]))}, nil
	}
	if len(p) >= 6 && string(p[:4]) == "OHDR" && p[4] == 2 {
		flags := p[5]
		n := 6
		if flags&0x20 != 0 {
			n += 16 // access, modification, change and birth times
		}
		if flags&0x10 != 0 {
			n += 4 // attribute phase-change values
		}
		width := 1 << (flags & 3)
		if len(p) < n+width {
			return h5Chunk{}, fmt.Errorf("%w: truncated object header at offset %d", errHDF5, off)
		}
		size := int64(h5Uint(p[n:], width))
		return h5Chunk{off: off + int64(n+width), len: size, v2: true, flags: flags}, nil
	}
	return h5Chunk{}, fmt.Errorf("%w: no object header at offset %d", errHDF5, off)
}

// eachMessage calls fn for each header message in block, a chunk c read from
// the file.
func (h *h5File) eachMessage(block []byte, c h5Chunk, fn func(typ int, data []byte, at int64) error) error {
	for i := 0; i < len(block); {
		h.messages++
		if h.messages > h5MaxMessages {
			return fmt.Errorf("%w: more than %d header messages", errHDF5, h5MaxMessages)
		}
		var typ, size, hdr int
		if c.v2 {
			hdr = 4
			if c.flags&0x04 != 0 {
				hdr = 6 // creation order
			}
			if len(block)-i < hdr {
				return nil // gap at the end of the chunk
			}
			typ, size = int(block[i]), int(binary.LittleEndian.Uint16(block[i+1:]))
		} else {
			hdr = 8
			if len(block)-i < hdr {
				return nil
			}
			typ, size = int(binary.LittleEndian.Uint16(block[i:])), int(binary.LittleEndian.Uint16(block[i+2:]))
		}
		start := i + hdr
		if size > len(block)-start {
			return fmt.Errorf("%w: header message of %d bytes overruns its chunk at offset %d", errHDF5, size, c.off+int64(i))
		}
		if err := fn(typ, block[start:start+size], c.off+int64(start)); err != nil {
			return err
		}
		i = start + size
	}
	return nil
}

// attribute decodes an attribute message (versions 1 to 3) and, when want
// accepts its name, its value as bytes: fixed-length strings directly,
// variable-length strings through the global heap, anything else raw.
func (h *h5File) attribute(data []byte, at int64, want func(string) bool) (*h5Attr, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: short attribute message at offset %d", errHDF5, at)
	}
	version, flags := data[0], data[1]
	nameSize := int(binary.LittleEndian.Uint16(data[2:]))
	dtSize := int(binary.LittleEndian.Uint16(data[4:]))
	dsSize := int(binary.LittleEndian.Uint16(data[6:]))
	pad := func(n int) int { return n }
	i := 8
	switch version {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		i = 9 // name character set
	default:
		return nil, fmt.Errorf("%w: attribute message version %d at offset %d", errHDF5, version, at)
	}
	if nameSize == 0 || i+pad(nameSize)+pad(dtSize)+pad(dsSize) > len(data) {
		return nil, fmt.Errorf("%w: attribute message fields overrun it at offset %d", errHDF5, at)
	}
	name := string(data[i : i+nameSize-1]) // the size counts the NUL
	i += pad(nameSize)
	dt := data[i : i+dtSize]
	i += pad(dtSize) + pad(dsSize)
	if !want(name) {
		return nil, nil
	}
	value := data[i:]
	valueAt := at + int64(i)
	if flags&0x03 != 0 || len(dt) < 8 {
		// Shared datatype or dataspace: the value layout is not known
		// here, so hand over the raw bytes.
		return &h5Attr{Name: name, Value: value, Offset: valueAt}, nil
	}
	class := dt[0] & 0x0f
	elem := int64(binary.LittleEndian.Uint32(dt[4:]))
	switch {
	case class == 3: // fixed-length string
		if elem < int64(len(value)) {
			value = value[:elem]
		}
		for len(value) > 0 && (value[len(value)-1] == 0 || value[len(value)-1] == ' ') {
			value = value[:len(value)-1]
		}
	case class == 9 && dt[1]&0x0f == 1: // variable-length string
		v, off, err := h.globalHeapString(value, valueAt)
		if err != nil {
			return nil, err
		}
		value, valueAt = v, off
	}
	return &h5Attr{Name: name, Value: value, Offset: valueAt}, nil
}

// globalHeapString resolves a variable-length string reference (length,
// collection address, object index) through the global heap.
func (h *h5File) globalHeapString(ref []byte, at int64) ([]byte, int64, error) {
	if len(ref) < 4+h.offSize+4 {
		return nil, 0, fmt.Errorf("%w: short variable-length reference at offset %d", errHDF5, at)
	}
	coll, ok := h.addr(ref[4:])
	if !ok {
		return nil, 0, fmt.Errorf("%w: global heap address outside the file (reference at offset %d)", errHDF5, at)
	}
	index := binary.LittleEndian.Uint32(ref[4+h.offSize:])
	head, err := h.read(coll, int64(8+h.lenSize))
	if err != nil {
		return nil, 0, err
	}
	if string(head[:4]) != "GCOL" {
		return nil, 0, fmt.Errorf("%w: no global heap collection at offset %d", errHDF5, coll)
	}
	collSize := int64(h5Uint(head[8:], h.lenSize))
	if collSize < 0 || collSize > h.size-coll || collSize > h5MaxValue+(1<<20) {
		return nil, 0, fmt.Errorf("%w: global heap collection size %d at offset %d", errHDF5, collSize, coll)
	}
	objHdr := 8 + h.lenSize // index, refcount, reserved, size
	for off := coll + int64(8+h.lenSize); off+int64(objHdr) <= coll+collSize; {
		oh, err := h.read(off, int64(objHdr))
		if err != nil {
			return nil, 0, err
		}
		idx := binary.LittleEndian.Uint16(oh)
		size := int64(h5Uint(oh[8:], h.lenSize))
		if idx == 0 {
			break // free space: the rest of the collection
		}
		if size < 0 || size > coll+collSize-off-int64(objHdr) {
			return nil, 0, fmt.Errorf("%w: global heap object overruns its collection at offset %d", errHDF5, off)
		}
		if uint32(idx) == index {
			v, err := h.read(off+int64(objHdr), size)
			return v, off + int64(objHdr), err
		}
		off += int64(objHdr) + (size+7)&^7
	}
	return nil, 0, fmt.Errorf("%w: global heap object %d not found at offset %d", errHDF5, index, coll)
}
