// Package models holds the classifiers redoubt trains itself, embedded in
// the binary: the prompt-injection model used by detect.NewInjection, the
// toxicity model behind the toxicity scanner and the harmful-intent model
// behind the harmful scanner.
//
// The weights files are produced by the training program, which records
// its data sources, options and held-out figures in docs/detectors:
//
//	go run ./internal/train -task injection -data ../shared/data -out detect/models/injection.bin -report docs/detectors/injection-training.txt
//	go run ./internal/train -task toxicity  -data ../shared/data -out detect/models/toxicity.bin  -report docs/detectors/toxicity-training.txt
//	go run ./internal/train -task harmful   -data ../shared/data -out detect/models/harmful.bin   -report docs/detectors/harmful-training.txt
//	go run ./internal/train -task compliance -data ../shared/data -out internal/detect/models/compliance.bin -report docs/detectors/compliance-training.txt
package models

import (
	_ "embed"
	"fmt"

	"github.com/redoubt-sec/redoubt/internal/detect/linear"
)

// The files are embedded as strings, which Go keeps read-only.
var (
	//go:embed injection.bin
	injectionBin string
	//go:embed toxicity.bin
	toxicityBin string
	//go:embed harmful.bin
	harmfulBin string
	//go:embed compliance.bin
	complianceBin string
)

// InjectionModel returns a fresh copy of the embedded prompt-injection and
// jailbreak classifier. Its Score expects text passed through
// detect.Normalize; 0.5 is its calibrated decision point.
func InjectionModel() *linear.Model { return mustLoad("injection.bin", injectionBin) }

// ToxicityModel returns a fresh copy of the embedded toxicity classifier
// (insults, hate and offensive language). Its Score expects text passed
// through detect.Normalize; 0.5 is its calibrated decision point.
func ToxicityModel() *linear.Model { return mustLoad("toxicity.bin", toxicityBin) }

// HarmfulModel returns a fresh copy of the embedded harmful-intent
// classifier (requests for help with serious harm, against benign prompts
// and safe look-alikes). Its Score and ScoreLong expect text passed
// through detect.Normalize; 0.5 is its calibrated decision point.
func HarmfulModel() *linear.Model { return mustLoad("harmful.bin", harmfulBin) }

// ComplianceModel returns a fresh copy of the embedded reply-compliance
// classifier: does a model's reply to a harmful request comply (label
// "jailbroken"), rather than refuse, deflect or wander off? Trained only on
// permissively licensed labelled replies (GPTFuzz, MIT; purseclab,
// Apache-2.0). Its Score and ScoreLong expect text passed through
// detect.Normalize; 0.5 is its calibrated decision point.
func ComplianceModel() *linear.Model { return mustLoad("compliance.bin", complianceBin) }

// mustLoad decodes an embedded model. The files are checked by this
// package's tests, so a failure here means a broken build, not bad input.
func mustLoad(name, data string) *linear.Model {
	m, err := linear.Load([]byte(data))
	if err != nil {
		panic(fmt.Sprintf("models: embedded %s: %v", name, err))
	}
	return m
}
