package detect

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCodeRuleExamples runs every language's own examples from
// rules/code.yaml, both through the classifier and as fenced blocks
// without an info string.
func TestCodeRuleExamples(t *testing.T) {
	d := NewCode()
	for _, l := range codeTable.Languages {
		t.Run(l.Name, func(t *testing.T) {
			if len(l.Examples.Positive) == 0 || len(l.Examples.Negative) == 0 {
				t.Fatalf("language %s needs positive and negative examples", l.Name)
			}
			for _, ex := range l.Examples.Positive {
				if got := codeClassify(ex); got != l.Name {
					t.Errorf("codeClassify(%q) = %q, want %q", ex, got, l.Name)
				}
				block := "Here it is:\n\n```\n" + ex + "\n```\n"
				fs := d.Scan(block)
				if len(fs) != 1 || fs[0].Type != TypeCodePrefix+l.Name {
					t.Errorf("Scan(fenced %q) = %v, want one code:%s", ex, fs, l.Name)
				}
			}
			for _, ex := range l.Examples.Negative {
				if got := codeClassify(ex); got == l.Name {
					t.Errorf("codeClassify(%q) = %q, want another language", ex, got)
				}
			}
		})
	}
}

func TestCode(t *testing.T) {
	d := NewCode()
	tests := []struct {
		name string
		text string
		want []string // type=value
	}{
		{"prose", "For example: the report is due on Monday. If you want, I can draft it.\nLet me know.", nil},
		{"fenced with info", "Try:\n```go\nx := 1\n```\nDone.", []string{"code:go=```go\nx := 1\n```"}},
		{"fenced alias", "~~~py\nprint(1)\n~~~", []string{"code:python=~~~py\nprint(1)\n~~~"}},
		{"fenced unknown info", "```text\nhello there\n```", []string{"code:unknown=```text\nhello there\n```"}},
		{"unclosed fence", "```js\nconst a = 1;", []string{"code:javascript=```js\nconst a = 1;"}},
		{"unfenced python", "Use this:\ndef area(r):\n    return 3.14 * r * r\n\nprint(area(2))\nThat prints the area.",
			[]string{"code:python=def area(r):\n    return 3.14 * r * r\n\nprint(area(2))"}},
		{"unfenced sql line", "Run SELECT * FROM users WHERE id = 1; to check.", nil},
		{"unfenced sql statement", "SELECT * FROM users WHERE id = 1;", []string{"code:sql=SELECT * FROM users WHERE id = 1;"}},
		{"shell session", "sudo apt-get update\nsudo apt-get install -y curl", []string{"code:shell=sudo apt-get update\nsudo apt-get install -y curl"}},
		{"list is not code", "Shopping list:\n- eggs\n- milk\n- bread", nil},
		{"inline off by default", "Call `os.Exit(1)` to stop.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Scan(tt.text)
			checkFindings(t, d, tt.text, fs)
			if diff := cmp.Diff(tt.want, typed(tt.text, fs)); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestCodeOptions(t *testing.T) {
	text := "```python\nprint(1)\n```\n\n```sql\nSELECT 1;\n```\nUse `x = 1` here."
	tests := []struct {
		name string
		opts CodeOptions
		want []string
	}{
		{"all", CodeOptions{}, []string{"code:python", "code:sql"}},
		{"allow python", CodeOptions{Allow: []string{"Python"}}, []string{"code:sql"}},
		{"deny only sql", CodeOptions{Deny: []string{"sql"}}, []string{"code:sql"}},
		{"inline", CodeOptions{Inline: true, Allow: []string{"python", "sql"}}, []string{"code:inline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewCodeWith(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range d.Scan(text) {
				got = append(got, f.Type)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := NewCodeWith(CodeOptions{Allow: []string{"cobol"}}); err == nil || !strings.Contains(err.Error(), `"cobol"`) {
		t.Errorf("NewCodeWith(cobol): error %v, want one naming it", err)
	}
}

// TestCodeRates measures false positives on the benign prompts that have
// no code in them (those asking to write or fix code may quote it).
func TestCodeRates(t *testing.T) {
	d := NewCode()
	fp, n := 0, 0
	for _, p := range miscBenignPrompts(t) {
		if strings.Contains(p, "```") || strings.Contains(p, "def ") || strings.Contains(p, "function") {
			continue
		}
		n++
		if fs := d.Scan(p); miscScore(fs) >= 0.5 {
			fp++
			t.Logf("false positive: %q -> %v", p, typed(p, fs))
		}
	}
	t.Logf("code: FPR %.3f (%d/%d) on prose prompts", float64(fp)/float64(n), fp, n)
	if fp*100 > n*2 {
		t.Errorf("FPR %d/%d, want <= 2%%", fp, n)
	}
}

func FuzzCode(f *testing.F) {
	f.Add("```go\nx := 1\n```\ndef f():\n    return 1\n`inline` ~~~\n")
	f.Add("```,\n0") // an info string with no word once split
	d, err := NewCodeWith(CodeOptions{Inline: true})
	if err != nil {
		f.Fatal(err)
	}
	fuzzDetector(f, d)
}

func BenchmarkCode2KiB(b *testing.B) {
	d := NewCode()
	b.SetBytes(int64(len(miscPrompt2KiB)))
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Scan(miscPrompt2KiB)
	}
}
