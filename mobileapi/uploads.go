package mobileapi

import (
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
	"github.com/fieldcheck/fieldcheck/backend/evidenceapi"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// The tus 1.0 protocol (core, creation, expiration, termination) for
// evidence uploads; docs/evidence.md describes it as fieldcheck speaks it.
const (
	// UploadsPath is the tus endpoint; an upload is UploadsPath + "/" + id.
	UploadsPath  = "/mobile/v1/uploads"
	tusVersion   = "1.0.0"
	tusExtension = "creation,expiration,termination"
	// UploadIdleTimeout cuts an upload's connection after this long
	// without a byte; what arrived is kept and the phone resumes. (The
	// server's ReadTimeout would cut any upload longer than it.)
	UploadIdleTimeout = 60 * time.Second
	// maxMetadata bounds the Upload-Metadata header.
	maxMetadata  = 4096
	offsetStream = "application/offset+octet-stream"
)

func (m *Routes) registerUploads(s *httpkit.Router) {
	authn := httpkit.BearerAuth(m.Auth)
	s.StreamBody(fiber.MethodPatch, UploadsPath+"/")
	maxSize := int64(0)
	for _, n := range m.Evidence.Limits.OrDefault().MaxSize {
		maxSize = max(maxSize, n)
	}
	s.Add(httpkit.Route{Method: "OPTIONS", Path: UploadsPath, Summary: "tus: the protocol versions, extensions and largest upload this server takes", Tag: "evidence", Status: fiber.StatusNoContent,
		Handler: func(c *fiber.Ctx) error {
			c.Set("Tus-Version", tusVersion)
			c.Set("Tus-Extension", tusExtension)
			c.Set("Tus-Max-Size", strconv.FormatInt(maxSize, 10))
			return c.SendStatus(fiber.StatusNoContent)
		}})
	s.Add(httpkit.Route{Method: "POST", Path: UploadsPath, Summary: "tus creation: start uploading a declared evidence slot (Upload-Length = its size; Upload-Metadata taskId, slotId, optional filename)", Tag: "evidence",
		Auth: true, Authenticate: authn, Status: fiber.StatusCreated, Handler: tus(m.handleCreate)})
	s.Add(httpkit.Route{Method: "HEAD", Path: UploadsPath + "/:id", Summary: "tus: where an upload stands (Upload-Offset, Upload-Length, Upload-Expires)", Tag: "evidence",
		Auth: true, Authenticate: authn, Handler: tus(m.handleHead)})
	s.Add(httpkit.Route{Method: "PATCH", Path: UploadsPath + "/:id", Summary: "tus: append bytes at Upload-Offset (Content-Type application/offset+octet-stream); the last byte checks the SHA-256 and type and files the evidence. At most 4 uploads of one login are written at once, on all instances (429 with Retry-After); a PATCH of an upload another request is writing makes that one let go, on any instance", Tag: "evidence",
		Auth: true, Authenticate: authn, Status: fiber.StatusNoContent, Handler: tus(m.handlePatch)})
	s.Add(httpkit.Route{Method: "DELETE", Path: UploadsPath + "/:id", Summary: "tus termination: abandon an upload and its bytes", Tag: "evidence",
		Auth: true, Authenticate: authn, Status: fiber.StatusNoContent, Handler: tus(m.handleDelete)})
	evidenceapi.Routes(m.Evidence, "/mobile/v1/tasks", authn)(s)
}

// tus checks the protocol version a request speaks; every answer says ours.
func tus(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Tus-Resumable", tusVersion)
		c.Set(fiber.HeaderCacheControl, "no-store")
		if v := c.Get("Tus-Resumable"); v != tusVersion {
			c.Set("Tus-Version", tusVersion)
			return tusRefusal(c, fiber.StatusPreconditionFailed, "this server speaks tus "+tusVersion+"; the request says Tus-Resumable "+strconv.Quote(v))
		}
		return h(c)
	}
}

// tusRefusal answers with a status the protocol prescribes that the error
// table has no code for.
func tusRefusal(c *fiber.Ctx, status int, msg string) error {
	c.Context().SetConnectionClose() // a body may be left unread
	return c.Status(status).JSON(httpkit.ErrorBody{Code: backend.EINVALID, Message: msg, RequestID: httpkit.RequestID(c)})
}

func expires(c *fiber.Ctx, u *backend.Upload) {
	c.Set("Upload-Expires", u.ExpiresAt.UTC().Format(http.TimeFormat))
}

func (m *Routes) handleCreate(c *fiber.Ctx) error {
	if c.Get("Upload-Defer-Length") != "" {
		return backend.Errorf(backend.EINVALID, "Upload-Defer-Length is not supported: a slot's size is declared in its manifest")
	}
	length, err := headerInt(c, "Upload-Length")
	if err != nil {
		return err
	}
	meta, err := ParseUploadMetadata(c.Get("Upload-Metadata"))
	if err != nil {
		return err
	}
	if meta["taskId"] == "" || meta["slotId"] == "" {
		return backend.Errorf(backend.EINVALID, "Upload-Metadata must name the taskId and the slotId the file belongs to")
	}
	if c.Request().Header.ContentLength() > 0 {
		return backend.Errorf(backend.EINVALID, "creation with upload is not supported: send the bytes with PATCH")
	}
	u, err := m.Evidence.Create(c.UserContext(), evidence.CreateRequest{TaskID: meta["taskId"], SlotID: meta["slotId"], Length: length, Filename: meta["filename"]})
	if err != nil {
		return err
	}
	c.Location(UploadsPath + "/" + u.ID)
	expires(c, u)
	c.Status(fiber.StatusCreated) // no body (SendStatus would write "Created")
	return nil
}

func (m *Routes) handleHead(c *fiber.Ctx) error {
	u, err := m.Evidence.Status(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set("Upload-Offset", strconv.FormatInt(u.Offset, 10))
	c.Set("Upload-Length", strconv.FormatInt(u.Size, 10))
	expires(c, u)
	return c.SendStatus(fiber.StatusOK)
}

func (m *Routes) handlePatch(c *fiber.Ctx) error {
	if ct := c.Get(fiber.HeaderContentType); ct != offsetStream {
		return tusRefusal(c, fiber.StatusUnsupportedMediaType, "Content-Type must be "+offsetStream)
	}
	off, err := headerInt(c, "Upload-Offset")
	if err != nil {
		c.Context().SetConnectionClose()
		return err
	}
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = strings.NewReader("")
	}
	idle := &idleReader{r: body, conn: c.Context().Conn()}
	u, err := m.Evidence.Write(c.UserContext(), evidence.WriteRequest{
		ID: c.Params("id"), Offset: off, Length: int64(c.Request().Header.ContentLength()), Body: idle, Interrupt: idle.interrupt,
	})
	if u != nil {
		c.Set("Upload-Offset", strconv.FormatInt(u.Offset, 10))
		expires(c, u)
	}
	if err != nil {
		c.Context().SetConnectionClose()
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (m *Routes) handleDelete(c *fiber.Ctx) error {
	if err := m.Evidence.Terminate(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// idleReader moves the connection's read deadline on at every read, so that
// an upload may take as long as it needs as long as bytes keep coming.
type idleReader struct {
	r       io.Reader
	conn    net.Conn
	stopped atomic.Bool
}

var errInterrupted = errors.New("another request took the upload over")

func (i *idleReader) Read(p []byte) (int, error) {
	if i.stopped.Load() {
		return 0, errInterrupted
	}
	if i.conn != nil {
		_ = i.conn.SetReadDeadline(time.Now().Add(UploadIdleTimeout))
	}
	return i.r.Read(p)
}

// interrupt ends the read under way and every later one.
func (i *idleReader) interrupt() {
	i.stopped.Store(true)
	if i.conn != nil {
		_ = i.conn.SetReadDeadline(time.Now())
	}
}

// headerInt reads a header holding a non-negative byte count.
func headerInt(c *fiber.Ctx, name string) (int64, error) {
	v := c.Get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || (len(v) > 1 && v[0] == '0') {
		return 0, backend.Errorf(backend.EINVALID, "%s must be a non-negative whole number of bytes", name)
	}
	return n, nil
}

// ParseUploadMetadata reads tus's Upload-Metadata header: comma-separated
// pairs of a key and its value in standard base64 ("key dmFsdWU="), the
// value optional. Keys are ASCII without spaces or commas, unique; values
// must be UTF-8.
func ParseUploadMetadata(h string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(h) == "" {
		return out, nil
	}
	if len(h) > maxMetadata {
		return nil, backend.Errorf(backend.EINVALID, "Upload-Metadata is limited to %d bytes", maxMetadata)
	}
	for pair := range strings.SplitSeq(h, ",") {
		key, enc, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return nil, backend.Errorf(backend.EINVALID, "Upload-Metadata: each pair is a key (printable ASCII) and a base64 value")
		}
		if _, dup := out[key]; dup {
			return nil, backend.Errorf(backend.EINVALID, "Upload-Metadata names %q twice", key)
		}
		val, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(enc))
		if err != nil || !utf8.Valid(val) {
			return nil, backend.Errorf(backend.EINVALID, "Upload-Metadata: the value of %q is not base64 of UTF-8 text", key)
		}
		out[key] = string(val)
	}
	return out, nil
}
