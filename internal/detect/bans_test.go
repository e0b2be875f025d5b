package detect

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBans(t *testing.T) {
	opts := BanOptions{
		Substrings:  []string{"project falcon", "  "},
		Regexes:     []string{`\bTICKET-\d{4,}\b`},
		Competitors: []string{"Acme Corp", "Globex"},
		Topics: map[string][]string{
			"politics": {"election", "senator", "ballot", "campaign"},
			"medical":  {"diagnosis", "prescription", "dosage"},
		},
	}
	d, err := NewBans(opts)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"nothing", "The weather is nice today.", nil},
		{"substring any case", "Tell me about PROJECT FALCON now", []string{"substring=PROJECT FALCON"}},
		{"substring inside a word", "xproject falcons", []string{"substring=project falcon"}},
		{"regex", "see TICKET-12345 and ticket-99", []string{"regex=TICKET-12345"}},
		{"competitor", "Is Globex cheaper than us?", []string{"competitor=Globex"}},
		{"competitor whole word only", "Globexian empire", nil},
		{"competitor with accent next", "Globexé", nil},
		{"topic needs two keywords", "The election is next week.", nil},
		{"topic", "The senator lost the election after the campaign.", []string{"topic:politics=senator lost the election after the campaign"}},
		{"topic repeated keyword counts once", "election election election", nil},
		{"two topics", "Dosage and diagnosis; ballot and election.", []string{"topic:medical=Dosage and diagnosis", "topic:politics=ballot and election"}},
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

func TestBansOptions(t *testing.T) {
	tests := []struct {
		name string
		opts BanOptions
		text string
		want []string
	}{
		{"case sensitive", BanOptions{Substrings: []string{"Secret"}, CaseSensitive: true}, "secret Secret", []string{"substring=Secret"}},
		{"case sensitive regex", BanOptions{Regexes: []string{"Foo"}, CaseSensitive: true}, "foo Foo", []string{"regex=Foo"}},
		{"whole words", BanOptions{Substrings: []string{"ass"}, WholeWords: true}, "a class act, ass!", []string{"substring=ass"}},
		{"topic threshold", BanOptions{Topics: map[string][]string{"t": {"a1", "b2", "c3"}}, TopicMinMatches: 3}, "a1 b2", nil},
		{"topic threshold met", BanOptions{Topics: map[string][]string{"t": {"a1", "b2", "c3"}}, TopicMinMatches: 3}, "a1 b2 c3", []string{"topic:t=a1 b2 c3"}},
		{"empty", BanOptions{}, "anything", nil},
		{"one word in two bans", BanOptions{Substrings: []string{"globex"}, Competitors: []string{"Globex"},
			Topics: map[string][]string{"a": {"globex", "price"}, "b": {"globex", "deal"}}}, "Globex price deal",
			[]string{"competitor=Globex", "substring=Globex", "topic:a=Globex price", "topic:b=Globex price deal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewBans(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			fs := d.Scan(tt.text)
			checkFindings(t, d, tt.text, fs)
			if diff := cmp.Diff(tt.want, typed(tt.text, fs)); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestBansScores(t *testing.T) {
	d, err := NewBans(BanOptions{Topics: map[string][]string{"t": {"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"}}, WholeWords: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want float64
	}{
		{"alpha beta", 0.6},
		{"alpha beta gamma", 0.7},
		{"alpha beta gamma delta eps zeta eta", 1},
	}
	for _, tt := range tests {
		fs := d.Scan(tt.text)
		if len(fs) != 1 || fs[0].Score < tt.want-1e-9 || fs[0].Score > tt.want+1e-9 {
			t.Errorf("Scan(%q) = %v, want one finding scoring %v", tt.text, fs, tt.want)
		}
	}
}

func TestNewBansBadRegex(t *testing.T) {
	_, err := NewBans(BanOptions{Regexes: []string{"ok", "(unclosed"}})
	if err == nil || !strings.Contains(err.Error(), `regex 2 "(unclosed"`) {
		t.Fatalf("NewBans with a bad regex: error %v, want one naming regex 2", err)
	}
}

func FuzzBans(f *testing.F) {
	d, err := NewBans(BanOptions{Substrings: []string{"ab", "é"}, Regexes: []string{`x+`}, Competitors: []string{"Acme"},
		Topics: map[string][]string{"t": {"k1", "k2"}}, WholeWords: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("ab Acme k1 k2 xx é")
	fuzzDetector(f, d)
}

func BenchmarkBans2KiB(b *testing.B) {
	d, err := NewBans(BanOptions{
		Substrings:  []string{"project falcon", "internal only", "do not distribute"},
		Competitors: []string{"Acme Corp", "Globex", "Initech", "Umbrella"},
		Topics:      map[string][]string{"politics": {"election", "senator", "ballot", "campaign", "parliament"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(miscPrompt2KiB)))
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Scan(miscPrompt2KiB)
	}
}
