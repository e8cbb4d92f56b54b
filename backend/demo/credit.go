package demo

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// seedCredit gives the credit pages content on first start, from two of
// last year's tasks the demo did not work otherwise (spare, with a team
// and a USCC): both found 通过登记的住所（经营场所）无法联系 in March and
// published in April; the first is listed in the 经营异常名录 by the
// manager (its credit class becomes D), the second is left as a listing
// proposal; and an enterprise whose result is published (objected) files
// an objection today through its licence code, pending in the queue. It
// returns the tasks it used.
func seedCredit(ctx context.Context, svc *planning.Service, day func(time.Month, int, int) time.Time, spare []*backend.Task, objected string, now time.Time) (used []string, err error) {
	for _, t := range spare {
		if len(used) < 2 && !t.Unassigned && len(t.TeamUsers) >= backend.MinOfficers && backend.ValidateUSCC(t.TargetID) == nil {
			used = append(used, t.ID)
		}
	}
	if len(used) < 2 {
		return nil, fmt.Errorf("last year's plan has %d spare tasks for the credit demo, it needs 2", len(used))
	}
	manager := managerOf(ctx, "scjg")
	for i, id := range used {
		checked := day(3, 20+i, 10)
		if err := workAsHistory(ctx, svc, id, backend.ResultUnreachable, checked, checked.Add(48*time.Hour)); err != nil {
			return nil, err
		}
	}
	if _, err := at(svc, day(4, 10, 15)).PublishResults(manager, planning.PublishRequest{IDs: used}); err != nil {
		return nil, fmt.Errorf("publish the credit demo's results: %w", err)
	}
	if _, err := at(svc, day(4, 15, 10)).DecideListing(manager, used[0], planning.ListingDecision{List: true,
		Reason: "经实地核查并电话联系，通过登记的住所（经营场所）无法联系，依法列入经营异常名录"}); err != nil {
		return nil, fmt.Errorf("list the credit demo's enterprise: %w", err)
	}
	e, err := svc.Register.FindResultEntry(ctx, objected)
	if err != nil {
		return nil, err
	}
	code, err := svc.PublicURL(ctx, e.TargetID)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(code)
	if err != nil {
		return nil, err
	}
	fields := [][2]string{{"subject", string(backend.CreditObjection) + ":" + objected},
		{"text", "本单位对该次检查结果有异议：检查当日负责人不在场，现场所称问题已于次日整改，请予复核。"}, {"contact", "13800001234"}}
	next := func() (*planning.FormPart, error) {
		if len(fields) == 0 {
			return nil, io.EOF
		}
		f := fields[0]
		fields = fields[1:]
		return &planning.FormPart{Field: f[0], Body: strings.NewReader(f[1])}, nil
	}
	if _, err := at(svc, now).FileCreditApplication(ctx, planning.CreditFiling{Code: u.RequestURI(), ClientAddr: "demo", Next: next}); err != nil {
		return nil, fmt.Errorf("the credit demo's objection: %w", err)
	}
	return used, nil
}
