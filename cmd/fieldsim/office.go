package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// office is the back office, as the department's manager uses it: to find
// the tasks, print the enterprises' codes and look at the results. It
// talks to the server directly, not through the phones' faulty network.
type office struct {
	base, user, password string
	hc                   *http.Client
	observe              func(fcsync.Exchange)

	mu        sync.Mutex
	token     string
	templates map[string]*backend.ChecklistTemplate // by id
}

const kindOffice = "office"

func (o *office) login(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"username": o.user, "password": o.password})
	data, err := o.do(ctx, http.MethodPost, "/api/v1/auth/login", body, "")
	if err != nil {
		return fmt.Errorf("back-office login as %s: %w", o.user, err)
	}
	var t struct{ AccessToken string }
	if err := json.Unmarshal(data, &t); err != nil || t.AccessToken == "" {
		return fmt.Errorf("back-office login as %s: no token in the answer", o.user)
	}
	o.mu.Lock()
	o.token = t.AccessToken
	o.mu.Unlock()
	return nil
}

// get reads a back-office resource, logging in again once when the token
// has expired.
func (o *office) get(ctx context.Context, path string) ([]byte, error) {
	return o.send(ctx, http.MethodGet, path, nil)
}

// send makes one authenticated request with body (nil for none) encoded as
// JSON, logging in again once when the token has expired.
func (o *office) send(ctx context.Context, method, path string, body any) ([]byte, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	for try := 0; ; try++ {
		o.mu.Lock()
		tok := o.token
		o.mu.Unlock()
		data, err := o.do(ctx, method, path, raw, tok)
		var se *statusError
		if try == 0 && errors.As(err, &se) && se.status == http.StatusUnauthorized {
			if err := o.login(ctx); err != nil {
				return nil, err
			}
			continue
		}
		return data, err
	}
}

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// do sends one request, retrying network errors, 5xx and 429 a few times
// (the server may be restarting, or busy: then no sooner than its
// Retry-After).
func (o *office) do(ctx context.Context, method, path string, body []byte, token string) ([]byte, error) {
	var last error
	for attempt := 1; attempt <= 8; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, o.base+path, rd)
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		began := time.Now()
		resp, err := o.hc.Do(req)
		var data []byte
		status := 0
		wait := time.Duration(attempt*attempt) * 200 * time.Millisecond
		if err == nil {
			data, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
			if s, e := strconv.Atoi(resp.Header.Get("Retry-After")); e == nil && s > 0 {
				wait = max(wait, time.Duration(s)*time.Second) // a busy server says when
			}
		}
		if o.observe != nil {
			o.observe(fcsync.Exchange{Kind: kindOffice, Attempt: attempt, Status: status, Err: err, Duration: time.Since(began)})
		}
		switch {
		case err != nil:
			last = err
		case status >= 200 && status < 300:
			return data, nil
		case status == http.StatusTooManyRequests || status >= 500:
			last = &statusError{status, strings.TrimSpace(string(data))}
		default:
			return nil, &statusError{status, strings.TrimSpace(string(data))}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	return nil, fmt.Errorf("%s %s: %w", method, path, last)
}

// openTasks lists the tasks the manager sees that are still assigned.
func (o *office) openTasks(ctx context.Context) ([]*backend.Task, error) {
	var out []*backend.Task
	after := ""
	for {
		q := url.Values{"limit": {"200"}, "status": {string(backend.TaskAssigned)}}
		if after != "" {
			q.Set("after", after)
		}
		data, err := o.get(ctx, "/api/v1/tasks?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		var page backend.Page[*backend.Task]
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		after = page.NextCursor
	}
}

func (o *office) task(ctx context.Context, id string) (*backend.Task, error) {
	data, err := o.get(ctx, "/api/v1/tasks/"+url.PathEscape(id))
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	var t backend.Task
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	return &t, nil
}

// template reads a version of an item's checklist, once per run: a
// version never changes.
func (o *office) template(ctx context.Context, r backend.ChecklistRef) (*backend.ChecklistTemplate, error) {
	o.mu.Lock()
	t := o.templates[r.TemplateID()]
	o.mu.Unlock()
	if t != nil {
		return t, nil
	}
	data, err := o.get(ctx, "/api/v1/items/"+url.PathEscape(r.Item)+"/templates/"+strconv.Itoa(r.Version))
	if err != nil {
		return nil, fmt.Errorf("get checklist template %s: %w", r.TemplateID(), err)
	}
	t = &backend.ChecklistTemplate{}
	if err := json.Unmarshal(data, t); err != nil {
		return nil, fmt.Errorf("get checklist template %s: %w", r.TemplateID(), err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.templates == nil {
		o.templates = map[string]*backend.ChecklistTemplate{}
	}
	o.templates[r.TemplateID()] = t
	return t, nil
}

// enterpriseCode prints the enterprise's licence code and scans it.
func (o *office) enterpriseCode(ctx context.Context, uscc string) (string, error) {
	svg, err := o.get(ctx, "/api/v1/enterprises/"+url.PathEscape(uscc)+"/qr.svg")
	if err != nil {
		return "", fmt.Errorf("print the code of %s: %w", uscc, err)
	}
	text, err := scanSVG(svg)
	if err != nil {
		return "", fmt.Errorf("scan the code of %s: %w", uscc, err)
	}
	if !strings.Contains(text, "/e/"+uscc+"?") {
		return "", fmt.Errorf("the code printed for %s reads %q", uscc, text)
	}
	return text, nil
}

// ready waits until the server says it is ready.
func (o *office) ready(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.base+"/readyz", nil)
		resp, err := o.hc.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server was not ready within %s", limit)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
