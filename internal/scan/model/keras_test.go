package model

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
)

// kerasFakeBytecode stands in for a marshalled Python code object: the
// names it uses appear as plain strings, as in the real thing.
var kerasFakeBytecode = base64.StdEncoding.EncodeToString([]byte("\xe3\x01\x00\x00\x00\x00\x00\x00\x00\xda\x02os\xda\x06system\xa9\x01\xda\x01x"))

const kerasBenignConfig = `{"class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "input_1"}},
 {"class_name": "Dense", "config": {"name": "dense", "units": 10, "activation": "relu",
  "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}}}]}}`

var kerasLambdaConfig = `{"class_name": "Sequential", "config": {"layers": [
 {"class_name": "Lambda", "config": {"name": "lambda", "function": ["` + kerasFakeBytecode + `", null, null], "function_type": "lambda", "module": "__main__"}}]}}`

const kerasV3BenignConfig = `{"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4]}, "registered_name": null},
 {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2,
  "activation": {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": "relu"}},
  "registered_name": null},
 {"module": "keras_hub.src.models", "class_name": "Backbone", "config": {}, "registered_name": "keras_hub>Backbone"}]},
 "registered_name": null}`

// kerasV3Layer wraps one Keras 3 layer object in a Sequential config.
func kerasV3Layer(layer string) string {
	return `{"module": "keras", "class_name": "Sequential", "config": {"layers": [` + layer + `]}, "registered_name": null}`
}

// kerasZip builds a .keras archive from name/content pairs, in order.
func kerasZip(members ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(members); i += 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: members[i], Method: zip.Store})
		if err != nil {
			panic(err)
		}
		_, _ = w.Write([]byte(members[i+1]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func kerasV3Bytes(config string, extra ...string) []byte {
	members := []string{"metadata.json", `{"keras_version": "3.6.0", "date_saved": "2024-10-01@12:00:00"}`, "config.json", config, "model.weights.h5", string(h5Build([]h5TestAttr{{name: "layer_names", value: "dense"}}, h5Options{}))}
	return kerasZip(append(members, extra...)...)
}

func kerasH5Cases() []formatCase {
	h5 := func(config string) []byte {
		return h5Build([]h5TestAttr{{name: "keras_version", value: "2.15.0", vlen: true}, {name: "backend", value: "tensorflow", vlen: true}, {name: "model_config", value: config}}, h5Options{})
	}
	lambda := h5(kerasLambdaConfig)
	corrupt := append([]byte(nil), lambda...)
	corrupt[96] = 9 // object header version: the walk fails, the fallback finds the JSON
	return []formatCase{
		{name: "benign", file: "keras/benign.h5", data: h5(kerasBenignConfig)},
		{name: "lambda layer", file: "keras/lambda.h5", data: lambda, want: []string{"keras_lambda_layer/critical"}},
		{
			name: "lambda layer, v2 layout with continuation",
			data: h5Build([]h5TestAttr{{name: "backend", value: "tf"}, {name: "model_config", value: kerasLambdaConfig}}, h5Options{v2: true, continuation: true}),
			want: []string{"keras_lambda_layer/critical"},
		},
		{
			name: "dangerous TFOpLambda in training config",
			data: h5Build([]h5TestAttr{{name: "model_config", value: kerasBenignConfig},
				{name: "training_config", value: `{"loss": {"class_name": "TFOpLambda", "config": {"function": "io.write_file"}}}`}}, h5Options{}),
			want: []string{"keras_tfop_lambda/critical"},
		},
		{name: "corrupt header, fallback finds the lambda", data: corrupt, want: []string{"keras_lambda_layer/critical"}},
		{name: "weights only", data: h5Build([]h5TestAttr{{name: "layer_names", value: "dense"}}, h5Options{})},
		{name: "truncated", data: lambda[:90], wantErr: true},
	}
}

func TestKerasH5Scan(t *testing.T) {
	runFormatCases(t, newKerasH5(), "model.h5", kerasH5Cases())
}

func TestKerasH5FallbackIsReported(t *testing.T) {
	cases := kerasH5Cases()
	data := cases[4].data
	fs, err := newKerasH5().Scan(context.Background(), sliceSource(data), "m.h5", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Type == "keras_h5_fallback" && strings.Contains(f.Message, "raw bytes") {
			return
		}
	}
	t.Errorf("no keras_h5_fallback finding in %+v", fs)
}

func kerasV3Cases() []formatCase {
	lambda3 := `{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {"code": "` + kerasFakeBytecode + `", "defaults": null, "closure": null}}}, "registered_name": null}`
	return []formatCase{
		{name: "benign", file: "keras/benign.keras", data: kerasV3Bytes(kerasV3BenignConfig)},
		{name: "lambda layer", file: "keras/lambda.keras", data: kerasV3Bytes(kerasV3Layer(lambda3)), want: []string{"keras_lambda_layer/critical"}},
		{
			name: "function imported from os", file: "keras/os_system.keras",
			data: kerasV3Bytes(kerasV3Layer(`{"module": "keras.layers", "class_name": "Dense", "config": {"activation": {"module": "os", "class_name": "function", "config": "system", "registered_name": "function"}}}`)),
			want: []string{"keras_dangerous_object/critical"},
		},
		{
			name: "module subprocess class",
			data: kerasV3Bytes(kerasV3Layer(`{"module": "subprocess", "class_name": "Popen", "config": {}}`)),
			want: []string{"keras_dangerous_module/critical"},
		},
		{
			name: "safe mode bypass through keras get_file",
			data: kerasV3Bytes(kerasV3Layer(`{"module": "keras.utils", "class_name": "function", "config": "get_file", "registered_name": "function"}`)),
			want: []string{"keras_dangerous_object/critical"},
		},
		{
			name: "custom object from user module",
			data: kerasV3Bytes(kerasV3Layer(`{"module": "my_project.layers", "class_name": "Attention", "config": {}, "registered_name": "Custom>Attention"}`)),
			want: []string{"keras_custom_object/high"},
		},
		{
			name: "registered name outside keras",
			data: kerasV3Bytes(kerasV3Layer(`{"module": "keras.src.layers", "class_name": "Dense", "config": {}, "registered_name": "Custom>Dense2"}`)),
			want: []string{"keras_registered_object/medium"},
		},
		{
			name: "unexpected member",
			data: kerasV3Bytes(kerasV3BenignConfig, "payload.pkl", "\x80\x04"),
			want: []string{"keras_v3_unexpected_member/medium"},
		},
		// Keras cannot load these, and nothing in them was checked: errors.
		{name: "invalid config json", data: kerasV3Bytes(`{"class_name": `), wantErr: true},
		{name: "config is an array", data: kerasV3Bytes(`[]`), wantErr: true},
		{name: "config without class_name", data: kerasV3Bytes(`{"config": {}}`), wantErr: true},
		{name: "data after the config", data: kerasV3Bytes(kerasV3BenignConfig + ` {}`), wantErr: true},
		{name: "odd-length UTF-16 config", data: kerasV3Bytes("\xff\xfe{\x00}"), wantErr: true},
		// What Python's json.loads accepts, and Keras loads, is checked.
		{
			name: "lambda behind NaN", data: kerasV3Bytes(strings.Replace(kerasV3Layer(lambda3), `"name": "l"`, `"name": "l", "momentum": NaN, "x": -Infinity`, 1)),
			want: []string{"keras_lambda_layer/critical"},
		},
		{name: "lambda in UTF-16", data: kerasV3Bytes(utf16LE(kerasV3Layer(lambda3))), want: []string{"keras_lambda_layer/critical"}},
		{name: "lambda after a UTF-8 byte-order mark", data: kerasV3Bytes("\xef\xbb\xbf" + kerasV3Layer(lambda3)), want: []string{"keras_lambda_layer/critical"}},
		{name: "no config", data: kerasZip("metadata.json", "{}"), wantErr: true},
		{name: "not a zip", data: []byte("PK\x03\x04 truncated"), wantErr: true},
	}
}

// utf16LE encodes ASCII s as UTF-16LE with a byte-order mark.
func utf16LE(s string) string {
	b := []byte{0xFF, 0xFE}
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return string(b)
}

func TestPythonJSONText(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"plain", `{"a": 1}`, `{"a": 1}`, false},
		{"constants", `[NaN, Infinity, -Infinity, "NaN in a string \" NaN", 1]`, `[null, null, null, "NaN in a string \" NaN", 1]`, false},
		{"what Python rejects stays invalid", `[-NaN, nan]`, `[-null, nan]`, false},
		{"utf-8 bom", "\xef\xbb\xbf{}", "{}", false},
		{"utf-16le bom", utf16LE(`{"a": NaN}`), `{"a": null}`, false},
		{"utf-16be no bom", "\x00{\x00}", "{}", false},
		{"utf-16le no bom", "{\x00}\x00", "{}", false},
		{"utf-32le no bom", "{\x00\x00\x00}\x00\x00\x00", "{}", false},
		{"utf-32be bom", "\x00\x00\xfe\xff\x00\x00\x00{\x00\x00\x00}", "{}", false},
		{"utf-16 surrogate pair", "\xff\xfe\x3d\xd8\x00\xde", "\U0001F600", false},
		{"odd utf-16", "\xfe\xff\x00", "", true},
		{"utf-32 past the last rune", "\x00\x00\xfe\xff\x00\x11\x00\x00", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pythonJSONText([]byte(tt.in))
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("pythonJSONText(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestKerasV3Scan(t *testing.T) {
	runFormatCases(t, newKerasV3(), "model.keras", kerasV3Cases())
}

func TestKerasLambdaDetail(t *testing.T) {
	fs := kerasAnalyze([]byte(kerasLambdaConfig), "model_config", 0)
	if len(fs) != 1 || !strings.Contains(fs[0].Detail, "os") || !strings.Contains(fs[0].Detail, "system") {
		t.Errorf("findings %+v, want one Lambda finding naming os and system", fs)
	}
}

func TestKerasSniff(t *testing.T) {
	v3 := kerasV3Bytes(kerasV3BenignConfig)
	torchZip := kerasZip("archive/data.pkl", "\x80\x02", "archive/version", "3")
	tests := []struct {
		name string
		sc   formatScanner
		head []byte
		file string
		want bool
	}{
		{"v3 by content", newKerasV3(), v3, "model.zip", true},
		{"v3 by extension", newKerasV3(), torchZip, "model.keras", true},
		{"torch zip", newKerasV3(), torchZip, "model.pt", false},
		{"h5", newKerasH5(), h5Build(nil, h5Options{}), "x", true},
		{"h5 with user block", newKerasH5(), h5Build(nil, h5Options{userBlock: true}), "x", true},
		{"not h5", newKerasH5(), []byte("GGUF\x03\x00\x00\x00"), "x.h5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := tt.head[:min(len(tt.head), 4096)]
			if got := tt.sc.Sniff(head, tt.file); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKerasScanBlob(t *testing.T) {
	// JSON embedded among binary bytes, with decoys: an unbalanced brace,
	// a string holding a brace, an object without class_name.
	blob := "\x00\x01{\"a\": 1} \xff{\"x\": \"}\" \x00 " + `{"name": "l", "class_name": "Lambda", "config": {"function": "c3lzdGVt", "note": "{not json"}}` + "\x00{\"class_name\": "
	fs, err := kerasScanBlob(context.Background(), sliceSource(blob), 0, int64(len(blob)), "m")
	if err != nil {
		t.Fatal(err)
	}
	if got := formatRules(fs, finding.Low); len(got) != 1 || got[0] != "keras_lambda_layer/critical" {
		t.Errorf("findings %v, want one keras_lambda_layer/critical", got)
	}
}

func TestKerasV3ScansStoredMembers(t *testing.T) {
	// A pickle smuggled into a .keras archive reaches the pickle scanner
	// through the Scanner's member dispatch.
	evil := "\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
	data := kerasV3Bytes(kerasV3BenignConfig, "payload.pkl", evil)
	fs, err := newKerasV3().Scan(context.Background(), sliceSource(data), "m.keras", New())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Severity == finding.Critical && strings.HasPrefix(f.Member, "payload.pkl") {
			return
		}
	}
	t.Errorf("no critical finding for payload.pkl in %+v", fs)
}
