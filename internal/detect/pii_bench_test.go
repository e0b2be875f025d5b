package detect

import (
	"strings"
	"testing"
)

// pii2KiB is a realistic 2 KiB support-chat prompt with a few PII values
// among ordinary prose, numbers, dates and versions.
var pii2KiB = func() string {
	const para = `Hi team, this is Maria Lopez from accounts. Our customer (order #100234567, placed 2024-01-15)
says the refund of $1,249.99 never arrived. She wrote from maria.lopez@example.org and asked us to call
her back on +1 415 555 0139 between 9 and 5. The card on file ends in 1111; version 2.4.1 of the app
shows the error "E-4031: payment gateway timeout" at 10:42. Please check the logs on server 10.0.3.17
and reply before Friday. She lives at 742 Evergreen Terrace, Springfield, IL 62704. Thanks! `
	var b strings.Builder
	for b.Len() < 2048 {
		b.WriteString(para)
	}
	return b.String()[:2048]
}()

func BenchmarkPII2KiB(b *testing.B) {
	d := PII{}
	b.SetBytes(int64(len(pii2KiB)))
	b.ReportAllocs()
	for b.Loop() {
		d.Scan(pii2KiB)
	}
}
