package model

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
)

// safetensorsBytes builds a file from a JSON header and a data section of
// dataLen zero bytes.
func safetensorsBytes(header string, dataLen int) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, make([]byte, dataLen)...)
}

func safetensorsCases() []formatCase {
	benignHeader := `{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]},"e":{"dtype":"I8","shape":[0],"data_offsets":[24,24]}}`
	return []formatCase{
		{name: "benign", file: "safetensors/benign.safetensors", data: safetensorsBytes(benignHeader, 24)},
		{name: "benign with space padding", data: safetensorsBytes(`{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}    `, 3)},
		{name: "sub-byte dtype", data: safetensorsBytes(`{"a":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}`, 2)},
		{
			name: "overlapping tensors", file: "safetensors/overlap.safetensors",
			data: safetensorsBytes(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, 16),
			want: []string{"safetensors_overlap/high"},
		},
		{
			name: "out of bounds",
			data: safetensorsBytes(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8),
			want: []string{"safetensors_out_of_bounds/high"},
		},
		{
			name: "hole between tensors and trailing bytes", file: "safetensors/hidden_bytes.safetensors",
			data: safetensorsBytes(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}}`, 20),
			want: []string{"safetensors_gap/medium", "safetensors_trailing_data/medium"},
		},
		{
			name: "unknown dtype",
			data: safetensorsBytes(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16),
			want: []string{"safetensors_bad_tensor/medium", "safetensors_trailing_data/medium"},
		},
		{
			name: "shape does not match span",
			data: safetensorsBytes(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}`, 16),
			want: []string{"safetensors_bad_tensor/medium", "safetensors_trailing_data/medium"},
		},
		{
			name: "shape overflow",
			data: safetensorsBytes(`{"a":{"dtype":"F32","shape":[18446744073709551615,18446744073709551615],"data_offsets":[0,4]}}`, 4),
			want: []string{"safetensors_bad_tensor/medium", "safetensors_trailing_data/medium"},
		},
		{
			name: "metadata not string to string",
			data: safetensorsBytes(`{"__metadata__":{"n":1},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1),
			want: []string{"safetensors_bad_metadata/medium"},
		},
		{
			name: "duplicate tensor name",
			data: safetensorsBytes(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1),
			want: []string{"safetensors_duplicate_key/high"},
		},
		{
			name: "invalid utf-8 in header",
			data: safetensorsBytes("{\"a\xff\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
			want: []string{"safetensors_header_not_utf8/medium"},
		},
		{name: "header longer than file", data: safetensorsBytes(`{"a":1}`, 0)[:12], wantErr: true},
		{name: "invalid json", data: safetensorsBytes(`{"a":{"dtype":`, 0), wantErr: true},
		{name: "not an object", data: safetensorsBytes(`[1,2]`, 0), wantErr: true},
		{name: "shorter than length prefix", data: []byte{1, 2, 3}, wantErr: true},
		{
			name:    "header over the limit",
			data:    binary.LittleEndian.AppendUint64(nil, safetensorsMaxHeader+1),
			wantErr: true,
		},
	}
}

func TestSafetensorsScan(t *testing.T) {
	runFormatCases(t, newSafetensors(), "model.safetensors", safetensorsCases())
}

func TestSafetensorsNeverMalicious(t *testing.T) {
	// safetensors cannot run code: no finding may be critical.
	for _, tt := range safetensorsCases() {
		fs, _ := newSafetensors().Scan(context.Background(), sliceSource(tt.data), "x", nil)
		for _, f := range fs {
			if f.Severity == finding.Critical {
				t.Errorf("%s: critical finding %s", tt.name, f.Type)
			}
		}
	}
}

func TestSafetensorsSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want bool
	}{
		{"file", safetensorsBytes(`{"a":{}}`, 0), true},
		{"empty header", safetensorsBytes(`{}`, 0), true},
		{"gguf", []byte("GGUF\x03\x00\x00\x00\x00\x00\x00\x00"), false},
		{"pickle", []byte("\x80\x02}q\x00(X\x01\x00\x00\x00"), false},
		{"too short", []byte{2, 0, 0, 0, 0, 0, 0, 0, '{'}, false},
		{"huge length", append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, `{"`...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newSafetensors().Sniff(tt.head, "x"); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzSafetensors(f *testing.F) {
	for _, tt := range safetensorsCases() {
		f.Add(tt.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := newSafetensors().Scan(context.Background(), sliceSource(data), "x", nil)
		for _, f := range fs {
			if f.Severity == finding.Critical || f.Type == "" || !strings.HasPrefix(f.Type, "safetensors_") {
				t.Fatalf("unexpected finding %+v (err %v)", f, err)
			}
		}
	})
}
