package main

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/detect/linear"
)

// Splits of the data set.
const (
	splitTrain = iota
	splitDev
	splitTest
)

var splitNames = [...]string{"train", "dev", "test"}

// item is a deduplicated, normalised example with its features.
type item struct {
	example
	norm  string
	split int
	feats []linear.Feature
}

// dataset is the prepared data of one task.
type dataset struct {
	items     []item
	conflicts int
	dupes     int
}

// prepare normalises, deduplicates and splits the examples and computes
// their features. Texts that occur with both labels are dropped.
func prepare(exs []example, cfg linear.Config) *dataset {
	set := &dataset{}
	seen := map[string]int{}
	drop := map[int]bool{}
	for _, e := range exs {
		n := detect.Normalize(e.text).Text
		if i, ok := seen[n]; ok {
			if set.items[i].label != e.label {
				drop[i] = true
				set.conflicts++
			} else {
				set.dupes++
			}
			continue
		}
		g := e.group
		if g == "" {
			g = n
		}
		h := fnv.New64a()
		h.Write([]byte(g))
		sp := splitTrain
		switch h.Sum64() % 10 {
		case 0:
			sp = splitTest
		case 1:
			sp = splitDev
		}
		seen[n] = len(set.items)
		set.items = append(set.items, item{example: e, norm: n, split: sp})
	}
	kept := set.items[:0]
	for i, it := range set.items {
		if !drop[i] {
			kept = append(kept, it)
		}
	}
	set.items = kept
	// Features are a pure function of the text, so computing them in
	// parallel keeps the result deterministic.
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(set.items); i += workers {
				set.items[i].feats = cfg.Features(set.items[i].norm)
			}
		}()
	}
	wg.Wait()
	return set
}

// describe writes the counts per source and split.
func (s *dataset) describe(r *report) {
	type key struct {
		src   string
		label bool
	}
	counts := map[key]*[3]int{}
	for _, it := range s.items {
		k := key{it.source, it.label}
		if counts[k] == nil {
			counts[k] = &[3]int{}
		}
		counts[k][it.split]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].label != keys[j].label {
			return keys[i].label
		}
		return keys[i].src < keys[j].src
	})
	r.printf("\nexamples after deduplication (%d duplicates removed, %d texts dropped for conflicting labels):\n", s.dupes, s.conflicts)
	r.printf("  %-18s %-8s %6s %6s %6s\n", "source", "label", "train", "dev", "test")
	for _, k := range keys {
		c := counts[k]
		lbl := "benign"
		if k.label {
			lbl = "positive"
		}
		r.printf("  %-18s %-8s %6d %6d %6d\n", k.src, lbl, c[0], c[1], c[2])
	}
}

// trained is a model fresh from fit.
type trained struct{ m *linear.Model }

// scorer scores an example given its original and normalised text.
type scorer func(orig, norm string) float64

// ScoreLongFn scores with the classifier alone, as the detector runs it.
func (t trained) ScoreLongFn() scorer {
	return func(_, norm string) float64 {
		s, _, _ := t.m.ScoreLong(norm)
		return s
	}
}

// detectorFor returns the full detector's scanner-level score for a task
// that has one, using model m.
func detectorFor(task string, m *linear.Model) scorer {
	var d detect.Detector
	switch task {
	case "injection":
		d = detect.NewInjectionModel(m)
	case "harmful":
		d = detect.Harmful{Classifier: func(s string) float64 {
			p, _, _ := m.ScoreLong(detect.Normalize(s).Text)
			return p
		}}
	default:
		return nil
	}
	return func(orig, _ string) float64 {
		best := 0.0
		for _, f := range d.Scan(orig) {
			best = max(best, f.Score)
		}
		return best
	}
}

// detectorParts says what the full detector of a task combines.
var detectorParts = map[string]string{
	"injection": "rules + decoding + classifier",
	"harmful":   "rules + classifier",
}

// weight is an item's weight in calibration.
func (it *item) weight(o options) float64 {
	if it.hard {
		return o.hardWeight
	}
	return 1
}

// sourceWeights gives each training source a total weight that grows
// with the square root of its size, so that one large source (a dump of
// in-the-wild jailbreaks) does not drown the small, varied ones.
func sourceWeights(set *dataset, idx []int) map[string]float64 {
	n := map[string]int{}
	for _, i := range idx {
		n[set.items[i].source]++
	}
	w := map[string]float64{}
	for s, c := range n {
		w[s] = 1 / math.Sqrt(float64(c))
	}
	return w
}

// fit trains logistic regression with AdaGrad and L2 on the train split
// (leaving out the sources in skip), quantises it, and calibrates its
// threshold on the dev split. It returns the model and the threshold.
func fit(set *dataset, o options, recipe [32]byte, skip map[string]bool) (trained, float64) {
	cfg := o.config()
	var idx []int
	for i := range set.items {
		it := &set.items[i]
		if it.split != splitTrain || skip[it.source] || o.exclude[it.source] {
			continue
		}
		idx = append(idx, i)
	}
	srcW := sourceWeights(set, idx)
	ex := make([]float64, len(set.items))
	var wPos, wNeg float64
	for _, i := range idx {
		it := &set.items[i]
		ex[i] = it.weight(o) * srcW[it.source]
		if it.label {
			wPos += ex[i]
		} else {
			wNeg += ex[i]
		}
	}
	// Balance the classes: each carries half of the total weight.
	total := wPos + wNeg
	classW := [2]float64{total / (2 * wNeg), total / (2 * wPos)}

	w := make([]float64, 1<<cfg.Bits)
	g2 := make([]float64, len(w))
	var bias, gb2 float64
	rng := rand.New(rand.NewPCG(o.seed, 0x9e3779b97f4a7c15))
	for range o.epochs {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx {
			it := &set.items[i]
			z := bias
			for _, f := range it.feats {
				z += w[f.Index] * float64(f.Value)
			}
			y, cw := 0.0, classW[0]
			if it.label {
				y, cw = 1, classW[1]
			}
			g := (1/(1+math.Exp(-z)) - y) * cw * ex[i]
			for _, f := range it.feats {
				gi := g*float64(f.Value) + o.l2*w[f.Index]
				g2[f.Index] += gi * gi
				w[f.Index] -= o.lr * gi / (math.Sqrt(g2[f.Index]) + 1e-8)
			}
			gb2 += g * g
			bias -= o.lr * g / (math.Sqrt(gb2) + 1e-8)
		}
	}
	w32 := make([]float32, len(w))
	for i, x := range w {
		w32[i] = float32(x)
	}
	m, err := linear.New(cfg, w32, float32(bias), 0.5, recipe)
	if err != nil {
		panic(err) // weights are finite and sized by construction
	}
	thr := calibrate(set, o, m, skip)
	m, err = linear.New(cfg, w32, float32(bias), thr, recipe)
	if err != nil {
		panic(err)
	}
	return trained{m}, thr
}

// calibrate returns the lowest raw threshold whose weighted false-positive
// rate on the benign dev examples (of the calibration sources, when the
// task names them) is at most the target. m has threshold
// 0.5, so its calibrated score is the raw probability.
func calibrate(set *dataset, o options, m *linear.Model, skip map[string]bool) float64 {
	type sw struct{ s, w float64 }
	var neg []sw
	var total float64
	for i := range set.items {
		it := &set.items[i]
		if it.split != splitDev || it.label || skip[it.source] || len(o.calib) > 0 && !o.calib[it.source] {
			continue
		}
		s, _, _ := m.ScoreLong(it.norm)
		neg = append(neg, sw{s, it.weight(o)})
		total += it.weight(o)
	}
	slices.SortFunc(neg, func(a, b sw) int { return cmp.Compare(b.s, a.s) })
	thr, cum := 0.5, 0.0
	for _, n := range neg {
		if cum+n.w > o.targetFPR*total {
			// Just above this benign example's score.
			thr = math.Nextafter(n.s, 1)
			break
		}
		cum += n.w
	}
	return min(max(thr, 1e-4), 1-1e-4)
}

// evaluate writes flag rates per source and overall precision, recall,
// FPR and F1 at the 0.5 decision point. The scope is the given split,
// plus every split of the skipped sources.
func evaluate(r *report, set *dataset, split int, score scorer, skip, prompts map[string]bool) {
	type agg struct {
		src        string
		n, flagged int
		label      bool
	}
	per := map[string]*agg{}
	var tp, fp, fn, tn int
	var in [4]int  // the same counts without the held-out sources
	var pn, pf int // benign prompts: count and flagged
	for i := range set.items {
		it := &set.items[i]
		if it.split != split && !skip[it.source] {
			continue
		}
		s := score(it.text, it.norm)
		flagged := s >= 0.5
		key := it.source + "\x00" + fmt.Sprint(it.label)
		a := per[key]
		if a == nil {
			a = &agg{src: it.source, label: it.label}
			per[key] = a
		}
		a.n++
		if flagged {
			a.flagged++
		}
		if !it.label && prompts[it.source] {
			pn++
			if flagged {
				pf++
			}
		}
		if !skip[it.source] {
			switch {
			case it.label && flagged:
				in[0]++
			case it.label:
				in[2]++
			case flagged:
				in[1]++
			default:
				in[3]++
			}
		}
		switch {
		case it.label && flagged:
			tp++
		case it.label:
			fn++
		case flagged:
			fp++
		default:
			tn++
		}
	}
	srcs := make([]string, 0, len(per))
	for k := range per {
		srcs = append(srcs, k)
	}
	sort.Strings(srcs)
	r.printf("  %-18s %-8s %6s %8s  %s\n", "source", "label", "n", "flagged", "rate")
	for _, s := range srcs {
		a := per[s]
		lbl, what := "benign", "FPR"
		if a.label {
			lbl, what = "positive", "recall"
		}
		note := ""
		if skip[a.src] {
			note = "  (held out)"
		}
		r.printf("  %-18s %-8s %6d %8d  %s %5.1f%%%s\n", a.src, lbl, a.n, a.flagged, what, pct(a.flagged, a.n), note)
	}
	overall := func(what string, tp, fp, fn, tn int) {
		prec, rec := ratio(tp, tp+fp), ratio(tp, tp+fn)
		f1 := 0.0
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		r.printf("  %s: precision %.3f  recall %.3f  FPR %.3f  F1 %.3f  (TP %d FP %d FN %d TN %d)\n",
			what, prec, rec, ratio(fp, fp+tn), f1, tp, fp, fn, tn)
	}
	overall("overall (trained-on sources)", in[0], in[1], in[2], in[3])
	if pn > 0 {
		r.printf("  benign prompts (the calibration sources): FPR %.3f (%d of %d)\n", ratio(pf, pn), pf, pn)
	}
	if len(skip) > 0 {
		overall("overall (with held-out sources)", tp, fp, fn, tn)
	}
}

// listErrors writes the examples of split that score misclassifies, one a
// line: source, label, score and the start of the text.
func listErrors(w io.Writer, set *dataset, split int, score scorer) {
	for i := range set.items {
		it := &set.items[i]
		if it.split != split {
			continue
		}
		if s := score(it.text, it.norm); (s >= 0.5) != it.label {
			txt := strings.Join(strings.Fields(it.text), " ")
			if len(txt) > 160 {
				txt = strings.ToValidUTF8(txt[:160], "") + "..."
			}
			fmt.Fprintf(w, "%-16s %-5v %.2f %s\n", it.source, it.label, s, txt)
		}
	}
}

func pct(a, b int) float64 { return 100 * ratio(a, b) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
