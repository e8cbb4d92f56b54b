package fcsync

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// DefaultUploadChunk is how many bytes one PATCH of UploadFile carries: a
// request lost on a bad network costs at most this much again.
const DefaultUploadChunk = 4 << 20

// UploadsPath is the server's tus endpoint.
const UploadsPath = "/mobile/v1/uploads"

// UploadFile sends the bytes of evidence slot slotID of task taskID, which
// the manifest declared, with the tus 1.0 protocol. *url is the upload to
// resume ("" to start one); it is set as soon as the server has created
// the upload, so the caller can keep it and resume after a restart. After
// a failed request it asks the server where the upload stands and goes on
// from there, retrying as c.Retry allows (progress resets the count). The
// server checks the SHA-256 and the type when the last byte arrives; an
// answer that refuses the file is returned as an error at once. chunk is
// the bytes per PATCH; 0 takes the size the server advises
// (Limits().Uploads, fetched once per Client).
func (c *Client) UploadFile(ctx context.Context, taskID, slotID string, f io.ReaderAt, size int64, url *string, chunk int64) error {
	const op = "fcsync.Client.UploadFile"
	if chunk <= 0 {
		if err := c.ensureLimits(ctx); err != nil {
			return err
		}
		chunk = c.Limits().Uploads.ChunkBytes
	}
	r := c.Retry.withDefaults()
	attempt, tries, off, known := 0, 0, int64(0), false
	for {
		attempt++
		var err error
		switch {
		case *url == "":
			*url, err = c.createUpload(ctx, taskID, slotID, size, attempt)
			off, known = 0, err == nil
		case !known:
			// A resume: after a failed request, or an upload begun by an
			// earlier call.
			c.mu.Lock()
			c.stats.UploadResumes++
			c.mu.Unlock()
			off, err = c.uploadOffset(ctx, *url, attempt)
			known = err == nil
			if backend.IsCode(err, backend.ENOTFOUND) { // expired or dropped: start again
				*url, known = "", false
				continue
			}
		case off >= size:
			return nil
		default:
			var next int64
			next, err = c.patch(ctx, *url, f, off, min(chunk, size-off), attempt)
			if err == nil {
				if next > off {
					attempt, tries = 0, 0
				}
				off = next
			}
			known = err == nil
		}
		if err == nil {
			continue
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.status < 500 && ae.status != http.StatusTooManyRequests && ae.status != http.StatusConflict && ae.status != http.StatusUnauthorized {
			return err // refused: trying again changes nothing
		}
		if ctx.Err() != nil {
			return &backend.Error{Code: backend.EUNAVAILABLE, Op: op, Message: "cancelled", Err: ctx.Err()}
		}
		var wait time.Duration
		if ae != nil {
			wait = ae.retry
		}
		d := c.retryDelay(r, &tries, wait)
		if tries >= r.Attempts {
			return &backend.Error{Code: backend.EUNAVAILABLE, Op: op, Message: fmt.Sprintf("gave up after %d attempts without progress", attempt), Err: err}
		}
		c.mu.Lock()
		c.stats.Retries++
		c.mu.Unlock()
		if err := c.sleep(ctx, d); err != nil {
			return &backend.Error{Code: backend.EUNAVAILABLE, Op: op, Message: "cancelled", Err: err}
		}
	}
}

// tusRequest sends one tus request with a fresh access token; a 401
// renews the token and tries once more.
func (c *Client) tusRequest(ctx context.Context, attempt int, method, url string, header http.Header, body func() io.Reader, length int64) (int, http.Header, []byte, error) {
	for renewed := false; ; renewed = true {
		token, err := c.token(ctx)
		if err != nil {
			return 0, nil, nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = body()
		}
		req, err := http.NewRequestWithContext(ctx, method, c.absolute(url), rd)
		if err != nil {
			return 0, nil, nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.ContentLength = length
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("User-Agent", "fieldcheck-fcsync/1")
		status, h, data, err := c.do(KindUpload, attempt, req)
		if err != nil {
			return 0, nil, nil, err
		}
		if status == http.StatusUnauthorized && !renewed {
			if err := c.renew(ctx, token, false); err != nil {
				return 0, nil, nil, err
			}
			continue
		}
		return status, h, data, nil
	}
}

func (c *Client) absolute(url string) string {
	if strings.HasPrefix(url, "/") {
		return strings.TrimRight(c.BaseURL, "/") + url
	}
	return url
}

func (c *Client) createUpload(ctx context.Context, taskID, slotID string, size int64, attempt int) (string, error) {
	b64 := base64.StdEncoding.EncodeToString
	h := http.Header{}
	h.Set("Upload-Length", strconv.FormatInt(size, 10))
	h.Set("Upload-Metadata", "taskId "+b64([]byte(taskID))+",slotId "+b64([]byte(slotID)))
	status, header, data, err := c.tusRequest(ctx, attempt, http.MethodPost, UploadsPath, h, nil, 0)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated || header.Get("Location") == "" {
		return "", c.answerError("fcsync.Client.createUpload", status, header, data)
	}
	return header.Get("Location"), nil
}

func (c *Client) uploadOffset(ctx context.Context, url string, attempt int) (int64, error) {
	status, header, data, err := c.tusRequest(ctx, attempt, http.MethodHead, url, nil, nil, 0)
	if err != nil {
		return 0, err
	}
	if status == http.StatusNotFound || status == http.StatusGone {
		return 0, &backend.Error{Code: backend.ENOTFOUND, Op: "fcsync.Client.uploadOffset", Message: "the upload is gone"}
	}
	if status != http.StatusOK {
		return 0, c.answerError("fcsync.Client.uploadOffset", status, header, data)
	}
	return strconv.ParseInt(header.Get("Upload-Offset"), 10, 64)
}

func (c *Client) patch(ctx context.Context, url string, f io.ReaderAt, off, n int64, attempt int) (int64, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/offset+octet-stream")
	h.Set("Upload-Offset", strconv.FormatInt(off, 10))
	body := func() io.Reader { return io.NewSectionReader(f, off, n) }
	status, header, data, err := c.tusRequest(ctx, attempt, http.MethodPatch, url, h, body, n)
	if err != nil {
		return off, err
	}
	if status != http.StatusNoContent {
		return off, c.answerError("fcsync.Client.patch", status, header, data)
	}
	return strconv.ParseInt(header.Get("Upload-Offset"), 10, 64)
}

// AccessToken returns a valid access token of the client's session (after
// a login or refresh if needed), for requests the client does not make
// itself, such as downloading evidence.
func (c *Client) AccessToken(ctx context.Context) (string, error) { return c.token(ctx) }
