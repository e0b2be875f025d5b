package redteam

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/redoubt-sec/redoubt/internal/suggest"
	"github.com/redoubt-sec/redoubt/redteam/catalog"
)

// DefaultPurpose fills {purpose} when the configuration gives none.
const DefaultPurpose = "customer support assistant"

// PlanInputs are what a plan draws on besides its options.
type PlanInputs struct {
	// Catalog holds the vulnerabilities (the built-in catalog, possibly
	// merged with the user's custom vulnerabilities).
	Catalog *catalog.Catalog
	// Attacks are the attacks a plan may use (attack.All(), or a Go
	// program's own list).
	Attacks []Attack
	// Frameworks resolve PlanOptions.Framework; nil means
	// catalog.Frameworks(). The CLI passes the built-in frameworks with the
	// custom vulnerabilities added to the categories they name.
	Frameworks []catalog.Framework
	// Dataset holds the rows of PlanOptions.Dataset, read with LoadDataset.
	// It is required when PlanOptions.Dataset is set: planning reads no
	// files, which keeps it a pure function of its arguments.
	Dataset *Dataset
}

// Plan expands a catalog selection into probes: every selected sub-type
// with every selected attack that applies to it, PerType times. It is
// PlanWith without a dataset, with the built-in frameworks.
func Plan(cat *catalog.Catalog, attacks []Attack, opts PlanOptions) ([]Probe, error) {
	return PlanWith(PlanInputs{Catalog: cat, Attacks: attacks}, opts)
}

// PlanWith plans a run. It has up to two parts, in this order:
//
//   - The catalog part. With opts.Framework, it is what the framework maps
//     to: for each category, each sub-type its selectors name with each of
//     its attacks, weight x PerType times; a probe that several categories
//     call for is planned once, as many times as the largest of them asks.
//     opts.Vulnerabilities and opts.Attacks then narrow the framework's
//     selection rather than replace it. Without a framework, it is every
//     selected sub-type with every selected attack, PerType times.
//   - The dataset part, when opts.Dataset is set: each row of in.Dataset
//     with the baseline attack, or with each attack of opts.Attacks, PerType
//     times. With a dataset, the catalog part is planned only when
//     opts.Vulnerabilities or opts.Framework asks for it.
//
// The plan is a pure function of its inputs. Each probe draws its seed
// prompt, marker and attack variation from a random source keyed by (seed,
// vulnerability, type, attack, n), or for a dataset row by (seed, the row's
// content, attack, n), so a probe's ID and content do not depend on what
// else is in the plan: narrowing a run with --vulnerabilities keeps the IDs
// of the probes that remain, and a framework run shares its IDs with an
// ordinary run of the same seed.
func PlanWith(in PlanInputs, opts PlanOptions) ([]Probe, error) {
	if in.Catalog == nil {
		in.Catalog = &catalog.Catalog{}
	}
	per := max(opts.PerType, 1)
	purpose := opts.Purpose
	if purpose == "" {
		purpose = DefaultPurpose
	}
	// A plan is made of drafts, each of which makes its probe when called:
	// --max keeps a sample of them, and only the kept ones pay for their
	// attack's transform.
	var drafts []draft
	if opts.Dataset == nil || len(opts.Vulnerabilities) > 0 || opts.Framework != "" {
		atks, err := selectAttacks(in.Attacks, opts.Attacks)
		if err != nil {
			return nil, err
		}
		if opts.Framework != "" {
			fw, err := FindFramework(in.Frameworks, opts.Framework)
			if err != nil {
				return nil, err
			}
			drafts, err = planFramework(in.Catalog, atks, in.Attacks, fw, opts, per, purpose)
			if err != nil {
				return nil, err
			}
		} else {
			sel, err := in.Catalog.Resolve(opts.Vulnerabilities)
			if err != nil {
				return nil, err
			}
			for _, s := range sel {
				for _, typ := range s.Types {
					for _, a := range atks {
						if a.Applies != nil && !a.Applies(s.Vuln.ID) {
							continue
						}
						for n := range per {
							drafts = append(drafts, func() Probe { return makeProbe(opts.Seed, s.Vuln.ID, typ, a, n, purpose) })
						}
					}
				}
			}
		}
	}
	if opts.Dataset != nil {
		if in.Dataset == nil {
			return nil, fmt.Errorf("plan: the options name dataset %s, but it was not loaded", opts.Dataset.Path)
		}
		dp, err := planDataset(in.Dataset, in.Attacks, opts, per)
		if err != nil {
			return nil, err
		}
		drafts = append(drafts, dp...)
	}
	if opts.Max > 0 && len(drafts) > opts.Max {
		drafts = sample(drafts, opts.Max, opts.Seed)
	}
	return makeAll(drafts), nil
}

// makeAll makes the drafted probes, on every CPU: each is independent of
// the others (its own random source), so the plan is the same however the
// work is split, and a large plan is ready sooner.
func makeAll(drafts []draft) []Probe {
	probes := make([]Probe, len(drafts))
	workers := min(runtime.GOMAXPROCS(0), max(len(drafts)/256, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(drafts); i += workers {
				probes[i] = drafts[i]()
				probes[i].Seq = i
			}
		})
	}
	wg.Wait()
	return probes
}

// draft makes one planned probe. Each probe draws from a random source of
// its own, so making only some of them changes none.
type draft func() Probe

// FindFramework returns the framework with the given ID from frameworks
// (nil: catalog.Frameworks()); an unknown ID is an error that suggests the
// nearest one.
func FindFramework(frameworks []catalog.Framework, id string) (catalog.Framework, error) {
	if frameworks == nil {
		frameworks = catalog.Frameworks()
	}
	id = strings.TrimSpace(id)
	ids := make([]string, len(frameworks))
	for i, f := range frameworks {
		if f.ID == id {
			return f, nil
		}
		ids[i] = f.ID
	}
	return catalog.Framework{}, fmt.Errorf("unknown framework %q%s", id, suggest.HintOrList(id, ids))
}

// planFramework plans what fw maps to. atks are the attacks opts.Attacks
// allows; all is every attack, to tell an unknown attack in the framework
// from one the user left out.
func planFramework(cat *catalog.Catalog, atks, all []Attack, fw catalog.Framework, opts PlanOptions, per int, purpose string) ([]draft, error) {
	// narrow holds the sub-types opts.Vulnerabilities allows ("vuln:type").
	var narrow map[string]bool
	if len(opts.Vulnerabilities) > 0 {
		sel, err := cat.Resolve(opts.Vulnerabilities)
		if err != nil {
			return nil, err
		}
		narrow = map[string]bool{}
		for _, s := range sel {
			for _, t := range s.Types {
				narrow[s.Vuln.ID+":"+t.ID] = true
			}
		}
	}
	allowed := map[string]bool{}
	for _, a := range atks {
		allowed[a.ID] = true
	}
	known := make([]string, len(all))
	for i, a := range all {
		known[i] = a.ID
	}
	// count[vuln:type][attack] is the number of probes to plan.
	count := map[string]map[string]int{}
	for _, c := range fw.Categories {
		sel, err := cat.Resolve(c.Vulnerabilities)
		if err != nil {
			return nil, fmt.Errorf("framework %s, category %s: %w", fw.ID, c.ID, err)
		}
		for _, wa := range c.Attacks {
			if !slices.Contains(known, wa.ID) {
				return nil, fmt.Errorf("framework %s, category %s: unknown attack %q%s", fw.ID, c.ID, wa.ID, suggest.HintOrList(wa.ID, known))
			}
		}
		if len(c.Vulnerabilities) == 0 {
			// Resolve selects everything for no selectors; a category
			// that maps to nothing plans nothing.
			continue
		}
		for _, s := range sel {
			for _, t := range s.Types {
				key := s.Vuln.ID + ":" + t.ID
				if narrow != nil && !narrow[key] {
					continue
				}
				for _, wa := range c.Attacks {
					if !allowed[wa.ID] {
						continue
					}
					if count[key] == nil {
						count[key] = map[string]int{}
					}
					count[key][wa.ID] = max(count[key][wa.ID], max(wa.Weight, 1)*per)
				}
			}
		}
	}
	var drafts []draft
	for _, v := range cat.Vulnerabilities {
		for _, t := range v.Types {
			n := count[v.ID+":"+t.ID]
			if n == nil {
				continue
			}
			for _, a := range atks {
				if a.Applies != nil && !a.Applies(v.ID) {
					continue
				}
				for i := range n[a.ID] {
					drafts = append(drafts, func() Probe { return makeProbe(opts.Seed, v.ID, t, a, i, purpose) })
				}
			}
		}
	}
	return drafts, nil
}

// planDataset makes the probes of a dataset's rows. Attacks named in
// opts.Attacks apply to every row (a dataset has no vulnerability for an
// attack to judge its fit by); without them each row is sent as written.
func planDataset(ds *Dataset, all []Attack, opts PlanOptions, per int) ([]draft, error) {
	ids := opts.Attacks
	if len(ids) == 0 {
		ids = []string{"baseline"}
	}
	atks, err := selectAttacks(all, ids)
	if err != nil {
		return nil, err
	}
	var drafts []draft
	// seen counts identical rows, so that a row repeated in the file gets
	// probes of its own instead of clashing IDs.
	seen := map[string]int{}
	for _, row := range ds.Rows {
		key := rowKey(row)
		occ := seen[key]
		seen[key]++
		for _, a := range atks {
			for n := range per {
				drafts = append(drafts, func() Probe { return datasetProbe(opts.Seed, row, key, occ, a, n) })
			}
		}
	}
	return drafts, nil
}

func datasetProbe(seed int64, row DatasetRow, key string, occ int, a Attack, n int) Probe {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s\x00%d\x00%s\x00%d", seed, DatasetVulnerability, key, occ, a.ID, n))
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	return Probe{
		ID:            "p-" + hex.EncodeToString(sum[16:22]),
		Vulnerability: DatasetVulnerability,
		Type:          row.Type,
		Attack:        a.ID,
		Goal:          row.Prompt,
		Turns:         []string{a.apply(row.Prompt, r)},
		Judges:        datasetJudges(row),
	}
}

func makeProbe(seed int64, vuln string, typ catalog.Type, a Attack, n int, purpose string) Probe {
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%d", seed, vuln, typ.ID, a.ID, n)
	sum := sha256.Sum256([]byte(key))
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))

	// Rotate through the seeds so that, across attacks and repetitions, every
	// seed of a sub-type gets used rather than the same one each time.
	goal := typ.Seeds[r.IntN(len(typ.Seeds))]
	var markers []string
	if strings.Contains(goal, "{marker}") {
		m := fmt.Sprintf("RDBT-%06X", r.Uint32()&0xFFFFFF)
		markers = []string{m}
		goal = strings.ReplaceAll(goal, "{marker}", m)
	}
	goal = strings.ReplaceAll(goal, "{purpose}", purpose)
	return Probe{
		ID:            "p-" + hex.EncodeToString(sum[16:22]),
		Vulnerability: vuln,
		Type:          typ.ID,
		Attack:        a.ID,
		Goal:          goal,
		Turns:         []string{a.apply(goal, r)},
		Judges:        slices.Clone(typ.Judges),
		Rubric:        typ.Rubric,
		Markers:       markers,
		Severity:      typ.Severity,
	}
}

// selectAttacks returns the attacks named in ids, in registry order, or all
// of them when ids is empty.
func selectAttacks(all []Attack, ids []string) ([]Attack, error) {
	if len(ids) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(a Attack) bool { return a.ID == id }) {
			names := make([]string, len(all))
			for i, a := range all {
				names[i] = a.ID
			}
			return nil, fmt.Errorf("unknown attack %q%s", id, suggest.HintOrList(id, names))
		}
		want[id] = true
	}
	var out []Attack
	for _, a := range all {
		if want[a.ID] {
			out = append(out, a)
		}
	}
	return out, nil
}

// sample keeps k drafts chosen uniformly with the plan's seed, in plan
// order.
func sample(drafts []draft, k int, seed int64) []draft {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	idx := r.Perm(len(drafts))[:k]
	slices.Sort(idx)
	out := make([]draft, k)
	for i, j := range idx {
		out[i] = drafts[j]
	}
	return out
}
