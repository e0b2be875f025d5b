package model

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("config.json", "{}")
	write("weights/model.safetensors", "weights-v1")
	write("tokenizer.json", "tok")
	var buf bytes.Buffer
	if err := WriteManifest(context.Background(), dir, &buf); err != nil {
		t.Fatalf("WriteManifest: %v", err)
	}
	manifest := buf.String()
	if !strings.Contains(manifest, `"weights/model.safetensors"`) {
		t.Fatalf("manifest lacks a relative slash path:\n%s", manifest)
	}

	changes, err := VerifyManifest(context.Background(), dir, strings.NewReader(manifest))
	if err != nil || len(changes) != 0 {
		t.Fatalf("untouched dir: changes %v, err %v", changes, err)
	}

	write("weights/model.safetensors", "weights-v2") // tampered
	write("extra.pkl", "x")                          // slipped in
	if err := os.Remove(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	changes, err = VerifyManifest(context.Background(), dir, strings.NewReader(manifest))
	if err != nil {
		t.Fatalf("VerifyManifest: %v", err)
	}
	type kinded struct {
		Path string
		Kind ChangeKind
	}
	var got []kinded
	for _, c := range changes {
		got = append(got, kinded{c.Path, c.Kind})
	}
	want := []kinded{{"extra.pkl", Added}, {"tokenizer.json", Removed}, {"weights/model.safetensors", Changed}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestVerifyManifestRejectsBadInput(t *testing.T) {
	tests := map[string]string{
		"not json":      "nope",
		"unknown field": `{"version":1,"algorithm":"sha256","files":[],"extra":1}`,
		"wrong version": `{"version":9,"algorithm":"sha256","files":[]}`,
		"duplicate":     `{"version":1,"algorithm":"sha256","files":[{"path":"a","size":1,"sha256":"x"},{"path":"a","size":1,"sha256":"x"}]}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := VerifyManifest(context.Background(), t.TempDir(), strings.NewReader(in)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestManifestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteManifest(ctx, "testdata", &bytes.Buffer{}); err == nil {
		t.Error("cancelled context: no error")
	}
}
