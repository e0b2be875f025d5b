package model

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Integrity manifests: a SHA-256 of every regular file under a model
// directory, written once (after training, before publishing) and verified
// later (before serving), so a weight file swapped or a pickle slipped in
// between the two is caught.

// ManifestVersion is the version of the manifest JSON layout.
const ManifestVersion = 1

// Manifest is the JSON document WriteManifest writes.
type Manifest struct {
	Version   int             `json:"version"`
	Algorithm string          `json:"algorithm"`
	Files     []ManifestEntry `json:"files"`
}

// ManifestEntry is one file: its slash-separated path relative to the
// manifest's directory, size and hex SHA-256.
type ManifestEntry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ChangeKind says how a file differs from the manifest.
type ChangeKind string

// Kinds of change.
const (
	Changed ChangeKind = "changed"
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
)

// Change is one difference between a directory and its manifest. Want and
// Got are the recorded and current SHA-256 (empty where the file is absent).
type Change struct {
	Path string     `json:"path"`
	Kind ChangeKind `json:"kind"`
	Want string     `json:"want,omitempty"`
	Got  string     `json:"got,omitempty"`
}

// WriteManifest hashes every regular file under dir (symbolic links and
// special files are not followed and not listed) and writes the manifest,
// sorted by path, as indented JSON to w.
func WriteManifest(ctx context.Context, dir string, w io.Writer) error {
	files, err := hashTree(ctx, dir)
	if err != nil {
		return err
	}
	m := Manifest{Version: ManifestVersion, Algorithm: "sha256", Files: files}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// VerifyManifest re-hashes dir and reports, sorted by path, every file
// whose content changed, that appeared or that disappeared since the
// manifest r was written. An empty result means the directory matches.
func VerifyManifest(ctx context.Context, dir string, r io.Reader) ([]Change, error) {
	var m Manifest
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if m.Version != ManifestVersion || m.Algorithm != "sha256" {
		return nil, fmt.Errorf("read manifest: unsupported version %d / algorithm %q", m.Version, m.Algorithm)
	}
	want := make(map[string]ManifestEntry, len(m.Files))
	for _, f := range m.Files {
		if _, dup := want[f.Path]; dup {
			return nil, fmt.Errorf("read manifest: %q is listed twice", f.Path)
		}
		want[f.Path] = f
	}
	got, err := hashTree(ctx, dir)
	if err != nil {
		return nil, err
	}
	var changes []Change
	for _, g := range got {
		w, ok := want[g.Path]
		switch {
		case !ok:
			changes = append(changes, Change{Path: g.Path, Kind: Added, Got: g.SHA256})
		case w.SHA256 != g.SHA256 || w.Size != g.Size:
			changes = append(changes, Change{Path: g.Path, Kind: Changed, Want: w.SHA256, Got: g.SHA256})
		}
		delete(want, g.Path)
	}
	for _, w := range want {
		changes = append(changes, Change{Path: w.Path, Kind: Removed, Want: w.SHA256})
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, nil
}

// hashTree hashes the regular files under dir, streaming each file.
func hashTree(ctx context.Context, dir string) ([]ManifestEntry, error) {
	var out []ManifestEntry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		sum, size, err := hashFile(ctx, p)
		if err != nil {
			return err
		}
		out = append(out, ManifestEntry{Path: filepath.ToSlash(rel), Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// hashFile streams one file through SHA-256, checking ctx between chunks
// so a multi-gigabyte hash can be cancelled.
func hashFile(ctx context.Context, p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		n, rerr := f.Read(buf)
		h.Write(buf[:n])
		size += int64(n)
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return "", 0, fmt.Errorf("hash %s: %w", p, rerr)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
