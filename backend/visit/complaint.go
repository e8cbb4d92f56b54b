package visit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Complaint limits: an address may file ComplaintsPerAddress complaints in
// ComplaintWindow, and one enterprise receives at most
// ComplaintsPerEnterprise in that window, shared by every instance.
const (
	ComplaintWindow         = time.Hour
	ComplaintsPerAddress    = 5
	ComplaintsPerEnterprise = 20
)

// ComplaintRequest is a complaint sent from the enterprise page.
type ComplaintRequest struct {
	Code       string // the licence code the page was opened with (path and query)
	Category   backend.ComplaintCategory
	Text       string
	Contact    string
	ClientAddr string
}

// Complain records a complaint about inspections of the enterprise whose
// genuine licence code opened the page. Floods are refused with ETOOMANY.
func (s *Service) Complain(ctx context.Context, req ComplaintRequest) (*backend.Complaint, error) {
	uscc, kid, err := s.Codes.VerifyEnterpriseCode(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	c := &backend.Complaint{TargetID: uscc, Category: req.Category, Text: req.Text, Contact: req.Contact,
		CodeKeyID: kid, ClientAddr: req.ClientAddr, Status: "received"}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	for _, lim := range []struct {
		key string
		max int
	}{{"complaint-addr:" + req.ClientAddr, ComplaintsPerAddress}, {"complaint-target:" + uscc, ComplaintsPerEnterprise}} {
		n, err := s.Throttle.AddThrottle(ctx, lim.key, ComplaintWindow, now, 1)
		if err != nil {
			return nil, err
		}
		if n > lim.max {
			_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "complaint.refused", ObjectType: "target", ObjectID: uscc, Outcome: backend.OutcomeDenied, Detail: "rate limit " + lim.key})
			return nil, backend.Errorf(backend.ETOOMANY, "too many complaints in a short time; please try again later")
		}
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "Complain", Err: err}
	}
	c.ID = fmt.Sprintf("c-%s-%s", backend.DateOf(now), hex.EncodeToString(id))
	c.Record(backend.AuditRecord{Action: "complaint.create", ObjectType: "target", ObjectID: uscc, Change: c, Detail: string(c.Category)})
	if err := s.Complaints.CreateComplaint(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// ListComplaints lists complaints for the oversight office and the
// administrators.
func (s *Service) ListComplaints(ctx context.Context, f backend.ComplaintFilter, p backend.PageRequest) (*backend.Page[*backend.Complaint], error) {
	if err := requireOversight(ctx, "complaints"); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.Complaints.FindComplaints(ctx, f, p)
}

// requireOversight lets the oversight office and the administrators read
// what enterprises say and what was done outside the list; nobody else,
// least of all the teams concerned.
func requireOversight(ctx context.Context, what string) error {
	a := backend.ActorFrom(ctx)
	if a == nil {
		return backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if !a.Is(backend.RoleAdmin, backend.RoleOversight) {
		return backend.Errorf(backend.EFORBIDDEN, "%s are read by the oversight office only", what)
	}
	return nil
}
