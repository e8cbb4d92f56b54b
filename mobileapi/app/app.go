// Package inspectorapp holds the inspector app (the PWA of issue 14) as
// built by Vite into dist/: the sources beside this file, the built files
// committed, so that the Go binary serves the app with no Node installed.
// `npm ci && npm run build` in this directory rebuilds dist/ byte for byte
// (.ci/run checks it); mobileapi serves it at /app/.
package inspectorapp

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built app: index.html, sw.js, manifest.webmanifest,
// icons/ and assets/ (file names with content hashes).
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path: fs.Sub cannot fail on it
	}
	return sub
}
