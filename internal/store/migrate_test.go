package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestParseMigrationName(t *testing.T) {
	tests := []struct {
		file        string
		wantVersion int
		wantName    string
		wantErr     bool
	}{
		{file: "0001_init.sql", wantVersion: 1, wantName: "init"},
		{file: "12_add_index.sql", wantVersion: 12, wantName: "add_index"},
		{file: "0001_init.SQL", wantErr: true},
		{file: "0001_init", wantErr: true},
		{file: "0001.sql", wantErr: true},
		{file: "0001_.sql", wantErr: true},
		{file: "_init.sql", wantErr: true},
		{file: "0000_zero.sql", wantErr: true},
		{file: "+1_plus.sql", wantErr: true},
		{file: "-1_minus.sql", wantErr: true},
		{file: "1a_mixed.sql", wantErr: true},
		{file: "99999999999999999999999_big.sql", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			v, name, err := parseMigrationName(tt.file)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseMigrationName(%q) = %d, %q; want an error", tt.file, v, name)
				}
				if !strings.Contains(err.Error(), tt.file) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v != tt.wantVersion || name != tt.wantName {
				t.Errorf("parseMigrationName(%q) = %d, %q; want %d, %q", tt.file, v, name, tt.wantVersion, tt.wantName)
			}
		})
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, s := range []string{"0001_init.sql", "1_a.sql", "0_x.sql", "_.sql", "-1_x.sql", "1__.sql", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		v, name, err := parseMigrationName(file)
		if err != nil {
			return
		}
		// Whatever is accepted is NNNN_name.sql with a positive NNNN.
		num, ok := strings.CutSuffix(file, "_"+name+".sql")
		if !ok || num == "" || name == "" || v <= 0 {
			t.Fatalf("accepted %q as version %d, name %q", file, v, name)
		}
		if n, err := strconv.Atoi(num); err != nil || n != v || strings.ContainsAny(num, "+-") {
			t.Fatalf("accepted %q: version part %q does not read as %d", file, num, v)
		}
	})
}

func TestLoadMigrations(t *testing.T) {
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []int
		wantErr string
	}{
		{
			name: "sorted by number, not by name",
			fsys: fstest.MapFS{
				"m/10_c.sql":   {Data: []byte("C")},
				"m/2_b.sql":    {Data: []byte("B")},
				"m/0001_a.sql": {Data: []byte("A")},
				"m/README.md":  {Data: []byte("ignored")},
			},
			want: []int{1, 2, 10},
		},
		{
			name:    "duplicate version",
			fsys:    fstest.MapFS{"m/1_a.sql": {}, "m/0001_b.sql": {}},
			wantErr: "share version 1",
		},
		{
			name:    "bad name",
			fsys:    fstest.MapFS{"m/1_a.sql": {}, "m/init.sql": {}},
			wantErr: "init.sql",
		},
		{
			name:    "empty",
			fsys:    fstest.MapFS{"m/README.md": {}},
			wantErr: "no migrations",
		},
		{
			name:    "missing directory",
			fsys:    fstest.MapFS{},
			wantErr: "read migrations m",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.fsys, "m")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	ms, err := loadMigrations(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %d (%s) has version %d: versions must run 1, 2, 3, ... without gaps", i, m.name, m.version)
		}
	}
}

// rawDB opens a bare SQLite database, without the store's schema.
func rawDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", fileDSN(filepath.Join(t.TempDir(), "m.db"), []string{"_txlock=immediate"}))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func tableNames(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	good := []migration{
		{version: 1, name: "a", sql: "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);"},
		{version: 2, name: "b", sql: "CREATE TABLE b (y TEXT);"},
	}
	// Applying twice must not run a step twice (the INSERT would duplicate).
	for range 2 {
		if err := migrate(ctx, db, good); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM a`).Scan(&n); err != nil || n != 1 {
		t.Errorf("table a has %d rows (err %v), want 1", n, err)
	}
	if diff := cmp.Diff([]string{"a", "b", "schema_migrations"}, tableNames(t, db)); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}

	// A failing step leaves nothing behind: not its first statement, not
	// its version row.
	bad := append(good, migration{version: 3, name: "broken", sql: "CREATE TABLE c (z INTEGER); THIS IS NOT SQL;"})
	err := migrate(ctx, db, bad)
	if err == nil || !strings.Contains(err.Error(), "migration 3 (broken)") {
		t.Fatalf("error = %v, want one naming migration 3 (broken)", err)
	}
	if diff := cmp.Diff([]string{"a", "b", "schema_migrations"}, tableNames(t, db)); diff != "" {
		t.Errorf("tables after failed migration (-want +got):\n%s", diff)
	}
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int]bool{1: true, 2: true}, applied); diff != "" {
		t.Errorf("applied versions (-want +got):\n%s", diff)
	}

	// This binary knows only version 1 now: the database is newer.
	err = migrate(ctx, db, good[:1])
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("error = %v, want a refusal of the newer schema", err)
	}
}
