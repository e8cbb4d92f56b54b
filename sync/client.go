package fcsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/apijson"
)

// Client is a phone: it logs in for one device, pulls the tasks of its
// login into its Queue's local state, and pushes the mutations queued
// there. Every request is retried on network errors, 5xx and 429 with
// exponential backoff and full jitter, within Retry's bounds; an answer
// with Retry-After (a server busy or throttling, telling when to come
// back) is retried after that delay and a random half of it more, which
// counts against Retry.Budget but not Retry.Attempts; a push whose
// answer was lost is sent again as it was, which the server's idempotency
// makes safe. A mutation leaves the queue only once the server has
// answered it.
//
// Set the exported fields before the first call and leave them alone
// afterwards. Pull and Push may be called from several goroutines; they
// take turns.
type Client struct {
	BaseURL  string // the server, e.g. "https://fc.example.gov.cn"
	Username string
	Password string
	Device   backend.DeviceInfo
	Queue    *Queue

	HTTP  *http.Client // nil: NewHTTPClient()
	Retry Retry
	// PageSize is the number of tasks asked for per pull page (0: the
	// server's default, MaxPullPage).
	PageSize int
	// PendingWait is how long Pull waits before asking again when the
	// server says changes are being written (0: one second), and
	// PendingTries how often it asks before returning with Pending set
	// (0: 10).
	PendingWait  time.Duration
	PendingTries int
	// Replay sends every push batch a second time, to test the server's
	// idempotency: the second answers must repeat the first ones
	// (Stats.ReplayMismatches counts those that do not).
	Replay bool
	// Observe, when set, is called after every HTTP exchange, from the
	// goroutine that made it.
	Observe func(Exchange)
	// Jitter returns a duration uniformly drawn from [0, d]; nil uses
	// math/rand/v2.
	Jitter func(d time.Duration) time.Duration
	Now    func() time.Time
	// Sleep waits d or until ctx ends (then its error); nil uses a timer.
	// Every wait between tries goes through it.
	Sleep func(ctx context.Context, d time.Duration) error

	work   sync.Mutex // one Pull or Push at a time
	authMu sync.Mutex // one token renewal at a time
	mu     sync.Mutex // the fields below
	access string
	rt     string    // refresh token; single use, cleared before it is sent
	expiry time.Time // renew the access token from then on
	stats  Stats
	// limitsFetched: the server's limits were asked for (FetchLimits).
	limitsFetched bool
}

// Retry bounds the retries of one request. Zero fields take the defaults.
type Retry struct {
	Attempts int           // tries in all, including the first, not counting those answered with Retry-After (default 8)
	Base     time.Duration // the backoff before the second try is drawn from [0, Base] (default 250ms)
	Max      time.Duration // backoffs are drawn from at most [0, Max] (default 15s)
	Budget   time.Duration // no retry starts later than this after the first try (default 2m)
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 8
	}
	if r.Base <= 0 {
		r.Base = 250 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 15 * time.Second
	}
	if r.Budget <= 0 {
		r.Budget = 2 * time.Minute
	}
	return r
}

// Exchange describes one HTTP request and its outcome, for metrics.
type Exchange struct {
	Kind     string // login, refresh, pull, push
	Attempt  int    // 1 for the first try of a request
	Status   int    // HTTP status; 0 when no answer arrived
	Err      error  // why no answer arrived
	Duration time.Duration
}

// Stats counts what a Client did.
type Stats struct {
	Requests         int // HTTP exchanges, answered or not
	Retries          int // exchanges repeated after a network error, 5xx or 429
	Logins           int // successful logins
	Refreshes        int // successful refreshes
	RefreshFailures  int // refreshes that failed (followed by a login)
	Pushes           int // push batches answered (replays not counted)
	Replays          int // push batches sent a second time (Replay)
	ReplayMismatches int // second answers that did not repeat the first
	UploadResumes    int // uploads asked where they stand (HEAD) to go on from there: after a failed request, or begun by an earlier UploadFile
}

// PullResult sums up a Pull.
type PullResult struct {
	Pages   int
	Changed int  // task views added or replaced
	Removed int  // tasks dropped (tombstones)
	Restart bool // the server refused the stored cursor: the device downloaded everything again
	Pending bool // the server was still writing changes when Pull stopped waiting: pull again soon
}

// Kinds of exchange.
const (
	KindLogin   = "login"
	KindRefresh = "refresh"
	KindPull    = "pull"
	KindPush    = "push"
	KindUpload  = "upload" // evidence uploads (tus)
	KindLimits  = "limits" // the server's limits (GET /mobile/v1/limits)
)

const (
	maxResponseBytes = 64 << 20
	// expirySlack renews an access token this long before it expires, so
	// that a request is not refused on the way.
	expirySlack = 30 * time.Second
)

// NewHTTPClient returns the HTTP client Client uses by default: bounded
// connection, header and whole-request times, and idle connections closed
// before the server's idle timeout closes them.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 45 * time.Second,
			IdleConnTimeout:       50 * time.Second,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
		},
	}
}

// NewMutation builds a mutation with payload encoded as JSON; Enqueue gives
// it its op id.
func NewMutation(entity, taskID string, baseVersion int64, payload any) (Mutation, error) {
	p, err := apijson.Marshal(payload) // the server's encoding: a nil list is [], as the schema says
	if err != nil {
		return Mutation{}, &backend.Error{Code: backend.EINVALID, Op: "fcsync.NewMutation", Err: err}
	}
	return Mutation{Entity: entity, TaskID: taskID, BaseVersion: baseVersion, Payload: p}, nil
}

// Enqueue queues a mutation made offline, durably, and returns it with its
// op id. It is sent by the next Push. A mutation the server would refuse
// by the limits it serves (Limits: a payload over its size, an evidence
// file over its kind's cap or the task's quota) is refused here, before it
// is queued.
func (c *Client) Enqueue(m Mutation) (Mutation, error) {
	if err := c.checkLimits(m); err != nil {
		return Mutation{}, err
	}
	out, err := c.Queue.Enqueue(m)
	if err != nil {
		return Mutation{}, err
	}
	return out[0], nil
}

// Tasks returns the task views held, by task id (read-only).
func (c *Client) Tasks() map[string]*TaskView { return c.Queue.State().Tasks }

// Form returns the form of a held task: its checklist's questions, from
// the templates held.
func (c *Client) Form(taskID string) (*backend.Checklist, error) {
	st := c.Queue.State()
	return st.Form(taskID)
}

// SyncPath is the path of the protocol's two requests.
const SyncPath = "/mobile/v1/sync"

// PullPath is the request of a pull page after cursor ("" for a full
// download), limit tasks (0: the server's default).
func PullPath(cursor string, limit int) string {
	q := url.Values{VersionParam: {strconv.Itoa(Version)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return SyncPath + "?" + q.Encode()
}

// PushPath is the request of a push.
func PushPath() string { return SyncPath + "?" + VersionParam + "=" + strconv.Itoa(Version) }

// Task returns the task view held for id, or nil.
func (c *Client) Task(id string) *TaskView { return c.Queue.State().Tasks[id] }

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Login logs in now (otherwise the first request does).
func (c *Client) Login(ctx context.Context) error {
	c.mu.Lock()
	tok := c.access
	c.mu.Unlock()
	return c.renew(ctx, tok, true)
}

// Pull downloads the changes since the stored cursor, page by page, each
// applied to the local state and stored with its cursor before the next is
// asked for: a Pull cut off at any point continues where it stopped. A
// task view replaces the one held unless that one is newer; tombstones
// drop tasks. A stored cursor the server refuses (malformed, another
// login's, ahead of a restored server) starts a full download again.
func (c *Client) Pull(ctx context.Context) (PullResult, error) {
	c.work.Lock()
	defer c.work.Unlock()
	var res PullResult
	st := c.Queue.State()
	tries := c.PendingTries
	if tries <= 0 {
		tries = 10
	}
	waited := 0
	for {
		data, err := c.call(ctx, KindPull, http.MethodGet, PullPath(st.Cursor, c.PageSize), nil, true)
		if err != nil {
			// The protocol refuses a cursor with 400 or 409 and says to
			// start again with an empty one.
			var ae *apiError
			if st.Cursor != "" && !res.Restart && errors.As(err, &ae) && (ae.status == http.StatusBadRequest || ae.status == http.StatusConflict) {
				res.Restart = true
				st.Cursor = ""
				continue
			}
			return res, err
		}
		var page PullResponse
		if err := json.Unmarshal(data, &page); err != nil {
			return res, &backend.Error{Code: backend.EINTERNAL, Op: "fcsync.Client.Pull", Message: "the server's page is not a pull response", Err: err}
		}
		changed, removed := st.Apply(&page)
		res.Changed, res.Removed = res.Changed+changed, res.Removed+removed
		if err := c.Queue.SaveState(st); err != nil {
			return res, err
		}
		res.Pages++
		switch {
		case page.More:
		case page.Pending && waited < tries:
			waited++
			wait := c.PendingWait
			if wait <= 0 {
				wait = time.Second
			}
			if err := c.sleep(ctx, wait); err != nil {
				return res, err
			}
		case page.Pending:
			res.Pending = true
			return res, nil
		default:
			return res, nil
		}
	}
}

// Push sends the queued mutations, in order, in batches within the limits
// the server serves (Limits; MaxPushBatch mutations and MaxPushBytes bytes
// by default), and returns the server's
// answers in the same order. Each batch leaves the queue once it is
// answered; on an error, the answers received so far are returned with
// it and the rest stays queued for the next Push. A conflict's answer
// carries the server's task, which replaces the local copy: decide again
// on it (and queue a new mutation) rather than resend the old one.
func (c *Client) Push(ctx context.Context) ([]MutationResult, error) {
	c.work.Lock()
	defer c.work.Unlock()
	pending := c.Queue.Pending()
	var out []MutationResult
	if len(pending) > 0 {
		if err := c.ensureLimits(ctx); err != nil {
			return nil, err
		}
	}
	lim := c.Limits().Push
	for len(pending) > 0 {
		n, body, err := nextBatch(pending, lim)
		if err != nil {
			return out, err
		}
		batch := pending[:n]
		res, err := c.pushBatch(ctx, body, batch)
		if err != nil {
			return out, err
		}
		if err := c.Queue.Complete(res); err != nil {
			return out, err
		}
		c.mu.Lock()
		c.stats.Pushes++
		c.mu.Unlock()
		if err := c.noteTasks(res); err != nil {
			return append(out, res...), err
		}
		out = append(out, res...)
		if c.Replay {
			again, err := c.pushBatch(ctx, body, batch)
			if err != nil {
				return out, err
			}
			bad := 0
			for i := range res {
				if !sameAnswer(res[i], again[i]) {
					bad++
				}
			}
			c.mu.Lock()
			c.stats.Replays++
			c.stats.ReplayMismatches += bad
			c.mu.Unlock()
		}
		pending = pending[n:]
	}
	return out, nil
}

// sameAnswer reports whether a replay's answer repeats the first one: an
// applied mutation comes back as a duplicate of the same version (or
// check-in), a refused one is refused again.
func sameAnswer(first, again MutationResult) bool {
	switch first.Status {
	case Applied, Duplicate:
		if again.Status != Duplicate || again.Version != first.Version {
			return false
		}
		if first.CheckIn != nil && (again.CheckIn == nil || again.CheckIn.ID != first.CheckIn.ID) {
			return false
		}
		return true
	}
	return again.Status == Conflict || again.Status == Rejected
}

// nextBatch returns how many of ms fit in one push within lim, and the
// push's body.
func nextBatch(ms []Mutation, lim PushLimits) (int, []byte, error) {
	const closing = "]}"
	body := []byte(`{"mutations":[`)
	n := 0
	for _, m := range ms {
		if n == lim.MaxMutations {
			break
		}
		j, err := apijson.Marshal(m)
		if err != nil {
			return 0, nil, &backend.Error{Code: backend.EINVALID, Op: "fcsync.Client.Push", Err: err}
		}
		if n > 0 && len(body)+1+len(j)+len(closing) > lim.MaxBytes {
			break
		}
		if n > 0 {
			body = append(body, ',')
		}
		body = append(body, j...)
		n++
	}
	return n, append(body, closing...), nil
}

func (c *Client) pushBatch(ctx context.Context, body []byte, batch []Mutation) ([]MutationResult, error) {
	const op = "fcsync.Client.Push"
	data, err := c.call(ctx, KindPush, http.MethodPost, PushPath(), body, true)
	if err != nil {
		return nil, err
	}
	var resp PushResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "the server's answer is not a push response", Err: err}
	}
	if len(resp.Results) != len(batch) {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: fmt.Sprintf("the server answered %d of %d mutations", len(resp.Results), len(batch))}
	}
	for i, r := range resp.Results {
		if r.OpID != batch[i].OpID || !Final(r.Status) {
			return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: fmt.Sprintf("answer %d is %q for op %q, want a final answer for op %q", i, r.Status, r.OpID, batch[i].OpID)}
		}
	}
	return resp.Results, nil
}

// noteTasks takes the server's tasks that conflicts carry into the local
// state.
func (c *Client) noteTasks(res []MutationResult) error {
	st := c.Queue.State()
	changed := false
	for _, r := range res {
		if r.Task == nil {
			continue
		}
		old, ok := st.Tasks[r.Task.ID]
		if !ok || old.Task.Version >= r.Task.Version {
			continue
		}
		v := *old
		v.Task = r.Task
		st.Tasks[r.Task.ID] = &v
		changed = true
	}
	if !changed {
		return nil
	}
	return c.Queue.SaveState(st)
}

// apiError is an answer other than 2xx.
type apiError struct {
	status  int
	code    string
	message string
	retry   time.Duration // Retry-After, when the answer had one
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.status, e.code, e.message) }

// codeOfStatus is the error code of an answer without a usable body.
var codeOfStatus = map[int]string{
	http.StatusBadRequest:            backend.EINVALID,
	http.StatusUnauthorized:          backend.EUNAUTHENTICATED,
	http.StatusForbidden:             backend.EFORBIDDEN,
	http.StatusNotFound:              backend.ENOTFOUND,
	http.StatusConflict:              backend.ECONFLICT,
	http.StatusRequestEntityTooLarge: backend.ETOOLARGE,
	http.StatusRequestTimeout:        backend.ETIMEOUT,
	http.StatusTooManyRequests:       backend.ETOOMANY,
	http.StatusServiceUnavailable:    backend.EUNAVAILABLE,
}

// answerError is errorOf for an answer whose Retry-After is kept.
func (c *Client) answerError(op string, status int, header http.Header, body []byte) error {
	err := errorOf(op, status, body)
	var ae *apiError
	if errors.As(err, &ae) {
		ae.retry = retryAfter(header.Get("Retry-After"), c.now())
	}
	return err
}

// errorOf turns an answer other than 2xx into a *backend.Error with the
// server's code and message.
func errorOf(op string, status int, body []byte) error {
	ae := &apiError{status: status}
	var eb struct{ Code, Message string }
	if json.Unmarshal(body, &eb) == nil && eb.Code != "" {
		ae.code, ae.message = eb.Code, eb.Message
	} else {
		ae.code = codeOfStatus[status]
		if ae.code == "" {
			ae.code = backend.EINTERNAL
			if status < 500 {
				ae.code = backend.EINVALID
			}
		}
		ae.message = http.StatusText(status)
	}
	return &backend.Error{Code: ae.code, Op: op, Message: ae.message, Err: ae}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) jitter(d time.Duration) time.Duration {
	if c.Jitter != nil {
		return c.Jitter(d)
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// backoff is the wait before try attempt+1: full jitter over an
// exponentially growing, capped window.
func (c *Client) backoff(r Retry, attempt int) time.Duration {
	window := r.Max
	if attempt < 31 {
		window = min(r.Max, r.Base<<(attempt-1))
	}
	return c.jitter(window)
}

// retryDelay is the wait before the next try: after an answer with
// Retry-After (wait > 0), that and up to half of it more, so that the
// phones a busy server turned away together do not come back together;
// otherwise the backoff of the next try, which counts in tries.
func (c *Client) retryDelay(r Retry, tries *int, wait time.Duration) time.Duration {
	if wait > 0 {
		return wait + c.jitter(wait/2)
	}
	*tries++
	return c.backoff(r, *tries)
}

// call sends one request, retrying it as Retry allows, and returns the
// body of its 2xx answer. With authed, it carries the access token; a 401
// renews the tokens once and tries again.
func (c *Client) call(ctx context.Context, kind, method, path string, body []byte, authed bool) ([]byte, error) {
	op := "fcsync.Client." + kind
	r := c.Retry.withDefaults()
	start := c.now()
	renewed := false
	var last error
	tries := 0 // attempts not answered with Retry-After
	for attempt := 1; ; attempt++ {
		token := ""
		if authed {
			t, err := c.token(ctx)
			if err != nil {
				return nil, err
			}
			token = t
		}
		status, header, data, err := c.exchange(ctx, kind, attempt, method, path, body, token)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, &backend.Error{Code: backend.EUNAVAILABLE, Op: op, Message: "cancelled", Err: ctx.Err()}
			}
			last = err
		case status >= 200 && status < 300:
			return data, nil
		case status == http.StatusUnauthorized && authed && !renewed:
			// The token expired or was revoked; renewing is not a retry.
			renewed = true
			if err := c.renew(ctx, token, false); err != nil {
				return nil, err
			}
			attempt--
			continue
		case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500:
			// 408: the body did not reach the server in time (a slow
			// network); sent again, it may.
			last = errorOf(op, status, data)
			wait = retryAfter(header.Get("Retry-After"), c.now())
		default:
			return nil, errorOf(op, status, data)
		}
		d := c.retryDelay(r, &tries, wait)
		if tries >= r.Attempts || c.now().Add(d).Sub(start) > r.Budget {
			code := backend.ErrorCode(last)
			if code == backend.EINTERNAL {
				code = backend.EUNAVAILABLE // a network error: the server cannot be reached
			}
			return nil, &backend.Error{Code: code, Op: op, Message: fmt.Sprintf("gave up after %d attempts in %s", attempt, c.now().Sub(start).Round(time.Millisecond)), Err: last}
		}
		c.mu.Lock()
		c.stats.Retries++
		c.mu.Unlock()
		if err := c.sleep(ctx, d); err != nil {
			return nil, &backend.Error{Code: backend.EUNAVAILABLE, Op: op, Message: "cancelled", Err: err}
		}
	}
}

// exchange makes one HTTP request and reads its whole answer.
func (c *Client) exchange(ctx context.Context, kind string, attempt int, method, path string, body []byte, token string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "fieldcheck-fcsync/2")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.do(kind, attempt, req)
}

// do sends req and reads the whole answer (at most maxResponseBytes),
// counting and reporting the exchange.
func (c *Client) do(kind string, attempt int, req *http.Request) (int, http.Header, []byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP()
	}
	began := c.now()
	status, header, data, err := func() (int, http.Header, []byte, error) {
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
		if err == nil && len(data) > maxResponseBytes {
			err = fmt.Errorf("the answer is longer than %d bytes", maxResponseBytes)
		}
		if err != nil {
			return 0, nil, nil, err // an answer cut off is no answer
		}
		return resp.StatusCode, resp.Header, data, nil
	}()
	c.mu.Lock()
	c.stats.Requests++
	c.mu.Unlock()
	if c.Observe != nil {
		c.Observe(Exchange{Kind: kind, Attempt: attempt, Status: status, Err: err, Duration: c.now().Sub(began)})
	}
	return status, header, data, err
}

var (
	defaultOnce   sync.Once
	defaultClient *http.Client
)

func defaultHTTP() *http.Client {
	defaultOnce.Do(func() { defaultClient = NewHTTPClient() })
	return defaultClient
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// token returns an access token that is not about to expire.
func (c *Client) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok, exp := c.access, c.expiry
	c.mu.Unlock()
	if tok != "" && c.now().Before(exp) {
		return tok, nil
	}
	if err := c.renew(ctx, tok, false); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.access, nil
}

// tokens is the server's answer to a login or a refresh.
type tokens struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
}

// renew replaces the access token stale: with the refresh token when
// there is one (sent once only, whatever happens to the request: a refresh
// token is single-use, and sending a spent one ends the session), else or
// when that fails by logging in again. When another goroutine renewed
// meanwhile, there is nothing to do.
func (c *Client) renew(ctx context.Context, stale string, forceLogin bool) error {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	c.mu.Lock()
	if c.access != "" && c.access != stale && c.now().Before(c.expiry) {
		c.mu.Unlock()
		return nil
	}
	rt := c.rt
	c.rt = ""
	c.mu.Unlock()
	if rt != "" && !forceLogin {
		body, _ := json.Marshal(map[string]string{"refreshToken": rt})
		status, _, data, err := c.exchange(ctx, KindRefresh, 1, http.MethodPost, "/mobile/v1/auth/refresh", body, "")
		if err == nil && status == http.StatusOK {
			if err := c.setTokens(data, false); err == nil {
				return nil
			}
		}
		if ctx.Err() != nil {
			return &backend.Error{Code: backend.EUNAVAILABLE, Op: "fcsync.Client.refresh", Message: "cancelled", Err: ctx.Err()}
		}
		c.mu.Lock()
		c.stats.RefreshFailures++
		c.mu.Unlock()
	}
	body, err := json.Marshal(struct {
		Username string             `json:"username"`
		Password string             `json:"password"`
		Device   backend.DeviceInfo `json:"device"`
	}{c.Username, c.Password, c.Device})
	if err != nil {
		return &backend.Error{Code: backend.EINVALID, Op: "fcsync.Client.login", Err: err}
	}
	data, err := c.call(ctx, KindLogin, http.MethodPost, "/mobile/v1/auth/login", body, false)
	if err != nil {
		return err
	}
	return c.setTokens(data, true)
}

func (c *Client) setTokens(data []byte, login bool) error {
	var t tokens
	if err := json.Unmarshal(data, &t); err != nil || t.AccessToken == "" {
		return &backend.Error{Code: backend.EINTERNAL, Op: "fcsync.Client.login", Message: "the server's answer holds no tokens", Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.access, c.rt = t.AccessToken, t.RefreshToken
	life := time.Duration(t.ExpiresIn) * time.Second
	c.expiry = c.now().Add(life - min(expirySlack, life/2))
	if login {
		c.stats.Logins++
	} else {
		c.stats.Refreshes++
	}
	return nil
}
