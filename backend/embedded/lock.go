package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked means another process has the data directory open.
var ErrLocked = errors.New("data directory is in use by another fieldcheck process")

// lockDir takes an exclusive lock on dir for the life of this process. The
// embedded store has one writer by design (see backend/mongo/ferret_engine.go), and
// two processes on the same SQLite files would each cache FerretDB's
// metadata and corrupt each other's view. The lock is released when the
// file is closed or the process dies.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "fieldcheck.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		pid := strings.TrimSpace(string(b[:n]))
		if _, perr := strconv.Atoi(pid); perr == nil {
			return nil, fmt.Errorf("%w (pid %s): stop it first, or point both at a MongoDB with --mongo-uri", ErrLocked, pid)
		}
		return nil, fmt.Errorf("%w: stop it first, or point both at a MongoDB with --mongo-uri", ErrLocked)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}
