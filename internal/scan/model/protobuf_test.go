package model

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
)

// Protobuf encoding helpers for building ONNX and SavedModel fixtures.

func pbVarintBytes(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// pbV encodes a varint field.
func pbV(num int, v uint64) []byte {
	return append(pbVarintBytes(uint64(num)<<3|pbVarint), pbVarintBytes(v)...)
}

// pbS encodes a length-delimited field holding s.
func pbS(num int, s string) []byte { return pbB(num, []byte(s)) }

// pbB encodes a length-delimited field holding b.
func pbB(num int, b []byte) []byte {
	out := append(pbVarintBytes(uint64(num)<<3|pbBytes), pbVarintBytes(uint64(len(b)))...)
	return append(out, b...)
}

// pbM encodes a submessage field from its encoded fields.
func pbM(num int, fields ...[]byte) []byte { return pbB(num, bytes.Join(fields, nil)) }

// formatRules summarises findings at or above a severity as "rule/severity"
// strings, sorted, for comparison.
func formatRules(fs []Finding, atLeast finding.Severity) []string {
	var out []string
	for _, f := range fs {
		if f.Severity >= atLeast {
			out = append(out, f.Type+"/"+f.Severity.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pbCollect walks every message it can, recursively, the way the fuzz
// target does, and returns the fields it saw as "depth:num:wire".
func pbCollect(t testing.TB, data []byte, maxDepth int) ([]pbField, error) {
	r := newPBReader(sliceSource(data), int64(len(data)))
	var out []pbField
	var walk func(off, end int64, depth int) error
	walk = func(off, end int64, depth int) error {
		return r.walk(context.Background(), off, end, depth, func(f pbField) error {
			if f.Off < off || f.Off+f.Len > end || f.Tag < off {
				t.Fatalf("field %+v escapes its message [%d, %d)", f, off, end)
			}
			out = append(out, f)
			if f.Wire == pbBytes && depth < maxDepth {
				_ = walk(f.Off, f.Off+f.Len, depth+1) // payload may be a string
			}
			return nil
		})
	}
	return out, walk(0, int64(len(data)), 0)
}

func TestPBWalk(t *testing.T) {
	fixed64 := append(pbVarintBytes(3<<3|pbFixed64), 1, 0, 0, 0, 0, 0, 0, 0x80)
	fixed32 := append(pbVarintBytes(4<<3|pbFixed32), 0xff, 0xff, 0xff, 0xff)
	tests := []struct {
		name    string
		data    []byte
		want    []pbField
		wantErr bool
	}{
		{name: "empty", data: nil},
		{
			name: "scalars and bytes",
			data: bytes.Join([][]byte{pbV(1, 300), pbS(2, "hi"), fixed64, fixed32}, nil),
			want: []pbField{
				{Num: 1, Wire: pbVarint, Val: 300, Tag: 0, Off: 1},
				{Num: 2, Wire: pbBytes, Tag: 3, Off: 5, Len: 2},
				{Num: 3, Wire: pbFixed64, Val: 1<<63 | 1, Tag: 7, Off: 8},
				{Num: 4, Wire: pbFixed32, Val: 0xffffffff, Tag: 16, Off: 17},
			},
		},
		{name: "max varint", data: pbV(1, ^uint64(0)), want: []pbField{{Num: 1, Wire: pbVarint, Val: ^uint64(0), Off: 1}}},
		{name: "truncated varint", data: []byte{0x08, 0x80}, wantErr: true},
		{name: "varint overflow", data: []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, wantErr: true},
		{name: "length past end", data: []byte{0x12, 0x05, 'a'}, wantErr: true},
		{name: "field number zero", data: []byte{0x00, 0x01}, wantErr: true},
		{name: "group wire type", data: []byte{0x0b}, wantErr: true},
		{name: "truncated fixed32", data: []byte{0x0d, 1, 2}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPBReader(sliceSource(tt.data), int64(len(tt.data)))
			var got []pbField
			err := r.walk(context.Background(), 0, int64(len(tt.data)), 0, func(f pbField) error {
				got = append(got, f)
				return nil
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("walk error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !errors.Is(err, errProtobuf) {
					t.Errorf("error %v does not wrap errProtobuf", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPBWalkDepthLimit(t *testing.T) {
	msg := pbV(1, 1)
	for range pbMaxDepth + 2 {
		msg = pbB(1, msg)
	}
	_, err := pbCollect(t, msg, pbMaxDepth+10)
	if err != nil {
		t.Fatalf("top-level walk failed: %v", err)
	}
	r := newPBReader(sliceSource(msg), int64(len(msg)))
	if err := r.walk(context.Background(), 0, int64(len(msg)), pbMaxDepth+1, func(pbField) error { return nil }); !errors.Is(err, errProtobuf) {
		t.Errorf("walk at depth %d: error %v, want errProtobuf", pbMaxDepth+1, err)
	}
}

func TestPBWindowCrossing(t *testing.T) {
	// A field whose tag straddles the read window and a payload larger
	// than the window must decode the same as any other.
	big := bytes.Repeat([]byte{'x'}, pbWindowSize*2+7)
	data := bytes.Join([][]byte{pbS(1, string(big[:pbWindowSize-2])), pbV(2, 1<<40), pbB(3, big), pbV(4, 7)}, nil)
	fields, err := pbCollect(t, data, 0)
	if err != nil {
		t.Fatal(err)
	}
	var nums []uint32
	for _, f := range fields {
		nums = append(nums, f.Num)
	}
	if diff := cmp.Diff([]uint32{1, 2, 3, 4}, nums); diff != "" {
		t.Fatalf("field numbers (-want +got):\n%s", diff)
	}
	if fields[1].Val != 1<<40 || fields[3].Val != 7 || fields[2].Len != int64(len(big)) {
		t.Errorf("decoded %+v", fields)
	}
}

func TestPBContextCancel(t *testing.T) {
	var data []byte
	for range pbCheckEvery * 2 {
		data = append(data, pbV(1, 1)...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := newPBReader(sliceSource(data), int64(len(data)))
	if err := r.walk(ctx, 0, int64(len(data)), 0, func(pbField) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("walk on cancelled context: %v, want context.Canceled", err)
	}
}

func FuzzProtobuf(f *testing.F) {
	f.Add(pbM(7, pbM(1, pbS(4, "Relu")), pbM(5, pbS(8, "w"), pbV(14, 1))))
	f.Add([]byte{0x08, 0x80})
	f.Add(bytes.Repeat([]byte{0x0a, 0x7f}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = pbCollect(t, data, 8)
		_, _ = pbHeadFields(data, 32)
		// The scanners built on the reader must not panic either.
		_, _ = onnxScanner{}.Scan(context.Background(), sliceSource(data), "m.onnx", nil)
		_, _ = savedModelScanner{}.Scan(context.Background(), sliceSource(data), "saved_model.pb", nil)
	})
}
