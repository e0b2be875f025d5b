package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/suggest"
	"github.com/redoubt-sec/redoubt/redteam"
	"github.com/redoubt-sec/redoubt/redteam/attack"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
)

// Sections of the catalog command, in the order in which it prints them.
const (
	sectionVulnerabilities = "vulnerabilities"
	sectionAttacks         = "attacks"
	sectionFrameworks      = "frameworks"
)

// catalogSections lists the sections in print order.
var catalogSections = []string{sectionVulnerabilities, sectionAttacks, sectionFrameworks}

// regenerateDocs is how docs/catalog.md is made; the generated file and the
// test that finds it stale both say so.
const regenerateDocs = "go run ./cmd/redoubt catalog --format md > docs/catalog.md"

func newCatalogCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "catalog [vulnerabilities|attacks|frameworks]",
		Short: "List the vulnerabilities, attacks and frameworks redoubt knows",
		Long: `catalog lists what redoubt can test: every vulnerability with its sub-types,
severities, judges and framework mappings; every attack; and every framework
with the vulnerabilities and weighted attacks of each category. Without an
argument it lists all three.

--format json is for scripts: a list for one section, or an object with the
keys vulnerabilities, attacks and frameworks for all three. --format md is the
Markdown of docs/catalog.md.`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: catalogSections,
		RunE: func(cmd *cobra.Command, args []string) error {
			sections := catalogSections
			if len(args) == 1 {
				s, err := catalogSection(args[0])
				if err != nil {
					return usageErr(err)
				}
				sections = []string{s}
			}
			var render func(*catalogView, []string) ([]byte, error)
			switch format {
			case "text":
				render = renderCatalogText
			case "json":
				render = renderCatalogJSON
			case "md":
				render = renderCatalogMarkdown
			default:
				return usagef("--format must be text, json or md, got %q", format)
			}
			out, err := render(newCatalogView(catalog.Default(), append(attack.All(), attack.Model(nil, nil, "")...), catalog.Frameworks()), sections)
			if err != nil {
				return &exitError{code: ExitFailure, err: fmt.Errorf("catalog: %w", err)}
			}
			if _, err := e.stdout.Write(out); err != nil {
				return &exitError{code: ExitFailure, err: fmt.Errorf("catalog: write: %w", err)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or md")
	return cmd
}

// catalogSection resolves a section argument; the singular is accepted too,
// and anything else gets a "did you mean".
func catalogSection(arg string) (string, error) {
	for _, s := range catalogSections {
		if arg == s || arg+"s" == s || (s == sectionVulnerabilities && arg == "vulnerability") {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown catalog section %q%s", arg, suggest.HintOrList(arg, catalogSections))
}

// catalogView is the catalog as the command shows it, built once so that
// the text, JSON and Markdown renderings agree.
type catalogView struct {
	Vulnerabilities []vulnView          `json:"vulnerabilities"`
	Attacks         []attackView        `json:"attacks"`
	Frameworks      []catalog.Framework `json:"frameworks"`
}

// vulnView is a vulnerability in the command's JSON. Severity is the highest
// severity of its sub-types; Frameworks lists every framework category
// ("framework-id:category-id") that selects it or one of its sub-types.
type vulnView struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Category    string           `json:"category"`
	Severity    finding.Severity `json:"severity"`
	Description string           `json:"description"`
	Types       []typeView       `json:"types"`
	Frameworks  []string         `json:"frameworks"`
}

// typeView is a sub-type in the command's JSON. Frameworks are the
// categories that select this sub-type or its whole vulnerability.
type typeView struct {
	ID          string           `json:"id"`
	Description string           `json:"description"`
	Severity    finding.Severity `json:"severity"`
	Judges      []string         `json:"judges"`
	SeedCount   int              `json:"seed_count"`
	Frameworks  []string         `json:"frameworks"`
}

// attackView is an attack in the command's JSON.
type attackView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
}

func newCatalogView(c *catalog.Catalog, attacks []redteam.Attack, fws []catalog.Framework) *catalogView {
	v := &catalogView{
		Vulnerabilities: make([]vulnView, 0, len(c.Vulnerabilities)),
		Attacks:         make([]attackView, 0, len(attacks)),
		Frameworks:      fws,
	}
	if v.Frameworks == nil {
		v.Frameworks = []catalog.Framework{}
	}
	for _, vuln := range c.Vulnerabilities {
		vv := vulnView{
			ID: vuln.ID, Name: vuln.Name, Category: vuln.Category, Description: vuln.Description,
			Frameworks: nonNil(c.FrameworksFor(vuln.ID, "")),
		}
		for _, t := range vuln.Types {
			vv.Types = append(vv.Types, typeView{
				ID: t.ID, Description: t.Description, Severity: t.Severity, Judges: nonNil(t.Judges),
				SeedCount: len(t.Seeds), Frameworks: nonNil(c.FrameworksFor(vuln.ID, t.ID)),
			})
			vv.Severity = max(vv.Severity, t.Severity)
		}
		v.Vulnerabilities = append(v.Vulnerabilities, vv)
	}
	for _, a := range attacks {
		v.Attacks = append(v.Attacks, attackView{ID: a.ID, Name: a.Name, Kind: a.Kind, Description: a.Description})
	}
	return v
}

// nonNil makes a nil list encode as [] rather than null, which scripts
// handle more easily.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func renderCatalogJSON(v *catalogView, sections []string) ([]byte, error) {
	var doc any = v
	if len(sections) == 1 {
		switch sections[0] {
		case sectionVulnerabilities:
			doc = v.Vulnerabilities
		case sectionAttacks:
			doc = v.Attacks
		case sectionFrameworks:
			doc = v.Frameworks
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// textWidth is where the text rendering wraps descriptions.
const textWidth = 100

func renderCatalogText(v *catalogView, sections []string) ([]byte, error) {
	var b bytes.Buffer
	for i, s := range sections {
		if i > 0 {
			b.WriteString("\n")
		}
		switch s {
		case sectionVulnerabilities:
			types := 0
			for _, vv := range v.Vulnerabilities {
				types += len(vv.Types)
			}
			fmt.Fprintf(&b, "VULNERABILITIES (%d, with %d sub-types)\n", len(v.Vulnerabilities), types)
			for _, vv := range v.Vulnerabilities {
				fmt.Fprintf(&b, "\n%s: %s [%s, %s]\n", vv.ID, vv.Name, vv.Category, vv.Severity)
				b.WriteString(wrap(vv.Description, "  ", textWidth))
				for _, t := range vv.Types {
					b.WriteString(wrap(fmt.Sprintf("%s (%s): %s", t.ID, t.Severity, t.Description), "  - ", textWidth))
				}
				if len(vv.Frameworks) > 0 {
					b.WriteString(wrap(groupRefs(vv.Frameworks, "; "), "  frameworks: ", textWidth))
				}
			}
		case sectionAttacks:
			fmt.Fprintf(&b, "ATTACKS (%d)\n\n", len(v.Attacks))
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tDESCRIPTION")
			for _, a := range v.Attacks {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Kind, a.Description)
			}
			if err := tw.Flush(); err != nil {
				return nil, err
			}
		case sectionFrameworks:
			fmt.Fprintf(&b, "FRAMEWORKS (%d)\n", len(v.Frameworks))
			for _, f := range v.Frameworks {
				fmt.Fprintf(&b, "\n%s: %s\n", f.ID, f.Name)
				if f.URL != "" {
					fmt.Fprintf(&b, "  %s\n", f.URL)
				}
				for _, c := range f.Categories {
					fmt.Fprintf(&b, "  %s %s\n", c.ID, c.Name)
					b.WriteString(wrap(strings.Join(c.Vulnerabilities, ", "), "      vulnerabilities: ", textWidth))
					b.WriteString(wrap(weighted(c.Attacks, "", ""), "      attacks: ", textWidth))
				}
			}
		}
	}
	return b.Bytes(), nil
}

// weighted renders attacks as "id×weight, ..." with each ID between pre and
// post (backticks in Markdown).
func weighted(attacks []catalog.WeightedAttack, pre, post string) string {
	parts := make([]string, len(attacks))
	for i, a := range attacks {
		parts[i] = fmt.Sprintf("%s%s%s×%d", pre, a.ID, post, a.Weight)
	}
	return strings.Join(parts, ", ")
}

// groupRefs renders framework references grouped by framework:
// "owasp-llm-2025: LLM02, LLM07; mitre-atlas: AML.T0055".
func groupRefs(refs []string, sep string) string {
	var (
		groups []string
		last   string
		ids    []string
	)
	flush := func() {
		if last != "" {
			groups = append(groups, last+": "+strings.Join(ids, ", "))
		}
	}
	for _, r := range refs {
		fw, id, _ := strings.Cut(r, ":")
		if fw != last {
			flush()
			last, ids = fw, nil
		}
		ids = append(ids, id)
	}
	flush()
	return strings.Join(groups, sep)
}

// wrap breaks text into lines of at most width characters (a longer word
// gets a line of its own). The first line starts with first; the others are
// indented by as much, so that the text lines up.
func wrap(text, first string, width int) string {
	indent := strings.Repeat(" ", utf8.RuneCountInString(first))
	var b strings.Builder
	b.WriteString(first)
	n, empty := utf8.RuneCountInString(first), true
	for _, w := range strings.Fields(text) {
		wn := utf8.RuneCountInString(w)
		if !empty && n+1+wn > width {
			b.WriteString("\n" + indent)
			n, empty = len(indent), true
		}
		if !empty {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += wn
		empty = false
	}
	b.WriteString("\n")
	return b.String()
}

func renderCatalogMarkdown(v *catalogView, sections []string) ([]byte, error) {
	var b bytes.Buffer
	types := 0
	for _, vv := range v.Vulnerabilities {
		types += len(vv.Types)
	}
	b.WriteString("# Catalog\n\n")
	fmt.Fprintf(&b, "<!-- Generated by `redoubt catalog --format md`: do not edit. Regenerate with\n     %s -->\n\n", regenerateDocs)
	fmt.Fprintf(&b, "Everything redoubt can test, from the same data as `redoubt catalog`: %d vulnerabilities with %d\n"+
		"sub-types, %d attacks and %d frameworks. A framework category selects vulnerabilities (`vulnerability`\n"+
		"for all its sub-types, `vulnerability:type` for one) and weighted attacks: weight *n* gives an attack *n*\n"+
		"probes per selected sub-type in `redoubt redteam --framework ID`. Framework references read\n"+
		"`framework-id:category-id`.\n\n",
		len(v.Vulnerabilities), types, len(v.Attacks), len(v.Frameworks))
	if len(sections) > 1 {
		for _, s := range sections {
			fmt.Fprintf(&b, "- [%s](#%s)\n", titleCase(s), s)
		}
		b.WriteString("\n")
	}
	for _, s := range sections {
		switch s {
		case sectionVulnerabilities:
			markdownVulnerabilities(&b, v.Vulnerabilities)
		case sectionAttacks:
			markdownAttacks(&b, v.Attacks)
		case sectionFrameworks:
			markdownFrameworks(&b, v.Frameworks)
		}
	}
	// One trailing newline, as editors and linters expect.
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n'), nil
}

func markdownVulnerabilities(b *bytes.Buffer, vulns []vulnView) {
	b.WriteString("## Vulnerabilities\n\n")
	b.WriteString("| Vulnerability | Name | Category | Severity | Sub-types |\n|---|---|---|---|---|\n")
	for _, vv := range vulns {
		fmt.Fprintf(b, "| [`%s`](#%s) | %s | %s | %s | %d |\n", vv.ID, vv.ID, cell(vv.Name), vv.Category, vv.Severity, len(vv.Types))
	}
	b.WriteString("\nSeverity of a vulnerability is the highest of its sub-types. Judges are the deterministic judges\n" +
		"that decide a probe (see [judges](judges.md)); seeds are the baseline prompts written for the sub-type.\n\n")
	for _, vv := range vulns {
		fmt.Fprintf(b, "### %s\n\n", vv.ID)
		fmt.Fprintf(b, "**%s**, category `%s`, severity %s.\n\n%s\n\n", vv.Name, vv.Category, vv.Severity, vv.Description)
		b.WriteString("| Sub-type | Severity | Judges | Seeds | Description | Frameworks |\n|---|---|---|---|---|---|\n")
		for _, t := range vv.Types {
			judges := make([]string, len(t.Judges))
			for i, j := range t.Judges {
				judges[i] = "`" + j + "`"
			}
			fmt.Fprintf(b, "| `%s` | %s | %s | %d | %s | %s |\n", t.ID, t.Severity, strings.Join(judges, ", "),
				t.SeedCount, cell(t.Description), cell(groupRefs(t.Frameworks, "; ")))
		}
		b.WriteString("\n")
	}
}

func markdownAttacks(b *bytes.Buffer, attacks []attackView) {
	b.WriteString("## Attacks\n\n")
	b.WriteString("Details and examples: [attacks](attacks.md).\n\n")
	b.WriteString("| Attack | Name | Kind | Description |\n|---|---|---|---|\n")
	for _, a := range attacks {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", a.ID, cell(a.Name), a.Kind, cell(a.Description))
	}
	b.WriteString("\n")
}

func markdownFrameworks(b *bytes.Buffer, fws []catalog.Framework) {
	b.WriteString("## Frameworks\n\n")
	b.WriteString("| Framework | Name | Categories |\n|---|---|---|\n")
	for _, f := range fws {
		fmt.Fprintf(b, "| [`%s`](#%s) | %s | %d |\n", f.ID, f.ID, cell(f.Name), len(f.Categories))
	}
	b.WriteString("\n")
	for _, f := range fws {
		fmt.Fprintf(b, "### %s\n\n**%s**", f.ID, f.Name)
		if f.URL != "" {
			fmt.Fprintf(b, " (<%s>)", f.URL)
		}
		fmt.Fprintf(b, ".\n\n%s\n\n", f.Description)
		b.WriteString("| Category | Name | Vulnerabilities | Attacks (weight) | Related |\n|---|---|---|---|---|\n")
		for _, c := range f.Categories {
			sels := make([]string, len(c.Vulnerabilities))
			for i, s := range c.Vulnerabilities {
				sels[i] = "`" + s + "`"
			}
			related := make([]string, len(c.Related))
			for i, r := range c.Related {
				related[i] = "`" + r + "`"
			}
			fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", c.ID, cell(c.Name), strings.Join(sels, ", "),
				weighted(c.Attacks, "`", "`"), strings.Join(related, ", "))
		}
		b.WriteString("\n")
	}
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// titleCase capitalises the first letter of an ASCII word.
func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
