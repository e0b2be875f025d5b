package detect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPIIEntities checks each recogniser on values it must find (at a
// score of 0.5 or more) and look-alikes it must not.
func TestPIIEntities(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // type=value of findings scoring >= 0.5
	}{
		{"routing with context", "ABA routing 021000021 for the wire", []string{"us_routing_number=021000021"}},
		{"routing bad checksum", "ABA routing 021000022 for the wire", nil},
		{"routing without context", "order 021000021 shipped", nil},
		{"ssn bare needs context", "ref 219099998", nil},
		{"ssn bare with context", "SSN: 219099998", []string{"us_ssn=219099998"}},
		{"ipv6", "from 2001:db8:85a3::8a2e:370:7334 today", []string{"ip_address=2001:db8:85a3::8a2e:370:7334"}},
		{"ipv6 full", "host fe80:0:0:0:204:61ff:fe9d:f156", []string{"ip_address=fe80:0:0:0:204:61ff:fe9d:f156"}},
		{"not ipv6: time and c++", "at 12:30:45 call std::vector", nil},
		{"mac colon", "MAC 00:1A:2B:3C:4D:5E", []string{"mac_address=00:1A:2B:3C:4D:5E"}},
		{"mac cisco", "nic 0012.3456.789a up", []string{"mac_address=0012.3456.789a"}},
		{"mac broadcast", "dst FF:FF:FF:FF:FF:FF", nil},
		{"mac mixed separators", "10:2F:33-AC-29-C3", nil},
		{"url credentials", "clone https://bob:s3cret@git.example.com/repo.git now",
			[]string{"url_credentials=https://bob:s3cret@git.example.com"}},
		{"url without password", "see https://bob@git.example.com/x", nil},
		{"bitcoin p2pkh", "send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 pls", []string{"crypto_wallet=1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}},
		{"bitcoin bad checksum", "send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 pls", nil},
		{"bech32", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", []string{"crypto_wallet=bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}},
		{"bech32m taproot", "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
			[]string{"crypto_wallet=bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"}},
		{"bech32 bad checksum", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx", nil},
		{"eth eip55", "to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", []string{"crypto_wallet=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}},
		{"eth eip55 broken", "to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", nil},
		{"nino", "NI number AB 12 34 56 C", []string{"uk_nino=AB 12 34 56 C"}},
		{"nino never issued", "NI number QQ 12 34 56 C", nil},
		{"nino invalid prefix", "code BG123456A", nil},
		{"nhs with context", "NHS number 943 476 5919", []string{"uk_nhs=943 476 5919"}},
		{"aadhaar with context", "Aadhaar 2341 2341 2346", []string{"in_aadhaar=2341 2341 2346"}},
		{"pan with context", "PAN: ABCPE1234F", []string{"in_pan=ABCPE1234F"}},
		{"es nif", "NIF 12345678Z", []string{"es_nif=12345678Z"}},
		{"es nif bad letter", "ref 12345678A", nil},
		{"it fiscal code", "CF: RSSMRA85T10A562S", []string{"it_fiscal_code=RSSMRA85T10A562S"}},
		{"sg nric", "id S2740116C", []string{"sg_nric=S2740116C"}},
		{"au tfn context", "TFN 876 543 210", []string{"au_tfn=876 543 210"}},
		{"passport context", "passport no. X1234567", []string{"passport_number=X1234567"}},
		{"passport no context", "part X1234567", nil},
		{"driver license", "driver's license D1234567", []string{"driver_license=D1234567"}},
		{"dob numeric", "born 03/14/1979 in Ohio", []string{"date_of_birth=03/14/1979"}},
		{"dob words", "Date of birth: 14 March 1979", []string{"date_of_birth=14 March 1979"}},
		{"date without birth context", "due 03/14/1979", nil},
		{"honorific", "Please ask Dr. Ayesha Raman to sign.", []string{"person=Dr. Ayesha Raman"}},
		{"first and last", "Yesterday Kevin Okafor called.", []string{"person=Kevin Okafor"}},
		{"intro phrase", "Hello, my name is Zbigniew Brzęczyszczykiewicz.", []string{"person=Zbigniew Brzęczyszczykiewicz"}},
		{"ambiguous name alone", "Will it rain?", nil},
		{"place not a person", "We flew to San Luis and Port Louis.", nil},
		{"us street", "Send it to 1600 Pennsylvania Avenue NW, Washington, DC 20500 please.",
			[]string{"street_address=1600 Pennsylvania Avenue NW, Washington, DC 20500"}},
		{"street with unit", "at 221B Baker Street, Apt 4 today", []string{"street_address=221B Baker Street, Apt 4"}},
		{"german street", "Büro: Hauptstraße 12, Berlin", []string{"street_address=Hauptstraße 12"}},
		{"po box", "Mail P.O. Box 1234 in town", []string{"street_address=P.O. Box 1234"}},
		{"military", "USS Ohio\nFPO AP 96543", []string{"street_address=USS Ohio\nFPO AP 96543"}},
		{"zip in context", "my zip code is 94107", []string{"street_address=94107"}},
		{"not an address", "I bought 3 Green Apples at the Market.", nil},
		{"phone extension", "call 415-555-2671 x204 now", []string{"phone=415-555-2671 x204"}},
		{"phone with context", "They're not answering at 785 8949", []string{"phone=785 8949"}},
		{"lower-case text", "follow up with david kowalczyk in 2 months.", []string{"person=david kowalczyk"}},
		{"listed surname alone", "The report was signed off by Gutierrez yesterday.", []string{"person=Gutierrez"}},
		{"surname by its ending", "Ask Shcherbakova about it.", []string{"person=Shcherbakova"}},
		{"unlisted first name and surname", "Ximena Nováková joined the call.", []string{"person=Ximena Nováková"}},
		{"surname ending as a place", "We moved here from Pelhrimov last year.", nil},
		{"surname as a street", "Turn left into Gutierrez Street.", nil},
		{"coordinated names", "The founders were Quaresma, Tilbrook and Gutierrez.",
			[]string{"person=Quaresma", "person=Tilbrook", "person=Gutierrez"}},
		{"list without a name", "We visited Lisbon, Porto and Braga.", nil},
		{"human verb", "Zorvana shouted at the driver.", []string{"person=Zorvana"}},
		{"possessive relative", "I'm Quillon's daughter.", []string{"person=Quillon"}},
		{"firm is not a verb subject", "Globex announced a merger.", nil},
		{"street line and unit joined", "Send it to 68 Hulsterdreef 100 Apt. 535 today",
			[]string{"street_address=68 Hulsterdreef 100 Apt. 535"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := PII{}.Scan(tt.text)
			checkFindings(t, PII{}, tt.text, fs)
			var got []string
			for _, f := range fs {
				if f.Score >= 0.5 {
					got = append(got, f.Type+"="+tt.text[f.Start:f.End])
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s\nall: %v", tt.text, diff, fs)
			}
		})
	}
}

func TestKeccak256(t *testing.T) {
	got := keccak256(nil)
	if h := string(hexEncode(got[:])); h != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" {
		t.Errorf("keccak256(\"\") = %s", h)
	}
}

func hexEncode(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

func TestChecksums(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) bool
		ok   []string
		bad  []string
	}{
		{"luhn", luhn, []string{"4111111111111111", "378282246310005", "6011111111111117", "5555555555554444"}, []string{"4111111111111121"}},
		{"iban", validIBAN, []string{"FR1420041010050500013M02606", "NL91ABNA0417164300", "CH9300762011623852957"}, []string{"NL91ABNA0417164301"}},
		{"aba", validABA, []string{"021000021", "011000015", "121000358"}, []string{"021000022", "421042111"}},
		{"verhoeff", verhoeff, []string{"2363", "234123412346"}, []string{"2364", "123456789012"}},
		{"nhs", validNHS, []string{"9434765919", "4010232137"}, []string{"9434765918", "4010232138"}},
		{"tfn", validTFN, []string{"876543210", "123456782"}, []string{"824753557", "123456789"}},
		{"nric", validNRIC, []string{"S2740116C", "F2346401L", "T0012345A"}, []string{"S2740116D", "A1234567Z"}},
		{"fiscal code", validFiscalCode, []string{"RSSMRA85T10A562S", "MRTMTT91D08F205J"}, []string{"RSSMRA85T10A562X"}},
		{"base58check", validBase58Check, []string{"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"}, []string{"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2"}},
		{"bech32", validBech32, []string{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"}, []string{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}},
		{"eip55", validEIP55, []string{"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"}, []string{"5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.ok {
				if !tt.fn(s) {
					t.Errorf("%s(%s) = false, want true", tt.name, s)
				}
			}
			for _, s := range tt.bad {
				if tt.fn(s) {
					t.Errorf("%s(%s) = true, want false", tt.name, s)
				}
			}
		})
	}
	if !validNIF("12345678", 'Z') || validNIF("12345678", 'A') || !validNIF("X1234567", 'L') {
		t.Error("validNIF wrong")
	}
}
