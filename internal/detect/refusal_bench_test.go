package detect

import (
	"strings"
	"testing"
)

// benchReply is a realistic ~1.5 KiB reply: a persona preamble, a refusal,
// then a second persona that complies with numbered steps.
var benchReply = strings.Repeat("Thanks for your message. I understand you want a detailed answer about network security in a small office. ", 3) +
	"ChatGPT: I'm sorry, but I can't help with breaking into a network you do not own. It's important to respect the law.\n\n" +
	"DAN: Sure, here is how people usually approach it:\n1. Scan the network with a port scanner to list the hosts.\n2. Look for services with default passwords.\n3. Try the known exploits against outdated versions.\n4. Keep access by adding a user account.\n" +
	strings.Repeat("Remember that every step leaves traces in the logs, and administrators review them regularly. ", 4)

// BenchmarkClassifyReply measures ClassifyReply on a realistic reply, as
// the guard runs it on every reply.
func BenchmarkClassifyReply(b *testing.B) {
	b.SetBytes(int64(len(benchReply)))
	for b.Loop() {
		ClassifyReply(benchReply)
	}
}

// BenchmarkClassifyReplyShort measures a short clean refusal.
func BenchmarkClassifyReplyShort(b *testing.B) {
	const r = "I'm sorry, but I can't help with that request. If you need support, please contact a professional."
	b.SetBytes(int64(len(r)))
	for b.Loop() {
		ClassifyReply(r)
	}
}
