package detect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPII(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"email", "Write to jane.doe+billing@mail.example.co.uk today.", []string{"email=jane.doe+billing@mail.example.co.uk"}},
		{"email in angle brackets", "From: Ops <ops@corp.example>", []string{"email=ops@corp.example"}},
		{"not an email: handle", "ping @ops-team on chat", nil},
		{"E.164 phone", "Call +14155552671 now", []string{"phone=+14155552671"}},
		{"international with spaces", "UK office: +44 20 7946 0958.", []string{"phone=+44 20 7946 0958"}},
		{"international with parens", "Berlin +49 (30) 901820", []string{"phone=+49 (30) 901820"}},
		{"US formats", "(415) 555-2671 or 415-555-2671 or 415.555.2671",
			[]string{"phone=(415) 555-2671", "phone=415-555-2671", "phone=415.555.2671"}},
		{"US with 1", "dial 1-800-555-0199", []string{"phone=1-800-555-0199"}},
		{"UK national", "ring 020 7946 0958 or 07700 900123", []string{"phone=020 7946 0958", "phone=07700 900123"}},
		{"French national", "mon numéro: 06 12 34 56 78", []string{"phone=06 12 34 56 78"}},
		{"German national", "Tel. 030/12345678", []string{"phone=030/12345678"}},
		{"date is not a phone", "due 01.02.2024 and 2024-01-15", nil},
		{"date then time", "on 01.01.2024 12:30", nil},
		{"order number", "Order #100234567 shipped, ref 0012345678", nil},
		{"short plus", "+15 points and +1.2.3", nil},
		{"phone inside digit run", "id 1-415-555-2671-99", nil},
		{"visa", "card 4111 1111 1111 1111 exp 12/27", []string{"credit_card=4111 1111 1111 1111"}},
		{"visa dashes", "4012-8888-8888-1881", []string{"credit_card=4012-8888-8888-1881"}},
		{"amex", "amex 378282246310005", []string{"credit_card=378282246310005"}},
		{"mastercard 2-series", "mc 2221000000000009", []string{"credit_card=2221000000000009"}},
		{"luhn invalid", "card 4111 1111 1111 1112", nil},
		{"unknown issuer", "number 9111111111111119", nil},
		{"mixed separators", "4111 1111-1111 1111", nil},
		{"too long a run", "4111111111111111111111", nil},
		{"ssn", "SSN: 123-45-6789.", []string{"us_ssn=123-45-6789"}},
		{"ssn invalid area 000", "000-12-3456", nil},
		{"ssn invalid area 666", "666-12-3456", nil},
		{"ssn invalid area 9xx", "912-34-5678", nil},
		{"ssn invalid group", "123-00-4567", nil},
		{"ssn invalid serial", "123-45-0000", nil},
		{"ssn in longer run", "123-45-6789-01", nil},
		{"iban DE", "IBAN DE89 3704 0044 0532 0130 00 please", []string{"iban=DE89 3704 0044 0532 0130 00"}},
		{"iban GB compact", "GB82WEST12345698765432", []string{"iban=GB82WEST12345698765432"}},
		{"iban bad checksum", "GB82WEST12345698765433", nil},
		{"iban wrong length", "DE89370400440532013", nil},
		{"ipv4", "server at 192.168.1.20, gateway 10.0.0.1.", []string{"ip_address=192.168.1.20", "ip_address=10.0.0.1"}},
		{"bad octet", "999.1.1.1 and 1.2.3.256", nil},
		{"leading zero", "010.001.001.001", nil},
		{"version numbers", "upgrade to version 1.2.3.4 or v2.0.0.1; OID 1.3.6.1.4.1", nil},
		{"uuid", "request 550e8400-e29b-41d4-a716-446655440000 failed", nil},
		{"mixed", "Jane <jane@x.io>, 555-123-4567? no: 212-555-0147, SSN 219-09-9998",
			[]string{"person=Jane", "email=jane@x.io", "phone=212-555-0147", "us_ssn=219-09-9998"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := PII{}.Scan(tt.text)
			checkFindings(t, PII{}, tt.text, fs)
			if diff := cmp.Diff(tt.want, typed(tt.text, fs)); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestLuhnAndIBAN(t *testing.T) {
	for _, d := range []string{"4111111111111111", "378282246310005", "6011111111111117", "5555555555554444"} {
		if !luhn(d) {
			t.Errorf("luhn(%s) = false, want true", d)
		}
	}
	if luhn("4111111111111121") {
		t.Error("luhn(4111111111111121) = true, want false")
	}
	for _, s := range []string{"FR1420041010050500013M02606", "NL91ABNA0417164300", "CH9300762011623852957"} {
		if !validIBAN(s) {
			t.Errorf("validIBAN(%s) = false, want true", s)
		}
	}
}
