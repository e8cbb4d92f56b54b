// Package embedded runs FerretDB v1 in-process with its SQLite backend, so
// that fieldcheck works out of the box with no MongoDB to install. It speaks
// the real MongoDB wire protocol on a loopback port, and the rest of the
// system talks to it through the official driver exactly as it would to
// MongoDB.
package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Server is a running embedded FerretDB.
type Server struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
	lock   *os.File
	dir    string
	// readers serve FindJSON.
	readers readers
}

// Start opens (creating if needed) the SQLite databases under dir and starts
// listening on a free loopback port. With a nil logger only errors are
// logged: FerretDB warns about every command it does not implement, such as
// the driver's endSessions on disconnect, which is harmless.
func Start(dir string, logger *slog.Logger) (*Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: create data directory: %w", err)
	}
	lock, err := lockDir(abs)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    logger,
	})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cancel: cancel, done: make(chan struct{}), lock: lock, dir: abs}
	go func() {
		defer close(s.done)
		_ = f.Run(ctx)
	}()
	s.uri = f.MongoDBURI()
	return s, nil
}

// URI is the mongodb:// address of the server.
func (s *Server) URI() string { return s.uri }

// Close stops the server and waits until its databases are closed.
func (s *Server) Close() error {
	s.closeReaders()
	s.cancel()
	<-s.done
	return s.lock.Close() // releases the directory lock
}
