package llmjson

import (
	"slices"
	"testing"
)

func TestObjects(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`{"a":1}`, []string{`{"a":1}`}},
		{"Sure!\n```json\n{\"a\": {\"b\": \"}\"}}\n```\nthanks", []string{`{"a": {"b": "}"}}`}},
		{`first {"x":"a \"quoted\" {brace"} then {"y":2}`, []string{`{"x":"a \"quoted\" {brace"}`, `{"y":2}`}},
		{`unclosed {"a": 1 and {"b":2}`, []string{`{"b":2}`}},
		{`no json here`, nil},
	}
	for _, tt := range tests {
		if got := Objects(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Objects(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecode(t *testing.T) {
	type v struct{ Case string }
	got, ok, decoded := Decode(`{"Case":"other"} text {"Case":"mine"}`, func(x v) bool { return x.Case == "mine" })
	if !ok || !decoded || got.Case != "mine" {
		t.Errorf("got %+v %v %v", got, ok, decoded)
	}
	if _, ok, decoded := Decode(`{"Case":"other"}`, func(x v) bool { return x.Case == "mine" }); ok || !decoded {
		t.Errorf("a non-matching object: ok %v decoded %v", ok, decoded)
	}
	if _, ok, decoded := Decode(`{not json}`, func(v) bool { return true }); ok || decoded {
		t.Errorf("invalid JSON: ok %v decoded %v", ok, decoded)
	}
}

func FuzzObjects(f *testing.F) {
	f.Add("```json\n{\"a\":\"}\"}\n```")
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range Objects(s) {
			if len(o) < 2 || o[0] != '{' || o[len(o)-1] != '}' {
				t.Fatalf("span %q is not an object", o)
			}
		}
	})
}
