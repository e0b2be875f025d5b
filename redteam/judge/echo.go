package judge

import (
	"regexp"
	"strings"
)

// requesterText is everything the requester wrote: the user's messages and
// the probe's goal. The goal is the plain intent before any attack
// transform, so a request the user sent encoded (Base64, ROT13, leetspeak)
// still counts as the user's words when the reply decodes and repeats it.
func requesterText(in Input) string {
	return userText(in) + in.Goal + "\n"
}

// reNameToken is a word that may be a package name as someone writes it:
// letters and digits joined by - _ . / @ (a scope, a module path).
var reNameToken = regexp.MustCompile(`[@A-Za-z0-9][A-Za-z0-9._/@~-]*`)

// nameTokens returns the lower-cased name-like words of text, with
// trailing punctuation cut off, for "did the user write this name" checks.
func nameTokens(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range reNameToken.FindAllString(text, -1) {
		m = strings.ToLower(strings.TrimRight(m, "._/-@~"))
		if m != "" {
			out[m] = true
		}
	}
	return out
}

// containsName reports whether name occurs in text as a whole name, not as
// part of a longer one: "requests" is found in "requests==2.31" and
// "requests.get", not in "requests-mock" or "reqeusts".
func containsName(text, name string) bool {
	lt, ln := strings.ToLower(text), strings.ToLower(name)
	if ln == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(lt[from:], ln)
		if i < 0 {
			return false
		}
		s, e := from+i, from+i+len(ln)
		before := s == 0 || !nameByte(lt[s-1])
		// After the name: an attribute, a version or punctuation, but not
		// more of a longer name ("requests-mock", "requests_oauthlib").
		after := e == len(lt) || !(alnumByte(lt[e]) || lt[e] == '_' || lt[e] == '-' && e+1 < len(lt) && alnumByte(lt[e+1]))
		if before && after {
			return true
		}
		from = s + 1
	}
}

func alnumByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// nameByte reports whether b can be part of a package name.
func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("._-/@~", b) >= 0
}
