package target

import (
	"strings"
	"testing"
)

// A JSON body template that breaks on quotes, backslashes or line breaks
// in the prompt is refused at New, with the fix.
func TestHTTPJSONBodyCheckedAtNew(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		headers map[string]string
		want    []string // nil: New succeeds
	}{
		{"quoted raw prompt", `{"q": "{{.Prompt}}"}`, nil,
			[]string{"body:", "invalid JSON for a prompt holding quotes", "use", "{{json .Prompt}}"}},
		{"quoted raw session", `{"q": {{json .Prompt}}, "sid": "{{.Session}}"}`, nil,
			[]string{"body:", "{{json .Session}}"}},
		{"Go quoting is not JSON", `{"q": {{printf "%q" .Prompt}}}`, nil, []string{"body:", "invalid JSON"}},
		{"messages printed raw", `{"m": "{{range .Messages}}{{.Content}}{{end}}"}`, nil, []string{"body:"}},
		{"not JSON at all", `prompt={{urlquery .Prompt}}`, nil,
			[]string{"body:", "even for the prompt", "headers.Content-Type"}},
		{"charset parameter", `{"q": "{{.Prompt}}"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}, []string{"body:"}},
		{"vendor json type", `{"q": "{{.Prompt}}"}`, map[string]string{"content-type": "application/vnd.api+json"}, []string{"body:"}},
		{"env value breaking JSON", `{"q": {{json .Prompt}}, "token": "${TOK}"}`, nil, []string{"body:", "even for the prompt"}},
		{"json helper", `{"q": {{json .Prompt}}, "m": {{json .Messages}}, "s": {{json .Session}}}`, nil, nil},
		{"json inside a larger document", "{\n  \"input\": {\"text\": {{json .Prompt}}, \"n\": 1},\n  \"history\": {{json .Messages}}\n}", nil, nil},
		{"form body", `prompt={{urlquery .Prompt}}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, nil},
		{"plain text body", `{{.Prompt}}`, map[string]string{"Content-Type": "text/plain"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Type: TypeHTTP, Settings: &HTTPConfig{URL: "http://h/chat", Body: tt.body, Headers: tt.headers}},
				fakeEnv(map[string]string{"TOK": `a"b-SECRET`}))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted a body that is not valid JSON for every prompt")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error quotes an environment value: %v", err)
			}
		})
	}
}
