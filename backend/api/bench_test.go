package api_test

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkTargetGet is an authenticated read with a path parameter and a
// query, served by the app's own handler without a network: what the
// server itself spends on a request, store read included.
func BenchmarkTargetGet(b *testing.B) {
	e := newEnv(b)
	token := e.login("manager")
	if r := e.do("POST", "/api/v1/targets", token, "application/json", strings.NewReader(targetJSON)); r.Status != 201 {
		b.Fatalf("create: %d %s", r.Status, r.Body)
	}
	h := e.m.HTTP.App().Handler()
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI("/api/v1/targets/91440300708461136T?fields=all")
		ctx.Request.Header.Set("Authorization", "Bearer "+token)
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
