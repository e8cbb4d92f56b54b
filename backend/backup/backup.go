// Package backup copies an embedded store (backend/embedded: FerretDB on
// SQLite) and its evidence bytes (backend/blobfs) while the server runs,
// with a manifest of SHA-256 hashes, and restores such a copy into a new
// data directory after checking every hash.
//
// The SQLite databases are copied with VACUUM INTO through the driver the
// embedded store uses (modernc.org/sqlite), on a read-only connection of
// our own: it reads one snapshot in one read transaction, which in WAL
// mode never blocks the server's writers nor is blocked by them, and
// writes a compact, self-contained database (no -wal file to carry). The
// online backup API would copy the same pages, but it restarts whenever
// the source is written between its steps (a busy server may starve it)
// and the driver offers it only on its raw connection.
//
// The evidence is copied after the snapshot. A blob is renamed into place
// before any document names it (blobfs), so every blob the snapshot names
// is there when the copy walks the directory; blobs stored after the
// snapshot come along unnamed, which is harmless. Staged bytes of uploads
// under way are copied as they stand: an upload resumes on a restored
// copy from the offset the snapshot recorded (bytes past it are written
// again).
package backup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver the embedded store's files are read with
)

// Format names the layout of a backup directory.
const Format = "fieldcheck-backup-1"

// ManifestName is the manifest's file in a backup directory.
const ManifestName = "manifest.json"

// Method is how the store was copied, as the manifest records it.
const Method = "sqlite VACUUM INTO (one read transaction), then the evidence files"

// Manifest lists every file of a backup with its size and SHA-256.
type Manifest struct {
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"createdAt"`
	Method    string    `json:"method"`
	Files     []File    `json:"files"`
}

// File is one file of a backup, by its slash-separated path under the
// backup (and the data directory): db/NAME.sqlite, evidence/….
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Bytes is the total size of the backup's files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Create copies the embedded store of dataDir and its evidence into to,
// which must not exist or be empty, and writes the manifest last: a backup
// without one is incomplete.
func Create(ctx context.Context, dataDir, to string, now time.Time) (*Manifest, error) {
	dbDir := filepath.Join(dataDir, "db")
	names, err := filepath.Glob(filepath.Join(dbDir, "*.sqlite"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no embedded store in %s (no %s/*.sqlite): is --data the server's data directory?", dataDir, dbDir)
	}
	if err := emptyDir(to); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(to, "db"), 0o700); err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, CreatedAt: now.UTC(), Method: Method}
	for _, src := range names {
		rel := "db/" + filepath.Base(src)
		dst := filepath.Join(to, filepath.FromSlash(rel))
		if err := vacuumInto(ctx, src, dst); err != nil {
			return nil, fmt.Errorf("copy %s: %w", src, err)
		}
		f, err := hashFile(dst, rel)
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, f)
	}
	evidence := filepath.Join(dataDir, "evidence")
	err = filepath.WalkDir(evidence, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == evidence {
			return fs.SkipDir // no evidence yet
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(dataDir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "evidence/tmp" {
				return fs.SkipDir // blobs being written: not yet named by anything
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := copyFile(path, filepath.Join(to, filepath.FromSlash(rel)), rel)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a staged upload committed or dropped meanwhile
		}
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy the evidence: %w", err)
	}
	slices.SortFunc(m.Files, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
	if err := writeManifest(to, m); err != nil {
		return nil, err
	}
	return m, nil
}

// vacuumInto writes a consistent copy of the SQLite database src to dst.
func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return err
	}
	return syncFile(dst)
}

// Verify reads the manifest of the backup in dir and checks every file it
// lists: present, of its size and hash. A file the manifest does not list
// is an error too (a backup is restored whole or not at all).
func Verify(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("no manifest in %s (an incomplete backup, or not one): %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the manifest of %s is damaged: %w", dir, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s is a backup of format %q; this fieldcheck reads %q", dir, m.Format, Format)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		if !validPath(f.Path) {
			return nil, fmt.Errorf("the manifest names %q, which is not a path inside a backup", f.Path)
		}
		listed[f.Path] = true
		got, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Path)), f.Path)
		if err != nil {
			return nil, err
		}
		if got != f {
			return nil, fmt.Errorf("%s is %d bytes with SHA-256 %s; the manifest says %d bytes, %s", f.Path, got.Size, got.SHA256, f.Size, f.SHA256)
		}
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel = filepath.ToSlash(rel); rel != ManifestName && !listed[rel] {
			return fmt.Errorf("%s is in the backup but not in its manifest", rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// validPath: a manifest path stays under db/ or evidence/.
func validPath(p string) bool {
	if p != filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))) || strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
		return false
	}
	return strings.HasPrefix(p, "db/") || strings.HasPrefix(p, "evidence/")
}

// Restore checks the backup in from (Verify) and copies it into dataDir,
// which must not exist or be empty, checking each file's hash again as it
// is written.
func Restore(ctx context.Context, from, dataDir string) (*Manifest, error) {
	m, err := Verify(from)
	if err != nil {
		return nil, err
	}
	if err := emptyDir(dataDir); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		got, err := copyFile(filepath.Join(from, filepath.FromSlash(f.Path)), filepath.Join(dataDir, filepath.FromSlash(f.Path)), f.Path)
		if err != nil {
			return nil, err
		}
		if got != f {
			return nil, fmt.Errorf("%s changed while it was restored (SHA-256 %s, want %s)", f.Path, got.SHA256, f.SHA256)
		}
	}
	return m, nil
}

// emptyDir makes sure dir exists and holds nothing.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty: give a new directory (nothing in it is overwritten)", dir)
	}
	return nil
}

func hashFile(path, rel string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, err
	}
	return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyFile copies src to dst (making its directory), syncs it, and
// returns what it copied, hashed on the way.
func copyFile(src, dst, rel string) (File, error) {
	in, err := os.Open(src)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return File{}, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// writeManifest writes m into dir through a temporary file, so that a
// manifest is there whole or not at all.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestName+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ManifestName))
}
