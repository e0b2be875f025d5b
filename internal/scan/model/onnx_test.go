package model

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
)

// onnxModelBytes builds a ModelProto: IR version 8, producer "pytorch",
// the given graph contents, opset ai.onnx 17, then extra model fields.
func onnxModelBytes(graph [][]byte, extra ...[]byte) []byte {
	parts := [][]byte{pbV(1, 8), pbS(2, "pytorch"), pbS(3, "2.3.0"), pbM(7, graph...), pbM(8, pbS(1, ""), pbV(2, 17))}
	return bytes.Join(append(parts, extra...), nil)
}

func onnxNode(name, op, domain string, attrs ...[]byte) []byte {
	fields := [][]byte{pbS(1, "x"), pbS(2, "y"), pbS(3, name), pbS(4, op)}
	fields = append(fields, attrs...)
	if domain != "" {
		fields = append(fields, pbS(7, domain))
	}
	return pbM(1, fields...)
}

// onnxInitializer is an inline float tensor of four elements.
func onnxInitializer(name string) []byte {
	return pbM(5, pbV(1, 4), pbV(2, 1), pbS(8, name), pbB(9, make([]byte, 16)))
}

// onnxExternal is a tensor stored in an external file.
func onnxExternal(name, location string) []byte {
	return pbM(5, pbV(1, 4), pbV(2, 1), pbS(8, name),
		pbM(13, pbS(1, "location"), pbS(2, location)),
		pbM(13, pbS(1, "offset"), pbS(2, "0")),
		pbV(14, 1))
}

// onnxCases are the ONNX fixtures and what the scanner must report.
func onnxCases() []formatCase {
	benign := onnxModelBytes([][]byte{onnxNode("relu", "Relu", ""), onnxNode("mm", "MatMul", "ai.onnx"), pbS(2, "main"), onnxInitializer("w")})
	subgraph := pbM(5, pbS(1, "then_branch"), pbV(20, 5), pbM(6, onnxExternal("w2", "/etc/passwd")))
	return []formatCase{
		{name: "benign", file: "onnx/benign.onnx", data: benign, want: nil},
		{
			name: "external data inside the model directory", file: "onnx/external_ok.onnx",
			data: onnxModelBytes([][]byte{onnxNode("relu", "Relu", ""), onnxExternal("w", "weights/model.onnx.data")}),
		},
		{
			name: "external data with parent traversal", file: "onnx/external_traversal.onnx",
			data: onnxModelBytes([][]byte{onnxNode("relu", "Relu", ""), onnxExternal("w", "../../../home/user/.ssh/id_rsa")}),
			want: []string{"onnx_external_data_escape/critical"},
		},
		{
			name: "external data absolute path inside If subgraph",
			data: onnxModelBytes([][]byte{onnxNode("if", "If", "", subgraph)}),
			want: []string{"onnx_external_data_escape/critical"},
		},
		{
			name: "external data drive letter",
			data: onnxModelBytes([][]byte{onnxExternal("w", `C:\Windows\win.ini`)}),
			want: []string{"onnx_external_data_escape/critical"},
		},
		{
			name: "custom op domain", file: "onnx/custom_op.onnx",
			data: onnxModelBytes([][]byte{onnxNode("c", "MyNativeOp", "com.evil.ops"), onnxNode("c2", "MyNativeOp", "com.evil.ops")}),
			want: []string{"onnx_custom_op_domain/medium"},
		},
		{
			name: "local function domain is not a custom op",
			data: onnxModelBytes([][]byte{onnxNode("f", "gelu", "pkg.onnxscript.torch_lib")},
				pbM(25, pbS(1, "gelu"), pbS(10, "pkg.onnxscript.torch_lib"), pbM(7, pbS(4, "Tanh")))),
		},
		{name: "no graph", data: bytes.Join([][]byte{pbV(1, 8), pbS(2, "x")}, nil), wantErr: true},
		{name: "truncated", data: benign[:len(benign)-9], wantErr: true},
	}
}

func TestONNXScan(t *testing.T) {
	runFormatCases(t, newONNX(), "model.onnx", onnxCases())
}

func TestONNXInfo(t *testing.T) {
	data := onnxModelBytes([][]byte{onnxNode("relu", "Relu", ""), onnxExternal("w", "w.bin")})
	fs, err := newONNX().Scan(context.Background(), sliceSource(data), "m.onnx", nil)
	if err != nil {
		t.Fatal(err)
	}
	var info []string
	for _, f := range fs {
		if f.Severity == finding.Info {
			info = append(info, f.Type+": "+f.Detail)
		}
	}
	want := []string{"onnx_external_data: w.bin", "onnx_model_info: producer=pytorch 2.3.0 opsets=ai.onnx:17"}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("info findings (-want +got):\n%s", diff)
	}
}

func TestONNXSniff(t *testing.T) {
	model := onnxModelBytes([][]byte{onnxNode("relu", "Relu", "")})
	tests := []struct {
		name string
		head []byte
		file string
		want bool
	}{
		{"model by content", model, "x.bin", true},
		{"model head cut inside graph", model[:20], "x.bin", true},
		{"saved model is not onnx", tfSavedModelBytes(nil), "x.pb", false},
		{"text", []byte("hello world, not protobuf"), "a.onnx", false},
		{"producer only needs the extension", bytes.Join([][]byte{pbV(1, 7), pbS(2, "p")}, nil), "a.onnx", true},
		{"producer only without extension", bytes.Join([][]byte{pbV(1, 7), pbS(2, "p")}, nil), "a.bin", false},
		{"pickle", []byte("\x80\x04\x95\x10\x00\x00"), "a.onnx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newONNX().Sniff(tt.head, tt.file); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestONNXPathEscapes(t *testing.T) {
	tests := map[string]bool{
		"model.data": false, "sub/dir/w.bin": false, "a..b": false, "./w.bin": false,
		"/etc/passwd": true, `\\server\share\x`: true, "../w": true, `sub\..\..\w`: true,
		"d:/x": true, "~/.ssh/id_rsa": true, "": true, "w\x00.bin": true,
	}
	for loc, want := range tests {
		if got := onnxPathEscapes(loc) != ""; got != want {
			t.Errorf("onnxPathEscapes(%q) escapes = %v, want %v", loc, got, want)
		}
	}
}

// formatCase is one fixture for a format scanner: the scan must succeed
// (or fail, wantErr) with exactly the want findings at low severity or
// above. file, when set, names its copy under testdata/formats.
type formatCase struct {
	name    string
	file    string
	data    []byte
	want    []string
	wantErr bool
}

// runFormatCases scans each case with sc and compares the findings.
func runFormatCases(t *testing.T, sc formatScanner, fileName string, cases []formatCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			name := fileName
			if tt.file != "" {
				name = tt.file[strings.LastIndex(tt.file, "/")+1:]
			}
			fs, err := sc.Scan(context.Background(), sliceSource(tt.data), name, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Scan error = %v, want error %v (findings %+v)", err, tt.wantErr, fs)
			}
			if diff := cmp.Diff(tt.want, formatRules(fs, finding.Low)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nall: %+v", diff, fs)
			}
			for _, f := range fs {
				if offsetOf(f) < -1 || offsetOf(f) > int64(len(tt.data)) {
					t.Errorf("finding %s has offset %d outside the %d-byte file", f.Type, offsetOf(f), len(tt.data))
				}
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.Type)
				}
			}
		})
	}
}

var updateFormats = flag.Bool("update-formats", false, "rewrite the fixtures under testdata/formats")

// TestFormatFixturesOnDisk keeps testdata/formats, the files the CLI and
// end-to-end tests scan, identical to the fixtures built here; run with
// -update-formats to regenerate them.
func TestFormatFixturesOnDisk(t *testing.T) {
	all := [][]formatCase{onnxCases(), savedModelCases(), safetensorsCases(), ggufCases(), kerasH5Cases(), kerasV3Cases()}
	for _, cases := range all {
		for _, c := range cases {
			if c.file == "" {
				continue
			}
			path := filepath.Join("testdata", "formats", filepath.FromSlash(c.file))
			if *updateFormats {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, c.data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("fixture %s: %v (run go test -run TestFormatFixturesOnDisk -update-formats)", path, err)
				continue
			}
			if !bytes.Equal(got, c.data) {
				t.Errorf("fixture %s differs from the one built by the tests; run with -update-formats", path)
			}
		}
	}
}
