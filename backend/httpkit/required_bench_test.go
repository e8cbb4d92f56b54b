package httpkit_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
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
			check := httpkit.BodyCheck(c.method, c.req)
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

// The bodies of the back office's tests (backend/api: targetJSON,
// planJSON), as a target and a plan are created.
const (
	targetJSON = `{"id":"91440300708461136T","kind":"enterprise","name":"华为技术有限公司","regionCode":"440307",
 "address":"深圳市龙岗区坂田","location":{"lat":22.65,"lng":114.06},"industry":"C3922","tags":["特种设备使用"],
 "creditClass":"A","whitelisted":false,"status":"active","keySupervision":false}`
	planJSON = `{"year":2026,"name":"食品经营抽查","items":["SCJG-03"],"leadDepartment":"scjg",
 "strata":[{"key":"A","ratioBp":2500},{"key":"B","ratioBp":2500},{"key":"C","count":3},{"key":"D","count":5}],
 "teamSize":2,"batches":[{"name":"第一批","start":"2026-01-01","end":"2099-12-31","dueDays":30}]}`
)
