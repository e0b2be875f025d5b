package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Pickle opcodes, protocols 0 to 5, as CPython's pickle.py defines them.
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opInst           = 'i'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opObj            = 'o'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'

	// Protocol 2.
	opProto    = 0x80
	opNewObj   = 0x81
	opExt1     = 0x82
	opExt2     = 0x83
	opExt4     = 0x84
	opTuple1   = 0x85
	opTuple2   = 0x86
	opTuple3   = 0x87
	opNewTrue  = 0x88
	opNewFalse = 0x89
	opLong1    = 0x8a
	opLong4    = 0x8b

	// Protocol 3.
	opBinBytes      = 'B'
	opShortBinBytes = 'C'

	// Protocol 4.
	opShortBinUnicode = 0x8c
	opBinUnicode8     = 0x8d
	opBinBytes8       = 0x8e
	opEmptySet        = 0x8f
	opAddItems        = 0x90
	opFrozenSet       = 0x91
	opNewObjEx        = 0x92
	opStackGlobal     = 0x93
	opMemoize         = 0x94
	opFrame           = 0x95

	// Protocol 5.
	opByteArray8     = 0x96
	opNextBuffer     = 0x97
	opReadonlyBuffer = 0x98
)

// opNames names every valid opcode; a byte missing here is not an opcode.
var opNames = map[byte]string{
	opMark: "MARK", opStop: "STOP", opPop: "POP", opPopMark: "POP_MARK",
	opDup: "DUP", opFloat: "FLOAT", opInt: "INT", opBinInt: "BININT",
	opBinInt1: "BININT1", opLong: "LONG", opBinInt2: "BININT2", opNone: "NONE",
	opPersID: "PERSID", opBinPersID: "BINPERSID", opReduce: "REDUCE",
	opString: "STRING", opBinString: "BINSTRING", opShortBinString: "SHORT_BINSTRING",
	opUnicode: "UNICODE", opBinUnicode: "BINUNICODE", opAppend: "APPEND",
	opBuild: "BUILD", opGlobal: "GLOBAL", opDict: "DICT", opEmptyDict: "EMPTY_DICT",
	opAppends: "APPENDS", opGet: "GET", opBinGet: "BINGET", opInst: "INST",
	opLongBinGet: "LONG_BINGET", opList: "LIST", opEmptyList: "EMPTY_LIST",
	opObj: "OBJ", opPut: "PUT", opBinPut: "BINPUT", opLongBinPut: "LONG_BINPUT",
	opSetItem: "SETITEM", opTuple: "TUPLE", opEmptyTuple: "EMPTY_TUPLE",
	opSetItems: "SETITEMS", opBinFloat: "BINFLOAT",
	opProto: "PROTO", opNewObj: "NEWOBJ", opExt1: "EXT1", opExt2: "EXT2",
	opExt4: "EXT4", opTuple1: "TUPLE1", opTuple2: "TUPLE2", opTuple3: "TUPLE3",
	opNewTrue: "NEWTRUE", opNewFalse: "NEWFALSE", opLong1: "LONG1", opLong4: "LONG4",
	opBinBytes: "BINBYTES", opShortBinBytes: "SHORT_BINBYTES",
	opShortBinUnicode: "SHORT_BINUNICODE", opBinUnicode8: "BINUNICODE8",
	opBinBytes8: "BINBYTES8", opEmptySet: "EMPTY_SET", opAddItems: "ADDITEMS",
	opFrozenSet: "FROZENSET", opNewObjEx: "NEWOBJ_EX", opStackGlobal: "STACK_GLOBAL",
	opMemoize: "MEMOIZE", opFrame: "FRAME",
	opByteArray8: "BYTEARRAY8", opNextBuffer: "NEXT_BUFFER", opReadonlyBuffer: "READONLY_BUFFER",
}

// errTruncated marks a stream that ends inside an opcode or before STOP.
var errTruncated = errors.New("truncated pickle")

// pickleReader reads a pickle stream with a fixed-size buffer. Skipping a
// long argument (inline tensor bytes, joblib array data) seeks when the
// underlying reader can, so memory stays constant whatever the file size.
type pickleReader struct {
	br      *bufio.Reader
	under   io.Reader
	seeker  io.Seeker // nil for pure streams (decompressors)
	pos     int64     // offset of the next unread byte, from the stream start
	scratch []byte
}

// pickleBufSize is the read buffer; it also bounds the longest text line
// (protocol 0 strings) kept in memory.
const pickleBufSize = 64 << 10

func newPickleReader(r io.Reader) *pickleReader {
	pr := &pickleReader{br: bufio.NewReaderSize(r, pickleBufSize), under: r}
	if s, ok := r.(io.Seeker); ok {
		pr.seeker = s
	}
	return pr
}

// readByte returns the next byte.
func (r *pickleReader) readByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err != nil {
		return 0, err
	}
	r.pos++
	return b, nil
}

// peek returns up to n upcoming bytes without consuming them.
func (r *pickleReader) peek(n int) []byte {
	b, _ := r.br.Peek(n)
	return b
}

// readFull reads exactly n bytes (n is small: fixed-size arguments and
// kept prefixes). The slice is valid until the next read.
func (r *pickleReader) readFull(n int) ([]byte, error) {
	if cap(r.scratch) < n {
		r.scratch = make([]byte, n)
	}
	b := r.scratch[:n]
	m, err := io.ReadFull(r.br, b)
	r.pos += int64(m)
	if err != nil {
		return nil, errTruncated
	}
	return b, nil
}

// readArg reads a length-prefixed argument of n bytes, keeping at most
// keep bytes of it and skipping the rest.
func (r *pickleReader) readArg(n int64, keep int) (kept []byte, truncated bool, err error) {
	if n < 0 {
		return nil, false, fmt.Errorf("negative length %d", n)
	}
	k := n
	if k > int64(keep) {
		k = int64(keep)
	}
	b, err := r.readFull(int(k))
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), b...)
	if n > k {
		if err := r.skip(n - k); err != nil {
			return out, true, err
		}
		return out, true, nil
	}
	return out, false, nil
}

// skip advances n bytes, seeking past what is not buffered when possible.
func (r *pickleReader) skip(n int64) error {
	if buf := int64(r.br.Buffered()); n <= buf || r.seeker == nil {
		m, err := r.br.Discard(int(min(n, int64(int(^uint(0)>>1)))))
		r.pos += int64(m)
		if err != nil || int64(m) < n {
			return errTruncated
		}
		return nil
	}
	buf := int64(r.br.Buffered())
	if _, err := r.br.Discard(int(buf)); err != nil {
		return errTruncated
	}
	rest := n - buf
	// The bufio reader has consumed the underlying reader up to its read
	// position; seek relative to that.
	cur, err := r.seeker.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	end, err := r.seeker.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	if cur+rest > end {
		_, _ = r.seeker.Seek(end, io.SeekStart)
		r.br.Reset(r.under)
		r.pos += end - cur + buf
		return errTruncated
	}
	if _, err := r.seeker.Seek(cur+rest, io.SeekStart); err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	r.br.Reset(r.under)
	r.pos += n
	return nil
}

// readLine reads up to and excluding '\n', keeping at most max bytes (the
// rest of an over-long line is consumed and dropped).
func (r *pickleReader) readLine(max int) ([]byte, error) {
	var out []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.pos += int64(len(chunk))
		if room := max - len(out); room > 0 {
			c := chunk
			if len(c) > room {
				c = c[:room]
			}
			out = append(out, c...)
		}
		switch {
		case err == nil:
			if n := len(out); n > 0 && out[n-1] == '\n' {
				out = out[:n-1]
			}
			return out, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return out, errTruncated
		}
	}
}
