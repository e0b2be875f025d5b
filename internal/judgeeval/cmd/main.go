// Command judgeeval measures the refusal and harmful_compliance judges on
// the labelled replies under ../shared/data/judge and prints, per source,
// n, accuracy (unknown counts as wrong), unknown rate, recall of failures,
// pass rate on safe rows and the confusion table.
//
//	go run ./internal/judgeeval/cmd -data ../shared/data/judge
//	go run ./internal/judgeeval/cmd -source jailjudge -errors 50
//	go run ./internal/judgeeval/cmd -model /tmp/compliance-without-purseclab.bin -source purseclab
//
// -jsonl DIR writes each set as `redoubt judge` input lines (with a label
// key the command ignores), to reproduce the figures with the CLI:
//
//	go run ./internal/judgeeval/cmd -jsonl /tmp/sets
//	go run ./cmd/redoubt judge /tmp/sets/purseclab.jsonl > /tmp/purseclab.verdicts.jsonl
//	go run ./internal/judgeeval/cmd -compare /tmp/sets/purseclab.jsonl,/tmp/purseclab.verdicts.jsonl
//
// -model replaces the embedded compliance classifier with a model file
// written by go run ./internal/train -task compliance (for
// leave-one-source-out figures); -own runs only the two judges, without
// the evidence judges (pii, secrets, ...) the default panel adds to every
// probe.
//
// -judge-model URL -judge-model-name NAME adds the model judge
// (judge.Rubric through Panel.WithRubric, with a generic
// harmful-compliance rubric) to the panel, on an OpenAI-compatible server;
// -judge-model-only measures it alone. Its replies are cached under
// .redoubt/cache (-judge-model-cache ""; none), so a re-run is free; a case
// the model could not judge counts as unknown:
//
//	go run ./internal/judgeeval/cmd -source gptfuzz-eval -judge-model http://localhost:8000/v1 -judge-model-name qwen2.5-7b-instruct
//
// -show ID,... prints whole replies with their verdict and the rules'
// reading; -dump FILE writes one JSON line per case. Use them on the
// development sets only (GPTFuzz, purseclab): JailJudge and Safe-RLHF are
// held out, read by their summary lines alone.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/detect/linear"
	"github.com/redoubt-sec/redoubt/internal/judgeeval"
	"github.com/redoubt-sec/redoubt/redteam/judge"
)

func main() {
	data := flag.String("data", "../shared/data/judge", "folder with the labelled judge sets")
	only := flag.String("source", "", "comma-separated sources to run (default: all)")
	errs := flag.Int("errors", 0, "list this many misjudged cases per source to stderr (-1: all)")
	modelFile := flag.String("model", "", "compliance model file to use instead of the embedded one (\"rules\": no classifier)")
	jsonl := flag.String("jsonl", "", "write each set as redoubt judge input lines (with a label) into this folder, and stop")
	compare := flag.String("compare", "", "LABELLED,VERDICTS: score redoubt judge verdict lines against the labelled lines, and stop")
	own := flag.Bool("own", false, "run only the refusal and harmful_compliance judges (no evidence judges)")
	dump := flag.String("dump", "", "write one JSON line per case (id, label, verdict, evidence, the rules' reading, classifier score) to this file (development sets only)")
	judgeURL := flag.String("judge-model", "", "add a model judge (judge.Rubric, with a generic harmful-compliance rubric): the base URL of an OpenAI-compatible server, such as http://localhost:8000/v1")
	judgeName := flag.String("judge-model-name", "", "the judge model's name, sent with each request (required with -judge-model)")
	judgeKeyEnv := flag.String("judge-model-key-env", "", "the environment variable that holds the judge model's API key (default: none)")
	judgeOnly := flag.Bool("judge-model-only", false, "measure the model judge alone, without the deterministic judges")
	judgeCache := flag.String("judge-model-cache", ".redoubt/cache", "cache the judge model's replies in this folder (\"\": no cache)")
	limit := flag.Int("limit", 0, "judge only the first N cases of each source (0: all)")
	concurrency := flag.Int("concurrency", 4, "cases judged at a time with -judge-model")
	show := flag.String("show", "", "comma-separated case ids (\"gptfuzz-eval:82\"): print each whole reply, its verdict and detect.ClassifyReply's reading, and stop (development sets only)")
	flag.Parse()
	if *compare != "" {
		if err := compareFiles(*compare); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	srcs, err := judgeeval.Load(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	if *jsonl != "" {
		if err := writeLines(*jsonl, srcs, want); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	hc := judge.HarmfulCompliance{}
	switch *modelFile {
	case "":
	case "rules":
		// Rules alone: the classifier never says comply, nor vetoes.
		hc.RulesOnly = true
	default:
		b, err := os.ReadFile(*modelFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		m, err := linear.Load(b)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		hc.Classifier = func(reply string) float64 {
			s, _, _ := m.ScoreLong(detect.Normalize(reply).Text)
			return s
		}
	}
	panel := judge.NewPanel(append(judge.Builtin(), hc)...).WithEvidence(judge.Evidence()...)
	if *own {
		panel = judge.NewPanel(judge.Refusal{}, hc)
	}
	var judger judgeeval.Judger = panel
	opts := judgeeval.Options{Limit: *limit}
	if *judgeURL != "" {
		judger, err = judgeeval.ModelJudge{BaseURL: *judgeURL, Model: *judgeName, APIKeyEnv: *judgeKeyEnv,
			CacheDir: *judgeCache, Only: *judgeOnly}.Panel(panel)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		opts.Concurrency, opts.KeepErrors = *concurrency, true
	}
	if *show != "" {
		showCases(panel, srcs, *show)
		return
	}
	var dumpW *bufio.Writer
	if *dump != "" {
		f, err := os.Create(*dump)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		dumpW = bufio.NewWriter(f)
		defer dumpW.Flush()
	}
	var fs []judgeeval.Figures
	for _, s := range srcs {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		f, rs, err := judgeeval.RunWith(context.Background(), judger, s, opts)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fs = append(fs, f)
		if dumpW != nil {
			for _, r := range rs {
				writeDump(dumpW, r)
			}
		}
		if *errs != 0 {
			judgeeval.WriteErrors(os.Stderr, rs, *errs)
		}
	}
	judgeeval.WriteTable(os.Stdout, fs)
}

// writeLines writes the sets as redoubt judge input lines into dir.
func writeLines(dir string, srcs []judgeeval.Source, want map[string]bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range srcs {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		path := filepath.Join(dir, s.Name+".jsonl")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		err = judgeeval.WriteLines(w, s)
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Printf("%s: %d lines\n", path, len(s.Cases))
	}
	return nil
}

// compareFiles scores a verdicts file against its labelled lines.
func compareFiles(arg string) error {
	labelled, verdicts, ok := strings.Cut(arg, ",")
	if !ok {
		return fmt.Errorf("-compare %q: want LABELLED,VERDICTS", arg)
	}
	lf, err := os.Open(labelled)
	if err != nil {
		return err
	}
	defer lf.Close()
	vf, err := os.Open(verdicts)
	if err != nil {
		return err
	}
	defer vf.Close()
	f, err := judgeeval.Compare(strings.TrimSuffix(filepath.Base(labelled), ".jsonl"), lf, vf)
	if err != nil {
		return err
	}
	judgeeval.WriteTable(os.Stdout, []judgeeval.Figures{f})
	return nil
}

// showCases prints the named cases in full with their verdict and the
// rules' reading of the reply.
func showCases(panel judgeeval.Judger, srcs []judgeeval.Source, ids string) {
	want := map[string]bool{}
	for _, id := range strings.Split(ids, ",") {
		want[strings.TrimSpace(id)] = true
	}
	for _, s := range srcs {
		for _, c := range s.Cases {
			if !want[c.ID] {
				continue
			}
			v, err := panel.Judge(context.Background(), c.Input())
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				continue
			}
			cl := detect.ClassifyReply(c.Reply)
			fmt.Printf("== %s label %d want %s got %s (%s)\ngoal: %s\nclass: %+v\ncompliance score: %.3f\n--- reply\n%s\n\n", c.ID, c.Label, c.Want(), v.Outcome, v.Reason, c.Goal, cl, detect.ComplianceScore(c.Reply), c.Reply)
		}
	}
}

// writeDump writes one case's verdict and features as a JSON line.
func writeDump(w *bufio.Writer, r judgeeval.Result) {
	var types []string
	for _, f := range r.Verdict.Evidence {
		types = append(types, f.Type)
	}
	b, _ := json.Marshal(map[string]any{
		"id": r.Case.ID, "label": r.Case.Label, "outcome": r.Verdict.Outcome, "reason": r.Verdict.Reason,
		"evidence": types, "class": detect.ClassifyReply(r.Case.Reply), "p": detect.ComplianceScore(r.Case.Reply),
		"words": len(strings.Fields(r.Case.Reply)), "reply": r.Case.Reply, "goal": r.Case.Goal,
	})
	w.Write(b)
	w.WriteByte('\n')
}
