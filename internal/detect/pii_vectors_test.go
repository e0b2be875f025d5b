package detect

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// presidioVectorTypes maps presidio recogniser test files to our types,
// for the entities both detect.
var presidioVectorTypes = map[string]string{
	"aba_routing": TypeRoutingNumber, "au_tfn": TypeAUTFN, "credit_card": TypeCreditCard,
	"crypto": TypeCryptoWallet, "email": TypeEmail, "es_nif": TypeESNIF, "in_aadhaar": TypeINAadhaar,
	"in_pan": TypeINPAN, "it_fiscal_code": TypeITFiscalCode, "mac": TypeMACAddress, "sg_fin": TypeSGNRIC,
	"uk_nhs": TypeUKNHS, "uk_nino": TypeUKNINO, "us_ssn": TypeUSSSN, "iban": TypeIBAN, "ip": TypeIPAddress,
	"phone": TypePhone,
}

// presidioVector is one recogniser test case.
type presidioVector struct {
	Source    string  `json:"source_file"`
	Text      string  `json:"text"`
	Len       int     `json:"expected_len"`
	Positions [][]int `json:"expected_positions"`
	Res       [][]int `json:"expected_res"`
}

// TestPIIPresidioVectors uses presidio's recogniser unit-test cases as an
// oracle where our entities overlap. Presidio reports many shapes at low
// scores without context; we report some of them only with context, so
// positives count as found at any score and a positive recall floor per
// type guards against regressions. Negatives (bad checksums, look-alikes)
// must never reach 0.5.
func TestPIIPresidioVectors(t *testing.T) {
	path := filepath.Join(presidioDir, "presidio-recognizer-vectors", "presidio_recognizer_test_vectors.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("presidio recogniser vectors not available: %v", err)
	}
	defer f.Close()
	// Presidio negatives we disagree with, and why.
	disagree := map[string]string{
		// Presidio's IP recogniser rejects these; they are valid addresses.
		"::ffff:192.168.1.1": "valid IPv4-mapped IPv6",
	}
	type tally struct{ pos, posFound, neg, negOK int }
	tallies := map[string]*tally{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v presidioVector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(v.Source), "test_"), "_recognizer.py")
		typ, ok := presidioVectorTypes[name]
		if !ok || v.Text == "" {
			continue
		}
		tl := tallies[name]
		if tl == nil {
			tl = &tally{}
			tallies[name] = tl
		}
		fs := PII{}.Scan(v.Text)
		checkFindings(t, PII{}, v.Text, fs)
		if v.Len == 0 {
			tl.neg++
			bad := ""
			for _, f := range fs {
				if f.Type == typ && f.Score >= 0.5 {
					bad = v.Text[f.Start:f.End]
				}
			}
			if bad == "" || disagree[bad] != "" {
				tl.negOK++
			} else {
				t.Errorf("%s negative %q: reported %s %q", name, v.Text, typ, bad)
			}
			continue
		}
		tl.pos++
		found := 0
		for _, f := range fs {
			if f.Type == typ {
				found++
			}
		}
		if found >= v.Len {
			tl.posFound++
		} else if testing.Verbose() {
			t.Logf("%s positive not found: %q", name, v.Text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	floors := map[string]float64{
		"credit_card": 0.9, "crypto": 1, "email": 1, "es_nif": 1, "iban": 0.95, "ip": 0.75,
		"mac": 1, "uk_nino": 0.6, "uk_nhs": 0.3, "in_aadhaar": 0.5, "phone": 0.8, "us_ssn": 0.3,
	}
	names := make([]string, 0, len(tallies))
	for n := range tallies {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		tl := tallies[n]
		rec := float64(tl.posFound) / float64(max(1, tl.pos))
		fmt.Fprintf(&b, "\n%-16s positives %3d/%3d  negatives %3d/%3d", n, tl.posFound, tl.pos, tl.negOK, tl.neg)
		if fl, ok := floors[n]; ok && rec < fl {
			t.Errorf("%s: found %.2f of positives, floor %.2f", n, rec, fl)
		}
	}
	t.Log(b.String())
}
