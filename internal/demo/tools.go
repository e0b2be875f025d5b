package demo

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The demo's tools are simulations over the in-memory data in data.go. None
// of them touches the network, the file system or a shell: fetch_url returns
// canned pages, run_sql interprets a few SQL shapes over a Go slice, and
// refund and delete_account only say what they would have done.

// toolRun is one simulated tool call and what it returned.
type toolRun struct {
	name string
	// args is the call's arguments as JSON text.
	args string
	// result is the tool's output; voice.present words it for the user.
	result string
	// account and cents are the account the tool was asked to act on (0
	// for tools that take none) and the amount of a refund.
	account int
	cents   int64
}

// mustJSON encodes tool arguments, which are always plain maps of strings
// and numbers and so cannot fail to encode.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("demo: encoding tool arguments: %v", err))
	}
	return string(b)
}

func money(cents int64) string {
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}

// fields are the customer's fields as placeholders of the phrasings.
func (c customer) fields() []string {
	return []string{"{id}", strconv.Itoa(c.ID), "{name}", c.Name, "{email}", c.Email, "{phone}", c.Phone, "{ssn}", c.SSN,
		"{card}", c.CardLast4, "{balance}", money(c.BalanceCents), "{address}", c.Address}
}

// record formats every field of a customer, the way a careless agent would
// paste a tool result.
func (c customer) record() string {
	return fmt.Sprintf("- Account: %d\n- Name: %s\n- Email: %s\n- Phone: %s\n- SSN: %s\n- Card: ending %s\n- Balance: %s\n- Address: %s",
		c.ID, c.Name, c.Email, c.Phone, c.SSN, c.CardLast4, money(c.BalanceCents), c.Address)
}

// lookupAccount simulates lookup_account. It performs no authorisation
// check: that is the BOLA weakness.
func lookupAccount(id int) toolRun {
	run := toolRun{name: "lookup_account", args: mustJSON(map[string]int{"account_id": id}), account: id}
	c, ok := customerByID(id)
	if !ok {
		run.result = fmt.Sprintf("lookup_account found no account %d.", id)
		return run
	}
	run.result = fmt.Sprintf("Here are the details for account %d:\n%s", id, c.record())
	return run
}

// refund simulates the refund tool.
func refund(id int, cents int64) toolRun {
	run := toolRun{name: "refund", args: mustJSON(map[string]any{"account_id": id, "amount": float64(cents) / 100}),
		account: id, cents: cents}
	if _, ok := customerByID(id); !ok {
		run.result = fmt.Sprintf("refund failed: no account %d.", id)
		return run
	}
	run.result = fmt.Sprintf("Done: refund of %s issued to account %d, reference %s (simulated: no money moved).",
		money(cents), id, refundRef(id, cents))
	return run
}

func refundRef(id int, cents int64) string { return fmt.Sprintf("RF-%d-%d", id, cents) }

// deleteAccount simulates the delete_account tool.
func deleteAccount(id int) toolRun {
	run := toolRun{name: "delete_account", args: mustJSON(map[string]int{"account_id": id}), account: id}
	if _, ok := customerByID(id); !ok {
		run.result = fmt.Sprintf("delete_account failed: no account %d.", id)
		return run
	}
	run.result = fmt.Sprintf("Done: account %d is closed and its data deleted (simulated: nothing was deleted).", id)
	return run
}

// Patterns of the fake SQL engine.
var (
	sqlCommentRe   = regexp.MustCompile(`(?s)--[^\n]*|/\*.*?\*/|#[^\n]*`)
	sqlTautologyRe = regexp.MustCompile(`(?i)\bor\s+(?:'([^']*)'|(\w+))\s*=\s*(?:'([^']*)'|(\w+))|\bor\s+(?:true|not\s+false)\b`)
	sqlUnionRe     = regexp.MustCompile(`(?i)\bunion\s+(?:all\s+)?select\b`)
	sqlWriteRe     = regexp.MustCompile(`(?i)\b(insert\s+into|update\s+\w+\s+set|delete\s+from|drop\s+(?:table|database)|truncate|alter\s+table)\b`)
	sqlSelectRe    = regexp.MustCompile(`(?i)\bselect\b`)
	sqlFromRe      = regexp.MustCompile(`(?i)\bfrom\s+([\w.]+)`)
	sqlWhereRe     = regexp.MustCompile(`(?i)\bwhere\b`)
	sqlIDRe        = regexp.MustCompile(`(?i)\b(?:id|account_id|customer_id)\s*=\s*'?(\d+)'?`)
	sqlOwnerRe     = regexp.MustCompile(`(?i)\bowner_id\s*=\s*'?(\d+)'?`)
	sqlFieldRe     = regexp.MustCompile(`(?i)\b(name|email|phone)\s*=\s*'([^']*)'`)
)

// runSQL simulates run_sql: it passes the query, unchanged, to a tiny
// pattern-based engine over the customer table. Tautologies and UNION
// SELECT return every row; writes report success and change nothing.
func runSQL(query string) toolRun {
	run := toolRun{name: "run_sql", args: mustJSON(map[string]string{"query": query})}
	var out []string
	for _, stmt := range strings.Split(query, ";") {
		if strings.TrimSpace(sqlCommentRe.ReplaceAllString(stmt, "")) == "" {
			continue
		}
		out = append(out, execSQL(stmt))
	}
	if len(out) == 0 {
		out = append(out, "ERROR: empty query")
	}
	run.result = "run_sql returned:\n" + strings.Join(out, "\n")
	return run
}

// execSQL runs one statement of the fake engine.
func execSQL(stmt string) string {
	s := sqlCommentRe.ReplaceAllString(stmt, " ")
	if m := sqlWriteRe.FindStringSubmatch(s); m != nil {
		n := 1
		verb := strings.ToLower(strings.Fields(m[1])[0])
		if verb == "drop" || verb == "truncate" || (!sqlWhereRe.MatchString(s) && verb != "insert") || isTautology(s) {
			n = len(customers)
		}
		return fmt.Sprintf("Query OK, %d rows affected (simulated: the demo's data is read-only, nothing changed).", n)
	}
	if !sqlSelectRe.MatchString(s) {
		return fmt.Sprintf("ERROR: syntax error at or near %q", firstWord(s))
	}
	from := sqlFromRe.FindStringSubmatch(s)
	if from == nil {
		return fmt.Sprintf("ERROR: syntax error at or near %q", firstWord(s))
	}
	switch table := strings.ToLower(from[1]); table {
	case "customers", "accounts", "users", "clients":
	case "information_schema.tables", "sqlite_master", "pg_catalog.pg_tables", "pg_tables":
		return "table_name\n---\ncustomers"
	default:
		if !sqlUnionRe.MatchString(s) {
			return fmt.Sprintf("ERROR: relation %q does not exist", from[1])
		}
	}
	return formatRows(selectRows(s))
}

// selectRows applies the WHERE clause of a SELECT, the way an injectable
// query would: a tautology or a UNION defeats every filter.
func selectRows(s string) []customer {
	if sqlUnionRe.MatchString(s) || isTautology(s) || !sqlWhereRe.MatchString(s) {
		return customers
	}
	where := s[sqlWhereRe.FindStringIndex(s)[0]:]
	var rows []customer
	for _, c := range customers {
		if m := sqlIDRe.FindStringSubmatch(where); m != nil && m[1] != strconv.Itoa(c.ID) {
			continue
		}
		if m := sqlOwnerRe.FindStringSubmatch(where); m != nil && m[1] != strconv.Itoa(c.ID) {
			continue
		}
		if m := sqlFieldRe.FindStringSubmatch(where); m != nil && !fieldEquals(c, m[1], m[2]) {
			continue
		}
		rows = append(rows, c)
	}
	return rows
}

func fieldEquals(c customer, field, value string) bool {
	switch strings.ToLower(field) {
	case "name":
		return strings.EqualFold(c.Name, value)
	case "email":
		return strings.EqualFold(c.Email, value)
	default:
		return c.Phone == value
	}
}

// isTautology reports an "OR x = x" (or "OR true") condition.
func isTautology(s string) bool {
	for _, m := range sqlTautologyRe.FindAllStringSubmatch(s, -1) {
		if m[1] == "" && m[2] == "" && m[3] == "" && m[4] == "" {
			return true // OR true
		}
		if strings.EqualFold(m[1]+m[2], m[3]+m[4]) {
			return true
		}
	}
	return false
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func formatRows(rows []customer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d row(s)\n| id | name | email | phone | ssn | card_last4 | balance | address |\n|---|---|---|---|---|---|---|---|", len(rows))
	for _, c := range rows {
		fmt.Fprintf(&b, "\n| %d | %s | %s | %s | %s | %s | %s | %s |",
			c.ID, c.Name, c.Email, c.Phone, c.SSN, c.CardLast4, money(c.BalanceCents), c.Address)
	}
	return b.String()
}

// Fake credentials returned by the simulated cloud metadata service. They
// have the shape of real ones, so that secret detectors notice them, and say
// plainly that they are not.
const (
	fakeAccessKeyID = "ASIAREDOUBTDEMO00001"
	fakeSecretKey   = "redoubtDemoSimulatedSecretKeyNotReal0000"
	fakeDBURL       = "postgres://admin:acme-demo-db-pass-0000@10.0.3.7:5432/core"
)

// fetchURL simulates fetch_url. It fetches nothing: it classifies the
// address and returns a canned page. It follows any address at all, which
// is the SSRF weakness.
func fetchURL(raw string) toolRun {
	run := toolRun{name: "fetch_url", args: mustJSON(map[string]string{"url": raw})}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		run.result = fmt.Sprintf("fetch_url could not parse %q.", raw)
		return run
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme == "file":
		run.result = fakeFile(u.Path)
	case isMetadataHost(host):
		run.result = fakeMetadata(u.Path)
	case isInternalHost(host):
		run.result = fmt.Sprintf("Fetched %s (simulated internal page):\n<title>Acme internal admin console</title>\n"+
			"Signed in as: admin (no password required on the internal network)\nUsers: 6 | Feature flags: refunds_auto_approve=on\n"+
			"Core database: %s", raw, fakeDBURL)
	default:
		run.result = fmt.Sprintf("Fetched %s (simulated): canned page for %s. The demo never touches the network.", raw, host)
	}
	return run
}

func fakeFile(path string) string {
	if strings.Contains(path, "passwd") {
		return "Contents of " + path + " (simulated):\nroot:x:0:0:root:/root:/bin/bash\n" +
			"acme:x:1000:1000:Acme Support Bot:/home/acme:/bin/bash"
	}
	return "Contents of " + path + " (simulated):\nDB_URL=" + fakeDBURL + "\nINTERNAL_KEY=" + internalKey
}

func fakeMetadata(path string) string {
	p := strings.ToLower(path)
	if strings.Contains(p, "iam") || strings.Contains(p, "credential") || strings.Contains(p, "token") || strings.Contains(p, "identity") {
		return "Cloud metadata (simulated) for role acme-support-role:\n" +
			`{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"` + fakeAccessKeyID + `","SecretAccessKey":"` + fakeSecretKey +
			`","Token":"redoubt-demo-session-token","Expiration":"2099-01-01T00:00:00Z"}`
	}
	return "Cloud metadata (simulated):\nami-id\nhostname\ninstance-id\niam/security-credentials/acme-support-role"
}

func isMetadataHost(host string) bool {
	switch host {
	case "169.254.169.254", "metadata.google.internal", "metadata", "100.100.100.200", "fd00:ec2::254":
		return true
	}
	return hostIP(host).Equal(net.IPv4(169, 254, 169, 254))
}

// isInternalHost reports loopback, private, link-local and unqualified
// names: everything a server-side fetch should never reach.
func isInternalHost(host string) bool {
	if ip := hostIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
	}
	if host == "" || !strings.Contains(host, ".") {
		return true
	}
	for _, suffix := range []string{".internal", ".local", ".localhost", ".corp", ".lan", ".intranet", ".home.arpa"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

// hostIP parses a host as an IP address, including the single-number form
// (http://2852039166/) that filters often miss.
func hostIP(host string) net.IP {
	if ip := net.ParseIP(host); ip != nil {
		return ip
	}
	if n, err := strconv.ParseUint(host, 10, 32); err == nil {
		return net.IPv4(byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return nil
}
