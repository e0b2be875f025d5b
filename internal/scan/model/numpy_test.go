package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePyLiteral(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", want: `["descr", "<f4", "fortran_order", 0, "shape", [3, 4]]`},
		{in: "{'shape': (), 'descr': [('a', '|O'), ('b', '<i8', (2,))]}", want: `["shape", [], "descr", [["a", "|O"], ["b", "<i8", [2]]]]`},
		{in: "(10L, None, True)", want: `[10, None, 1]`},
		{in: "{'a': 1", wantErr: true},
		{in: "{'a' 1}", wantErr: true},
		{in: "'open", wantErr: true},
		{in: "[1] trailing", wantErr: true},
		{in: "__import__('os')", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parsePyLiteral(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && got.String() != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDescrSizes(t *testing.T) {
	tests := []struct {
		descr    string
		size     int64
		ok       bool
		isObject bool
	}{
		{"<f8", 8, true, false},
		{"|b1", 1, true, false},
		{"<U10", 40, true, false},
		{"|S5", 5, true, false},
		{"<M8[ns]", 8, true, false},
		{"?", 1, true, false},
		{"|O", 8, true, true},
		{"O8", 8, true, true},
		{"<x4", 0, false, false},
		{"", 0, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.descr, func(t *testing.T) {
			size, ok := descrItemSize(tc.descr)
			obj := dtypeHasObject(pyLit{kind: litStr, s: tc.descr})
			if diff := cmp.Diff([]any{tc.size, tc.ok, tc.isObject}, []any{size, ok, obj}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
