// Package evidenceapi serves evidence files over HTTP: the originals with
// Range and an ETag that is their SHA-256, and the derivatives of images.
// Both HTTP adapters mount the same routes, each under its own prefix and
// with its own authenticator: the back office under /api/v1/tasks (mounted
// by the composition root), the phones under /mobile/v1/tasks (mobileapi).
// Who may see a file is the evidence service's decision.
package evidenceapi

import (
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// SendIdleTimeout cuts a download's connection after this long without the
// client taking a byte; the server's WriteTimeout would cut any download
// longer than it, and Range lets a client go on where it stopped.
const SendIdleTimeout = 60 * time.Second

// Routes serves evidence files under prefix (/api/v1/tasks): originals
// with HTTP Range, and image derivatives, checked by authn (the Router's
// authenticator when nil).
func Routes(ev *evidence.Service, prefix string, authn fiber.Handler) func(*httpkit.Router) {
	return func(r *httpkit.Router) {
		r.Add(httpkit.Route{Method: "GET", Path: prefix + "/:id/evidence/:slot", Summary: "An evidence file as uploaded, byte for byte (HTTP Range supported; ETag is the SHA-256); for the team, the reviewers of the task's departments and administrators", Tag: "evidence",
			Auth: true, Authenticate: authn, Produces: evidenceMediaTypes(), Also: fileAnswers, Handler: func(c *fiber.Ctx) error {
				f, err := ev.Open(c.UserContext(), c.Params("id"), c.Params("slot"))
				if err != nil {
					return err
				}
				c.Set(fiber.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", c.Params("slot")+extension(f.ContentType)))
				c.Set("Content-Security-Policy", "sandbox")
				return SendFile(c, f)
			}})
		for _, kind := range []string{evidence.Thumbnail, evidence.Preview} {
			r.Add(httpkit.Route{Method: "GET", Path: prefix + "/:id/evidence/:slot/" + kind, Summary: "An image evidence file's " + kind + ": a JPEG turned upright, without EXIF or GPS", Tag: "evidence",
				Auth: true, Authenticate: authn, Produces: []string{"image/jpeg"}, Also: fileAnswers, Handler: func(c *fiber.Ctx) error {
					f, err := ev.OpenDerived(c.UserContext(), c.Params("id"), c.Params("slot"), kind)
					if err != nil {
						return err
					}
					return SendFile(c, f)
				}})
		}
	}
}

var extensions = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/heic": ".heic",
	"video/mp4": ".mp4", "video/quicktime": ".mov", "video/3gpp": ".3gp", "video/webm": ".webm",
	"audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr", "audio/wav": ".wav", "audio/ogg": ".ogg",
	"application/pdf": ".pdf",
}

func extension(contentType string) string { return extensions[contentType] }

// evidenceMediaTypes are the types an evidence file is served as: those
// the upload checks let in (sniffed from the bytes).
func evidenceMediaTypes() []string { return slices.Sorted(maps.Keys(extensions)) }

// fileAnswers are the answers SendFile gives besides 200.
var fileAnswers = []httpkit.Answer{
	{Status: fiber.StatusPartialContent, Description: "the byte range asked for (Range)"},
	{Status: fiber.StatusNotModified, Description: "the client has the file (If-None-Match)", NoBody: true},
}

// SendFile answers with a blob: whole, or the one byte range asked for
// (several ranges get the whole file, which HTTP allows). Its ETag is its
// SHA-256, so a client that has it gets 304 — after authorization, which
// runs on every request. The bytes stream from the store.
func SendFile(c *fiber.Ctx, f *evidence.File) error {
	size := f.Size()
	etag := `"` + f.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderContentType, f.ContentType)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		_ = f.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	start, end := int64(0), size-1
	status := fiber.StatusOK
	if h := c.Get(fiber.HeaderRange); h != "" && (c.Get(fiber.HeaderIfRange) == "" || c.Get(fiber.HeaderIfRange) == etag) {
		s, e, ok, err := ParseRange(h, size)
		if err != nil {
			_ = f.Close()
			c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(size, 10))
			return c.Status(fiber.StatusRequestedRangeNotSatisfiable).JSON(httpkit.ErrorBody{Code: backend.EINVALID, Message: backend.ErrorMessage(err), RequestID: httpkit.RequestID(c)})
		}
		if ok {
			start, end, status = s, e, fiber.StatusPartialContent
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", s, e, size))
		}
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		_ = f.Close()
		return err
	}
	c.Status(status)
	if c.Method() == fiber.MethodHead {
		_ = f.Close()
		c.Context().Response.Header.SetContentLength(int(end - start + 1))
		return nil
	}
	body := idleSender{Reader: io.LimitReader(f, end-start+1), Closer: f, conn: c.Context().Conn()}
	c.Context().SetBodyStream(body, int(end-start+1))
	return nil
}

// idleSender moves the connection's write deadline on as the body is read
// (fasthttp reads it just before writing it out).
type idleSender struct {
	io.Reader
	io.Closer
	conn net.Conn
}

func (i idleSender) Read(p []byte) (int, error) {
	if i.conn != nil {
		_ = i.conn.SetWriteDeadline(time.Now().Add(SendIdleTimeout))
	}
	return i.Reader.Read(p)
}

// ParseRange reads a Range header for a file of size bytes. ok is false
// when the header is to be ignored (not bytes, or several ranges: the
// whole file is sent). A range that cannot be satisfied is an error.
func ParseRange(h string, size int64) (start, end int64, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0 && s[0] != '+'
	}
	unsatisfiable := backend.Errorf(backend.EINVALID, "the range %q lies outside the file's %d bytes", h, size)
	switch {
	case first == "" && last != "": // the last n bytes
		n, valid := num(last)
		if !valid {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsatisfiable
		}
		return max(0, size-n), size - 1, true, nil
	case first != "":
		s, valid := num(first)
		if !valid {
			return 0, 0, false, nil
		}
		e := size - 1
		if last != "" {
			if e, valid = num(last); !valid || e < s {
				return 0, 0, false, nil
			}
		}
		if s >= size {
			return 0, 0, false, unsatisfiable
		}
		return s, min(e, size-1), true, nil
	}
	return 0, 0, false, nil
}
