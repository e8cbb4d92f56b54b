package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
)

// BenchmarkRequestSchemaCheck: what holding a body to its request schema
// adds to a request (a second parse of the body into Go values, then the
// walk), beside the decoding into the route's type that the handler does
// anyway; for a target (0.4 KiB) and a plan with 200 exclusions (14 KiB).
func BenchmarkRequestSchemaCheck(b *testing.B) {
	var exclusions []string
	for range 200 {
		exclusions = append(exclusions, `{"targetId":"91440300708461136T","reason":"已列入经营异常名录，另案处理"}`)
	}
	plan := strings.Replace(planJSON, `"teamSize":2`, `"teamSize":2,"exclusions":[`+strings.Join(exclusions, ",")+`]`, 1)
	for _, c := range []struct {
		name   string
		method string
		req    any
		body   string
	}{
		{"Target", "POST", backend.Target{}, targetJSON},
		{"Plan200Exclusions", "POST", backend.Plan{}, plan},
	} {
		b.Run(c.name+"/Check", func(b *testing.B) {
			check := api.BodyCheck(c.method, c.req)
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := check([]byte(c.body)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/DecodeOnly", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				v := c.req
				switch c.req.(type) {
				case backend.Target:
					v = &backend.Target{}
				case backend.Plan:
					v = &backend.Plan{}
				}
				if err := json.Unmarshal([]byte(c.body), v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
