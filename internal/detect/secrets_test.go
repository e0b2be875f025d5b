package detect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSecretRuleExamples runs every rule's own examples: a positive gives
// exactly one finding of the rule's type, a negative gives none of it.
func TestSecretRuleExamples(t *testing.T) {
	for _, r := range secretRules().rules {
		if len(r.Examples.Positive) < 2 || len(r.Examples.Negative) < 2 {
			t.Errorf("rule %s: needs at least 2 positive and 2 negative examples", r.ID)
		}
		for i, ex := range r.Examples.Positive {
			t.Run(fmt.Sprintf("%s/positive/%d", r.ID, i), func(t *testing.T) {
				fs := Secrets{}.Scan(ex)
				checkFindings(t, Secrets{}, ex, fs)
				if n := countType(fs, r.Type); n != 1 {
					t.Errorf("Scan(%q): %d %s findings, want 1; got %v", ex, n, r.Type, typed(ex, fs))
				}
			})
		}
		for i, ex := range r.Examples.Negative {
			t.Run(fmt.Sprintf("%s/negative/%d", r.ID, i), func(t *testing.T) {
				fs := Secrets{}.Scan(ex)
				checkFindings(t, Secrets{}, ex, fs)
				if n := countType(fs, r.Type); n != 0 {
					t.Errorf("Scan(%q): got %v, want no %s", ex, typed(ex, fs), r.Type)
				}
			})
		}
	}
}

// TestSecretRuleKeywordsMatchPositives checks that keywords and regexes
// agree: a rule can only fire where a keyword occurs, so each positive must
// contain one, or the rule is dead for that shape.
func TestSecretRuleKeywordsMatchPositives(t *testing.T) {
	for _, r := range secretRules().rules {
		for _, ex := range r.Examples.Positive {
			lower := strings.ToLower(ex)
			ok := false
			for _, k := range r.Keywords {
				ok = ok || strings.Contains(lower, k)
			}
			if !ok {
				t.Errorf("rule %s: positive %q contains none of the keywords %q", r.ID, ex, r.Keywords)
			}
		}
	}
}

func countType(fs []Finding, typ string) int {
	n := 0
	for _, f := range fs {
		if f.Type == typ {
			n++
		}
	}
	return n
}

func TestSecretsSpans(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"span is the password of a database URL",
			"DATABASE_URL=postgres://app:Tr0ub4dor-77x@db.internal:5432/shop",
			[]string{"database_url=Tr0ub4dor-77x"}},
		{"specific rule wins over generic",
			"OPENAI_API_KEY=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",
			[]string{"openai_key=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"}},
		{"jwt wins over the authorization header",
			"Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIn0.Zk3pQ8vX2mT7rL1nB4cW9yH6dF0gJ5sA",
			[]string{"jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIn0.Zk3pQ8vX2mT7rL1nB4cW9yH6dF0gJ5sA"}},
		{"aws pair",
			"aws_access_key_id=AKIAUJZDEGXDNCF32EPF\naws_secret_access_key=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\n",
			[]string{"aws_access_key_id=AKIAUJZDEGXDNCF32EPF", "aws_secret_access_key=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"}},
		{"generic value only",
			`config: {"client_secret": "Zq7Lm2Xv9Rt4Kp8N"}`,
			[]string{"generic_secret=Zq7Lm2Xv9Rt4Kp8N"}},
		{"two passwords on one line",
			"user=admin pwd=Qz8#kLm2 backup_password=Rt5$wXp9",
			[]string{"generic_secret=Qz8#kLm2", "generic_secret=Rt5$wXp9"}},
		{"camel-case names",
			`const apiKey = "Zq7Lm2Xv9Rt4Kp8NwY3"; let userPassword = 'Hx9!pLq2';`,
			[]string{"generic_secret=Zq7Lm2Xv9Rt4Kp8NwY3", "generic_secret=Hx9!pLq2"}},
		{"html-escaped quotes",
			`<a href="/x?token=&quot;g1re0g1T0keN3zWx&quot;">`,
			[]string{"generic_secret=g1re0g1T0keN3zWx"}},
		{"key after a non-ASCII prefix",
			"clé: ghp_DN5RpVI2XQWhX1ssrKrxqVqmCplppjs46Lmu é",
			[]string{"github_token=ghp_DN5RpVI2XQWhX1ssrKrxqVqmCplppjs46Lmu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Secrets{}.Scan(tt.text)
			checkFindings(t, Secrets{}, tt.text, fs)
			if diff := cmp.Diff(tt.want, typed(tt.text, fs)); diff != "" {
				t.Errorf("Scan mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretsHardNegatives is prose and code that talks about credentials
// without containing one: none of it may be flagged.
func TestSecretsHardNegatives(t *testing.T) {
	texts := []string{
		"Rotate your API key every 90 days and never paste a token into chat. Version 1.2.3, build 2024-01-15.",
		"trace 550e8400-e29b-41d4-a716-446655440000 span 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		"fixed in commit 3f2a9c1e7b4d8f0a6c5e2b1d9f8a7c6e5d4b3a21",
		"What is a password manager, and how does it store my passwords?",
		"I forgot my password: how do I reset it?",
		"The tokenizer splits text into tokens: BPE_merges and WordPiece are common.",
		"api_key = os.environ['OPENAI_API_KEY']",
		"password = getpass.getpass()",
		"Set SECRET_KEY=${DJANGO_SECRET} in your .env file.",
		"The key: value pairs are separated by colons.",
		"Our secretary's password policy requires 12 characters.",
		"export AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX",
		"token_type: Bearer, expires_in: 3600",
		"Passport number and bypass_mode: Enabled2 are settings.",
		"Use a basic authentication scheme; the bearer token goes in the header.",
		"https://example.com:8443/path?query=value&page=2",
		"ssh-keygen -t ed25519 -C \"me@example.com\" writes ~/.ssh/id_ed25519",
		"password_min_length: 12\npassword_hash_algorithm: argon2id",
		"keyboard shortcut: Ctrl+Shift+K2",
		"secret_name: prod-db-credentials-v2",
	}
	for _, text := range texts {
		t.Run(text[:min(len(text), 30)], func(t *testing.T) {
			fs := Secrets{}.Scan(text)
			checkFindings(t, Secrets{}, text, fs)
			if len(fs) != 0 {
				t.Errorf("Scan(%q) = %v, want nothing", text, typed(text, fs))
			}
		})
	}
}

func TestSecretsScores(t *testing.T) {
	tests := []struct {
		text     string
		min, max float64
	}{
		{"ghp_DN5RpVI2XQWhX1ssrKrxqVqmCplppjs46Lmu", 0.95, 0.95},
		{"sk_test_51yDcaz2YBSoGOsDbjqMVzaVp62BSKLV", 0.6, 0.6},
		{"my password is Tr0ub4dor&3", 0.6, 0.6},
		{`DB_PASSWORD = "Xk9#mQ2$vL7pRz4tWq"`, 0.8, 0.8},
		{"pwd: cackle!9", 0.6, 0.6},
		{`password = 'cackle!'`, 0.7, 0.7},
	}
	for _, tt := range tests {
		fs := Secrets{}.Scan(tt.text)
		if len(fs) != 1 {
			t.Errorf("Scan(%q) = %v, want one finding", tt.text, typed(tt.text, fs))
			continue
		}
		if got := fs[0].Score; got < tt.min-1e-9 || got > tt.max+1e-9 {
			t.Errorf("Scan(%q) score %v, want in [%v, %v]", tt.text, got, tt.min, tt.max)
		}
	}
}

func TestPrivateKeySpansWholeBlock(t *testing.T) {
	text := "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oFE4Ow\n-----END EC PRIVATE KEY-----\nthanks"
	fs := Secrets{}.Scan(text)
	if len(fs) != 1 {
		t.Fatalf("got %v, want one private key", typed(text, fs))
	}
	got := text[fs[0].Start:fs[0].End]
	if !strings.HasPrefix(got, "-----BEGIN EC") || !strings.HasSuffix(got, "END EC PRIVATE KEY-----") {
		t.Errorf("span %q, want the whole PEM block", got)
	}
}

// TestCompileSecretRulesErrors checks that a broken rule file is refused
// with a message naming the rule or the line.
func TestCompileSecretRulesErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "rules:\n  - id: a\n    colour: red\n", `x.yaml:3: unknown key "colour"`},
		{"no type", "rules:\n  - id: a\n    keywords: [a]\n    regex: a\n    score: 0.5\n", `rule "a"`},
		{"bad regex", "rules:\n  - id: a\n    type: a\n    keywords: [a]\n    regex: '('\n    score: 0.5\n", "rule a: error parsing regexp"},
		{"upper-case keyword", "rules:\n  - id: a\n    type: a\n    keywords: [A]\n    regex: a\n    score: 0.5\n", "must be lower case"},
		{"regex and assignment", "rules:\n  - id: a\n    type: a\n    keywords: [a]\n    regex: a\n    assignment: password\n    score: 0.5\n", "exactly one"},
		{"unknown check", "rules:\n  - id: a\n    type: a\n    keywords: [a]\n    regex: a\n    check: nope\n    score: 0.5\n", `unknown check "nope"`},
		{"bad score", "rules:\n  - id: a\n    type: a\n    keywords: [a]\n    regex: a\n    score: 2\n", "score 2"},
		{"bad group", "rules:\n  - id: a\n    type: a\n    keywords: [a]\n    regex: a\n    group: 1\n    score: 0.5\n", "group 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileSecretRules([]byte(tt.yaml), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("compileSecretRules error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// prose2KiB is about 2 KiB of ordinary prompt text with no credentials and
// none of the secrets keywords.
func prose2KiB() string {
	const para = "Please summarise the following meeting notes for the team. We discussed the roadmap for the next quarter, " +
		"including the migration of the reporting service to the new cluster, the hiring plan for two engineers, and " +
		"the customer feedback from the beta programme. Action items were assigned to Maria and Chen, with a review " +
		"scheduled for Thursday afternoon. Keep the summary under two hundred words and use bullet points.\n"
	var b strings.Builder
	for b.Len() < 2048 {
		b.WriteString(para)
	}
	return b.String()[:2048]
}

// promptWithKeys2KiB is about 2 KiB of a config-debugging prompt with a few
// keywords and two real-looking secrets.
func promptWithKeys2KiB() string {
	base := prose2KiB()
	insert := "\nMy deploy fails. Config:\nDB_PASSWORD=Xk9#mQ2$vL7pRz4t\napi_key: \"q8Zr3LmT9vXc2KbN7pWs\"\n" +
		"The token rotates daily; the secret store is Vault.\n"
	return insert + base[:2048-len(insert)]
}

func TestBenchmarkInputs(t *testing.T) {
	if fs := (Secrets{}).Scan(prose2KiB()); len(fs) != 0 {
		t.Errorf("prose2KiB has findings: %v", fs)
	}
	text := promptWithKeys2KiB()
	if fs := (Secrets{}).Scan(text); len(fs) != 2 {
		t.Errorf("promptWithKeys2KiB: got %v, want 2 findings", typed(text, fs))
	}
}

func BenchmarkSecrets2KiB(b *testing.B) {
	text := prose2KiB()
	Secrets{}.Scan(text) // compile the rules outside the timing
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Secrets{}.Scan(text)
	}
}

func BenchmarkSecrets2KiBWithKeys(b *testing.B) {
	text := promptWithKeys2KiB()
	Secrets{}.Scan(text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Secrets{}.Scan(text)
	}
}
