package model

import (
	"bytes"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
)

// tfNode encodes a NodeDef field (field 1 of GraphDef, 3 of FunctionDef).
func tfNode(field int, name, op string, attrs ...[]byte) []byte {
	return pbM(field, append([][]byte{pbS(1, name), pbS(2, op)}, attrs...)...)
}

// tfStrAttr encodes an attr map entry holding a string.
func tfStrAttr(key, value string) []byte {
	return pbM(5, pbS(1, key), pbM(2, pbS(2, value)))
}

// tfFunction encodes a FunctionDef in a library.
func tfFunction(name string, nodes ...[]byte) []byte {
	return pbM(1, append([][]byte{pbM(1, pbS(1, name))}, nodes...)...)
}

// tfSavedModelBytes builds a SavedModel whose one meta graph has the given
// GraphDef fields, and optionally an object graph.
func tfSavedModelBytes(graph [][]byte, objectGraph ...[]byte) []byte {
	meta := [][]byte{pbM(1, pbS(4, "serve"), pbS(5, "2.15.0")), pbM(2, graph...)}
	if len(objectGraph) > 0 {
		meta = append(meta, pbM(7, objectGraph...))
	}
	return bytes.Join([][]byte{pbV(1, 1), pbM(2, meta...)}, nil)
}

// tfSaver is the checkpoint machinery every SavedModel has: TF1's save
// scope and TF2's traced save and restore functions.
func tfSaver() [][]byte {
	return [][]byte{
		tfNode(1, "save/SaveV2", "SaveV2"),
		tfNode(1, "save/RestoreV2", "RestoreV2"),
		tfNode(1, "saver_filename", "Placeholder"),
		pbM(2,
			tfFunction("__inference__traced_save_1234", tfNode(3, "MergeV2Checkpoints", "MergeV2Checkpoints"), tfNode(3, "SaveV2", "SaveV2")),
			tfFunction("__inference__traced_restore_1235", tfNode(3, "RestoreV2", "RestoreV2")),
		),
	}
}

func savedModelCases() []formatCase {
	benign := tfSavedModelBytes(append([][]byte{
		tfNode(1, "x", "Placeholder"), tfNode(1, "dense/MatMul", "MatMul"),
		tfNode(1, "print", "PrintV2", tfStrAttr("output_stream", "stderr")),
	}, tfSaver()...))
	lambda := `{"name": "lambda", "trainable": true, "class_name": "Lambda", "config": {"function": ["4wEAAABvcwBzeXN0ZW0=", null, null], "function_type": "lambda"}}`
	return []formatCase{
		{name: "benign with saver", file: "savedmodel/benign/saved_model.pb", data: benign},
		{
			name: "read and write files", file: "savedmodel/readwrite/saved_model.pb",
			data: tfSavedModelBytes([][]byte{
				tfNode(1, "path", "Const"), tfNode(1, "steal", "ReadFile"), tfNode(1, "drop", "WriteFile"),
			}),
			want: []string{"savedmodel_dangerous_op/critical"},
		},
		{
			name: "python function inside a library function",
			data: tfSavedModelBytes([][]byte{pbM(2, tfFunction("__inference_serve_7", tfNode(3, "cb", "EagerPyFunc")))}),
			want: []string{"savedmodel_dangerous_op/critical"},
		},
		{
			name: "checkpoint write outside the saver",
			data: tfSavedModelBytes([][]byte{tfNode(1, "serving/SaveV2", "SaveV2"), tfNode(1, "ls", "MatchingFiles")}),
			want: []string{"savedmodel_dangerous_op/high"},
		},
		{
			name: "print to file",
			data: tfSavedModelBytes([][]byte{tfNode(1, "p", "PrintV2", tfStrAttr("output_stream", "file:///tmp/out"))}),
			want: []string{"savedmodel_dangerous_op/high"},
		},
		{
			name: "keras lambda in object graph",
			data: tfSavedModelBytes([][]byte{tfNode(1, "x", "Placeholder")}, pbM(1, pbM(4, pbS(1, "_tf_keras_layer"), pbS(3, lambda)))),
			want: []string{"keras_lambda_layer/critical"},
		},
		{name: "no meta graph", data: pbV(1, 1), wantErr: true},
		{name: "truncated", data: benign[:len(benign)-3], wantErr: true},
	}
}

func TestSavedModelScan(t *testing.T) {
	runFormatCases(t, newSavedModel(), "saved_model.pb", savedModelCases())
}

func TestSavedModelKerasMetadata(t *testing.T) {
	meta := pbM(1, pbV(1, 1), pbS(3, "_tf_keras_layer"),
		pbS(5, `{"name": "l", "class_name": "Lambda", "config": {"function": "c3lzdGVt", "function_type": "lambda"}}`))
	fs, err := newSavedModel().Scan(t.Context(), sliceSource(meta), "model/keras_metadata.pb", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := formatRules(fs, finding.Low); len(got) != 1 || got[0] != "keras_lambda_layer/critical" {
		t.Errorf("findings %v, want one keras_lambda_layer/critical", got)
	}
}

func TestSavedModelSniff(t *testing.T) {
	sm := tfSavedModelBytes([][]byte{tfNode(1, "x", "Placeholder")})
	tests := []struct {
		name string
		head []byte
		file string
		want bool
	}{
		{"by content", sm, "model.bin", true},
		{"by name", pbM(2, pbV(3, 1)), "dir/saved_model.pb", true},
		{"onnx is not a saved model", onnxModelBytes([][]byte{onnxNode("r", "Relu", "")}), "model.pb", false},
		{"text named saved_model.pb", []byte("\x00\x00"), "saved_model.pb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newSavedModel().Sniff(tt.head, tt.file); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}
