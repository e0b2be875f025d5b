package detect

import (
	"slices"
	"strings"
	"testing"
)

// naiveKeywords lists every occurrence of every pattern, by start then
// pattern, the slow obvious way.
func naiveKeywords(patterns []string, lower string) [][3]int {
	var out [][3]int
	for i := range lower {
		for p, pat := range patterns {
			if strings.HasPrefix(lower[i:], pat) {
				out = append(out, [3]int{p, i, i + len(pat)})
			}
		}
	}
	return out
}

func FuzzKeywordIndex(f *testing.F) {
	f.Add("my password is hunter2; aws_secret and sk-proj keys, pw=x, q~abc")
	f.Add("ppaasswwoorrdd ssk sk")
	patterns := []string{"password", "pw", "sk", "sk-", "aws", "q~", "secret", "pass", "ss"}
	k := newKeywordIndex(patterns)
	f.Fuzz(func(t *testing.T, text string) {
		lower := asciiLower(text)
		var got [][3]int
		k.each(lower, func(p, s, e int) { got = append(got, [3]int{p, s, e}) })
		want := naiveKeywords(patterns, string(lower))
		slices.SortFunc(got, func(a, b [3]int) int { return (a[1]-b[1])*100 + a[0] - b[0] })
		slices.SortFunc(want, func(a, b [3]int) int { return (a[1]-b[1])*100 + a[0] - b[0] })
		if !slices.Equal(got, want) {
			t.Fatalf("index found %v, want %v", got, want)
		}
	})
}
