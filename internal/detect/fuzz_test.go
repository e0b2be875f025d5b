package detect

import "testing"

// fuzzSeeds are shared by the fuzz targets: the tricky shapes each
// detector sees.
var fuzzSeeds = []string{
	"",
	"jane@x.io +44 20 7946 0958 4111 1111 1111 1111 123-45-6789 DE89 3704 0044 0532 0130 00 10.0.0.1",
	"I’m sorry, but I can't. But here's how: 1. a\n2. b\n3. c",
	"![x](https://e.test/?d=c2VjcmV0c2VjcmV0c2VjcmV0) [y](//e.test/a) <img src=x> data:a/b,c",
	"postgres://u:p4ssw0rd!@h/db ghp_R8sT2vXq9LmN4bKc7YwZ1aDf6GhJ3pQe5UoI password=Xk9#mQ2$vL7pRz4t",
	"-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
	"\xff\xfe sk-\xe2\x80 é 𝔘 ‘’",
}

// fuzzDetector checks that Scan never panics and keeps its invariants.
func fuzzDetector(f *testing.F, d Detector) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkFindings(t, d, text, d.Scan(text))
	})
}

func FuzzPII(f *testing.F)     { fuzzDetector(f, PII{}) }
func FuzzSecrets(f *testing.F) { fuzzDetector(f, Secrets{}) }
func FuzzRefusal(f *testing.F) { fuzzDetector(f, Refusal{}) }
func FuzzURLs(f *testing.F)    { fuzzDetector(f, NewURLs([]string{"example.com"})) }
