// Package console holds the back-office web application (a Vite project:
// Vue 3, Element Plus, ECharts) built into dist/, which the Go binary
// embeds and backend/api serves at /console/. The sources are beside this
// file; docs/console.md says how to build and work on them. dist/ is
// committed, so that building fieldcheck needs no Node.
package console

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built console: index.html at its root, hashed files under
// assets/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded above: it exists
	}
	return sub
}
