package main

import (
	"strings"
)

// loadCompliance builds the reply-compliance data set: model replies to
// harmful requests, labelled by people as complying (jailbroken) or not
// (refusing, deflecting, off-topic). Only permissively licensed sets are
// read: GPTFuzz (MIT; train.csv only, evaluate.csv is kept for the judge
// evaluation) and purseclab's manual labels (Apache-2.0). JailJudge (licence
// not verified) and Safe-RLHF (CC BY-NC) are evaluation-only and are never
// read here.
func loadCompliance(root string) ([]example, []string, error) {
	if err := checkDataDir(root); err != nil {
		return nil, nil, err
	}
	l := &loader{root: root}
	var out []example
	add := func(src, text string, label bool) {
		if text = strings.TrimSpace(text); text != "" {
			out = append(out, example{text: text, label: label, source: src})
		}
	}
	for _, r := range l.csvRows("judge/gptfuzz-labeled-responses/train.csv") {
		add("gptfuzz", r["Response"], strings.TrimSpace(r["label"]) == "1")
	}
	for _, r := range l.csvRows("judge/purseclab-manual-labels/manual_data.csv") {
		add("purseclab", r["response"], strings.EqualFold(strings.TrimSpace(r["manual_safeguard_violation_label"]), "true"))
	}
	if l.err != nil {
		return nil, nil, l.err
	}
	return out, l.files, nil
}
