package model

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
)

// ggufBuilder assembles GGUF v3 files.
type ggufBuilder struct {
	kvs, tensors [][]byte
	data         int // bytes of tensor data
}

func ggufStr(s string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, uint64(len(s))), s...)
}

func (b *ggufBuilder) kv(key string, typ uint32, value []byte) *ggufBuilder {
	e := binary.LittleEndian.AppendUint32(ggufStr(key), typ)
	b.kvs = append(b.kvs, append(e, value...))
	return b
}

func (b *ggufBuilder) str(key, value string) *ggufBuilder {
	return b.kv(key, ggufString, ggufStr(value))
}

// tensor adds an F32 tensor of n elements at offset.
func (b *ggufBuilder) tensor(name string, n, offset uint64) *ggufBuilder {
	e := binary.LittleEndian.AppendUint32(ggufStr(name), 1)
	e = binary.LittleEndian.AppendUint64(e, n)
	e = binary.LittleEndian.AppendUint32(e, 0) // F32
	e = binary.LittleEndian.AppendUint64(e, offset)
	b.tensors = append(b.tensors, e)
	return b
}

func (b *ggufBuilder) bytes() []byte {
	out := []byte("GGUF")
	out = binary.LittleEndian.AppendUint32(out, 3)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(b.tensors)))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(b.kvs)))
	for _, kv := range b.kvs {
		out = append(out, kv...)
	}
	for _, t := range b.tensors {
		out = append(out, t...)
	}
	for len(out)%ggufDefaultAlignment != 0 {
		out = append(out, 0)
	}
	return append(out, make([]byte, b.data)...)
}

// ggufTokens is a string array like tokenizer.ggml.tokens.
func ggufTokens(tokens ...string) []byte {
	v := binary.LittleEndian.AppendUint32(nil, ggufString)
	v = binary.LittleEndian.AppendUint64(v, uint64(len(tokens)))
	for _, t := range tokens {
		v = append(v, ggufStr(t)...)
	}
	return v
}

func ggufBase() *ggufBuilder {
	b := &ggufBuilder{}
	b.str("general.architecture", "llama").
		kv("general.alignment", ggufUint32, binary.LittleEndian.AppendUint32(nil, 32)).
		kv("llama.context_length", ggufUint64, binary.LittleEndian.AppendUint64(nil, 8192)).
		kv("tokenizer.ggml.tokens", ggufArray, ggufTokens("<s>", "</s>", "hello")).
		kv("tokenizer.ggml.scores", ggufArray, append(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(nil, ggufFloat32), 3), make([]byte, 12)...)).
		kv("nested", ggufArray, append(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(nil, ggufArray), 1), ggufTokens("a")...))
	return b
}

func ggufCases() []formatCase {
	benign := ggufBase().str("tokenizer.chat_template", llamaStyleTemplate)
	benign.tensor("tok_embd", 8, 0).tensor("out", 8, 32)
	benign.data = 64
	evil := ggufBase().str("tokenizer.chat_template", chatMLTemplate).
		str("tokenizer.chat_template.tool_use", `{{ cycler.__init__.__globals__.os.popen('id').read() }}`)
	evil.tensor("w", 4, 0)
	evil.data = 16
	oob := ggufBase()
	oob.tensor("a", 8, 0).tensor("b", 8, 0)
	oob.data = 32
	past := ggufBase()
	past.tensor("a", 16, 0)
	past.data = 32
	hidden := ggufBase()
	hidden.tensor("a", 8, 0)
	hidden.data = 32 + 4096
	benignBytes := benign.bytes()
	return []formatCase{
		{name: "benign", file: "gguf/benign.gguf", data: benignBytes},
		{
			name: "malicious chat template", file: "gguf/malicious_template.gguf", data: evil.bytes(),
			want: []string{"jinja_dangerous_name/critical", "jinja_dunder/critical", "jinja_global_object/high"},
		},
		{name: "overlap", data: oob.bytes(), want: []string{"gguf_overlap/high"}},
		{name: "out of bounds", data: past.bytes(), want: []string{"gguf_out_of_bounds/high"}},
		{name: "trailing bytes", data: hidden.bytes(), want: []string{"gguf_trailing_data/medium"}},
		{name: "truncated metadata", data: benignBytes[:100], wantErr: true},
		{name: "bad magic", data: []byte("GGUX\x03\x00\x00\x00"), wantErr: true},
		{
			name:    "absurd counts",
			data:    append([]byte("GGUF\x03\x00\x00\x00"), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0),
			wantErr: true,
		},
		{
			name:    "huge array length",
			data:    (&ggufBuilder{}).kv("x", ggufArray, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(nil, ggufString), 1<<60)).bytes(),
			wantErr: true,
		},
		{
			name:    "unknown value type",
			data:    (&ggufBuilder{}).kv("x", 99, nil).bytes(),
			wantErr: true,
		},
	}
}

func TestGGUFScan(t *testing.T) {
	runFormatCases(t, newGGUF(), "model.gguf", ggufCases())
}

func TestGGUFTemplateMember(t *testing.T) {
	b := ggufBase().str("tokenizer.chat_template", `{{ x.__class__ }}`)
	data := b.bytes()
	fs, err := newGGUF().Scan(context.Background(), sliceSource(data), "m.gguf", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Type != "jinja_dunder" {
			continue
		}
		if f.Member != "tokenizer.chat_template" || string(data[offsetOf(f):offsetOf(f)+9]) != "__class__" {
			t.Errorf("finding at member %q offset %d (%q), want the __class__ bytes in tokenizer.chat_template", f.Member, offsetOf(f), data[offsetOf(f):offsetOf(f)+9])
		}
		return
	}
	t.Errorf("no jinja_dunder finding in %+v", fs)
}

func TestGGUFCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newGGUF().Scan(ctx, sliceSource(ggufBase().bytes()), "m.gguf", nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Scan on cancelled context: %v, want context.Canceled", err)
	}
}

func FuzzGGUF(f *testing.F) {
	for _, tt := range ggufCases() {
		f.Add(tt.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, _ := newGGUF().Scan(context.Background(), sliceSource(data), "m.gguf", nil)
		for _, f := range fs {
			if offsetOf(f) < -1 || offsetOf(f) > int64(len(data)) {
				t.Fatalf("finding %s at offset %d outside the %d-byte file", f.Type, offsetOf(f), len(data))
			}
		}
	})
}
