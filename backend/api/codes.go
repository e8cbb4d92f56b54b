package api

import (
	"bufio"
	"bytes"
	"context"
	"iter"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Limits of the batch code endpoints.
const (
	MaxSheetCodes = 500    // codes on one print sheet (25 A4 pages)
	MaxZIPCodes   = 20_000 // codes in one ZIP
)

// codeFilter reads the target filter of the batch code endpoints: the same
// parameters as the target list (region, kind, credit, …) or ids.
func (s *Server) codeTargets(c *fiber.Ctx, max int) (iter.Seq2[*backend.Target, error], error) {
	ctx := c.UserContext()
	if ids := queryList(c, "ids"); len(ids) > 0 {
		if len(ids) > max {
			return nil, backend.Errorf(backend.EINVALID, "at most %d codes at once", max)
		}
		return func(yield func(*backend.Target, error) bool) {
			for _, id := range ids {
				t, err := s.Directory.GetTarget(ctx, id)
				if !yield(t, err) || err != nil {
					return
				}
			}
		}, nil
	}
	f, err := targetFilter(c)
	if err != nil {
		return nil, err
	}
	if f.RegionPrefix == "" {
		return nil, backend.Errorf(backend.EINVALID, "give a region (or ids): codes are printed region by region")
	}
	return func(yield func(*backend.Target, error) bool) {
		p := backend.PageRequest{Limit: backend.MaxPageLimit}
		n := 0
		for {
			page, err := s.Directory.ListTargets(ctx, f, p)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, t := range page.Items {
				if n++; n > max {
					yield(nil, backend.Errorf(backend.EINVALID, "more than %d codes: narrow the filter", max))
					return
				}
				if !yield(t, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			p.After = page.NextCursor
		}
	}, nil
}

// signed turns targets into their signed codes. Only market entities (with
// a USCC) have licence codes.
func (s *Server) signed(ctx context.Context, targets iter.Seq2[*backend.Target, error]) iter.Seq2[qr.SheetEntry, error] {
	return func(yield func(qr.SheetEntry, error) bool) {
		for t, err := range targets {
			if err != nil {
				yield(qr.SheetEntry{}, err)
				return
			}
			if !t.Kind.HasUSCC() {
				continue
			}
			code, err := s.Codes.SignEnterpriseCode(ctx, t.ID)
			if !yield(qr.SheetEntry{Name: t.Name, Code: code}, err) || err != nil {
				return
			}
		}
	}
}

// codeMediaTypes are the media types of a licence code's image formats.
var codeMediaTypes = map[string]string{"png": "image/png", "svg": "image/svg+xml"}

func (s *Server) registerCodeRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/.well-known/fieldcheck-keys.json", Summary: "Public keys that verify enterprise and inspection codes (for phones, offline)", Tag: "public",
		Response: qr.PublicKeySet{}, Handler: func(c *fiber.Ctx) error {
			set, err := s.Codes.PublicKeySet(c.UserContext())
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderCacheControl, "public, max-age=300")
			return c.JSON(set)
		}})
	for _, format := range []string{"png", "svg"} {
		format := format
		s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/enterprises/:uscc/qr." + format, Summary: "The enterprise's signed licence code as " + format, Tag: "codes", Auth: true,
			Query:    []httpkit.Param{{Name: "size", Type: "integer", Description: "pixels, 128-1024 (default 256)"}},
			Produces: []string{codeMediaTypes[format]},
			Handler: func(c *fiber.Ctx) error {
				size := qr.DefaultSize
				if v := c.Query("size"); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil {
						return backend.Errorf(backend.EINVALID, "size must be a number")
					}
					size = n
				}
				t, err := s.Directory.GetTarget(c.UserContext(), c.Params("uscc"))
				if err != nil {
					return err
				}
				if !t.Kind.HasUSCC() {
					return backend.Errorf(backend.EINVALID, "%s is a %s: only market entities have a licence code", t.ID, t.Kind)
				}
				code, err := s.Codes.SignEnterpriseCode(c.UserContext(), t.ID)
				if err != nil {
					return err
				}
				w := c.Response().BodyWriter()
				c.Set(fiber.HeaderContentType, codeMediaTypes[format])
				if format == "png" {
					return code.WritePNG(w, size)
				}
				return code.WriteSVG(w, size)
			}})
	}
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/enterprise-codes/sheet", Summary: "A print-ready A4 sheet (HTML) of licence codes with names and USCCs", Tag: "codes", Auth: true,
		Query:    []httpkit.Param{{Name: "ids", Type: "string", Description: "comma-separated USCCs"}, {Name: "region", Type: "string", Description: "division code prefix"}, {Name: "kind", Type: "string", Description: ""}, {Name: "credit", Type: "string", Description: ""}, {Name: "status", Type: "string", Description: ""}},
		Produces: []string{fiber.MIMETextHTML},
		Handler: func(c *fiber.Ctx) error {
			targets, err := s.codeTargets(c, MaxSheetCodes)
			if err != nil {
				return err
			}
			// Render to memory first: an error must still become an error
			// response, and a sheet is at most a few hundred kilobytes.
			var buf bytes.Buffer
			if err := qr.WriteSheet(&buf, "营业执照二维码（扫码入企）", s.signed(c.UserContext(), targets)); err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			c.Set(fiber.HeaderContentSecurityPolicy, PageCSP)
			return c.Send(buf.Bytes())
		}})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/enterprise-codes/zip", Summary: "A streamed ZIP of licence codes (one PNG per enterprise) for batch printing", Tag: "codes", Auth: true,
		Query:    []httpkit.Param{{Name: "ids", Type: "string", Description: "comma-separated USCCs"}, {Name: "region", Type: "string", Description: "division code prefix"}, {Name: "size", Type: "integer", Description: "pixels"}},
		Produces: []string{"application/zip"},
		Handler: func(c *fiber.Ctx) error {
			targets, err := s.codeTargets(c, MaxZIPCodes)
			if err != nil {
				return err
			}
			size := 0
			if v := c.Query("size"); v != "" {
				if size, err = strconv.Atoi(v); err != nil {
					return backend.Errorf(backend.EINVALID, "size must be a number")
				}
			}
			if size != 0 && (size < qr.MinSize || size > qr.MaxSize) {
				return backend.Errorf(backend.EINVALID, "size must be from %d to %d pixels", qr.MinSize, qr.MaxSize)
			}
			ctx, log := c.UserContext(), s.Logger
			codes := func(yield func(*qr.EnterpriseCode, error) bool) {
				for e, err := range s.signed(ctx, targets) {
					if !yield(e.Code, err) || err != nil {
						return
					}
				}
			}
			c.Set(fiber.HeaderContentType, "application/zip")
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="enterprise-codes.zip"`)
			// Streamed: the status is sent before the first code is signed,
			// so a failure half-way leaves an incomplete archive (which
			// every unzip reports) and a line in the log.
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
				if err := qr.WriteZIP(w, codes, qr.ZIPOptions{Size: size}); err != nil {
					log.Warn("enterprise code ZIP stopped", "err", err)
				}
				_ = w.Flush()
			})
			return nil
		}})
}
