package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// seedDemo seeds the demo county into an empty store and prints the logins.
// A store seeded by an earlier run is served as it is.
// With tasks > 0 the county gets field work at scale (demo.Scale): plans
// drawn until that many tasks exist, a share of them worked as phones do.
func seedDemo(ctx context.Context, m *app.Main, stdout io.Writer, targets, tasks int) error {
	stores := m.DemoStores()
	county := demo.GenerateAt(demo.DefaultSeed, targets, time.Now())
	empty, err := demo.IsEmpty(ctx, stores)
	if err != nil {
		return err
	}
	if empty {
		fmt.Fprintf(stdout, "seeding the demo county %s (%d targets)…\n", county.Name, len(county.Targets))
		start := time.Now()
		sum, err := demo.Seed(backend.WithActor(ctx, backend.SystemActor("demo")), stores, county)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d departments, %d targets, %d inspectors, %d experts, %d items, %d users in %.1fs\n",
			sum.Departments, sum.Targets, sum.Inspectors, sum.Experts, sum.Items, sum.Users, time.Since(start).Seconds())
		scale := m.DemoScale(stdout)
		if tasks > 0 {
			if _, err := scale.AddScaleOfficers(ctx, tasks); err != nil {
				return err
			}
		}
		now := time.Now()
		res, err := demo.DrawFirstPlan(ctx, m.Planning, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "drew plan %s: %d tasks for the inspectors' phones (draw record /public/draws/%s)\n", res.Draw.PlanID, len(res.Tasks), res.Draw.ID)
		queue, err := scale.SeedReviewQueue(ctx, res.Tasks, demo.ReviewQueue)
		if err != nil {
			return err
		}
		photos := 0
		for i := range queue {
			photos += demo.ReviewQueue[i]
		}
		fmt.Fprintf(stdout, "submitted %d of its tasks for review with %d photos, as the teams' phones do (console 审核, e.g. scjg.reviewer)\n", len(queue), photos)
		second, err := demo.PublishSecondPlan(ctx, m.Planning, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "published plan %s, awaiting its draw: its entropy source %s (synthetic) has its result out since %s\n",
			second.ID, second.EntropySource, backend.FormatChinaTime(*second.EntropyResultAt))
		round, err := demo.DrawRound(ctx, m.Planning, now)
		if err != nil {
			return err
		}
		if b := round.Round.Burden; b != nil {
			fmt.Fprintf(stdout, "drew coordination round %s of %d plans, one per department: %d visits, %d of them joint (floor %.1f, independent draws %.1f; record /public/rounds/%s)\n",
				round.Round.ID, len(round.Round.Plans), b.Visits, round.Round.JointVisits, b.Floor, b.Independent, round.Round.ID)
		}
		last, err := demo.SeedLastYear(ctx, m.Planning, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "last year's plan %s, closed: %d results published (one corrected, one 责令改正 with its 复查), %d withheld, %d overdue (GET /api/v1/results, /public/results.json)\n",
			last.PlanID, last.Published, last.Withheld, last.Overdue)
		if last.Listed != "" {
			fmt.Fprintf(stdout, "credit: one enterprise listed in the 经营异常名录 (class D), one listing proposal, %d objection pending (console 信用管理, GET /api/v1/credit/queue)\n", last.Objections)
		}
		dev, err := m.DemoPendingDevice(ctx, demoPendingUser)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "a new phone of %s waits for approval: %s (console 工作台 and 系统 → 设备审批, as admin)\n", dev.UserID, dev.Name)
		if tasks > 0 {
			start := time.Now()
			sum, err := scale.ScaleUp(ctx, tasks, len(res.Tasks))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "field work at scale: %d tasks, %d submitted for review and %d accepted by the phones' sync in %.0fs\n",
				sum.Tasks, sum.Submitted, sum.Accepted, time.Since(start).Seconds())
		}
	} else if tasks > 0 {
		return fmt.Errorf("--tasks seeds field work into an empty store only; this one holds data (give an empty --data)")
	} else if _, err := m.Stores.Users.FindUserByID(ctx, "scjg.manager"); err != nil {
		fmt.Fprintln(stdout, "the store holds data that the demo did not seed; serving it as it is")
		return nil
	} else {
		fmt.Fprintln(stdout, "the demo county was seeded earlier; serving it")
	}
	fmt.Fprintf(stdout, "\nThe back-office console: %s (log in with a login below that is not an inspector's)\n", browserBase(m.Config)+"/console/")
	fmt.Fprintln(stdout, "\nDemo logins (the console's form, or POST /api/v1/auth/login):")
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  username\tpassword\trole\tdepartment")
	inspectors := map[string]int{}
	var depts []string
	for _, l := range county.Logins() {
		if l.Role == backend.RoleInspector {
			if inspectors[l.Department] == 0 {
				depts = append(depts, l.Department)
			}
			inspectors[l.Department]++
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.Username, l.Password, l.Role, l.Department)
	}
	for _, d := range depts {
		fmt.Fprintf(tw, "  %s.inspector1 … %s.inspector%d\tdemo-<username>\t%s\t%s\n", d, d, inspectors[d], backend.RoleInspector, d)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "Inspectors log in on phones at POST /mobile/v1/auth/login (with a device) and sync at /mobile/v1/sync.")
	if user, n, err := appInspector(ctx, m); err != nil {
		return err
	} else if user != "" {
		fmt.Fprintf(stdout, "\nInspector app (phones): %s/app/\n  log in as %s / %s (%d tasks); phones outside this machine need HTTPS (docs/app.md)\n",
			browserBase(m.Config), user, demo.DemoPassword(user), n)
	}
	fmt.Fprintf(stdout, "\nThe public portal (no login): %s/public/ — published results, plans, draws to verify in the browser, rounds\n", browserBase(m.Config))
	fmt.Fprintln(stdout)
	return nil
}

// demoPendingUser is the inspector whose new phone the demo leaves waiting
// for approval: the last of the market regulator's, not the app's login.
const demoPendingUser = "scjg.inspector24"

// appInspector finds an inspector with open tasks for the app's demo
// login: the first team member of the first task assigned.
func appInspector(ctx context.Context, m *app.Main) (string, int, error) {
	page, err := m.Stores.Tasks.FindTasks(ctx, backend.TaskFilter{Statuses: []backend.TaskStatus{backend.TaskAssigned}}, backend.PageRequest{Limit: 1})
	if err != nil || len(page.Items) == 0 || len(page.Items[0].TeamUsers) == 0 {
		return "", 0, err
	}
	user := page.Items[0].TeamUsers[0]
	mine, err := m.Stores.Tasks.FindTasks(ctx, backend.TaskFilter{TeamUser: user}, backend.PageRequest{Limit: 200})
	if err != nil {
		return "", 0, err
	}
	return user, len(mine.Items), nil
}

// browserBase is where a browser on this machine reaches the server: the
// base URL that printed codes name, or else the listening address (a
// wildcard host read as 127.0.0.1).
func browserBase(cfg app.Config) string {
	if cfg.BaseURL != "" {
		return strings.TrimRight(cfg.BaseURL, "/")
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return "http://" + cfg.Addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
