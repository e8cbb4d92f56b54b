package api

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// registerExportRoutes adds the spreadsheets of the console's lists,
// made on the server from the same filters as the lists and streamed.
func (s *Server) registerExportRoutes() {
	s.registerTargetExport()
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/tasks.csv", Summary: "The task list as CSV (UTF-8 with a byte-order mark, headers in Chinese, names instead of codes): the filters of GET /api/v1/tasks, in id order, at most limit rows (1-10000, default 10000); when more match, a last row says so. Streamed", Tag: "tasks", Auth: true,
		Query:    append(slices.Clone(taskListParams), httpkit.Param{Name: "limit", Type: "integer", Description: "the most rows, 1-10000 (default 10000)"}),
		Produces: []string{"text/csv"},
		Handler: func(c *fiber.Ctx) error {
			q, err := taskQueryOf(c)
			if err != nil {
				return err
			}
			limit, err := exportLimit(c, planning.MaxTaskExport)
			if err != nil {
				return err
			}
			ctx := c.UserContext()
			x, err := s.Planning.ExportTasks(ctx, q)
			if err != nil {
				return err
			}
			n, err := s.newNamer(ctx)
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="tasks.csv"`)
			c.Set(fiber.HeaderCacheControl, "private, no-cache")
			log, conn := s.Logger, c.Context().Conn()
			// Streamed: the status is sent before the first task is read, so
			// a failure half-way leaves a short file and a line in the log.
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
				cw := streamSheet(w, conn)
				cw.row(taskSheetHeader...)
				more, err := x.Each(ctx, limit, func(t *backend.Task) error { return cw.row(n.taskRow(ctx, t)...) })
				if err == nil && more {
					err = cw.row(fmt.Sprintf("（仅导出了前 %d 条：符合条件的任务更多，请缩小筛选范围后分批导出）", limit))
				}
				if err == nil {
					err = cw.flush()
				}
				if err != nil {
					log.Warn("task export stopped", "err", err)
				}
				_ = w.Flush()
			})
			return nil
		}})
}

// registerTargetExport adds the directory as CSV.
func (s *Server) registerTargetExport() {
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/targets.csv", Summary: "The target directory as CSV (UTF-8 with a byte-order mark, the import's Chinese headers and words, so that the file imports back): the filters of GET /api/v1/targets, in no particular order, at most limit rows (1-100000, default 100000); when more match, a last row says so. Streamed", Tag: "targets", Auth: true,
		Query:    append(slices.Clone(targetListParams), httpkit.Param{Name: "limit", Type: "integer", Description: "the most rows, 1-100000 (default 100000)"}),
		Produces: []string{"text/csv"},
		Handler: func(c *fiber.Ctx) error {
			f, err := targetFilter(c)
			if err != nil {
				return err
			}
			f.Sort = "" // the export has no order; a sort is not an error
			limit, err := exportLimit(c, backend.MaxTargetExport)
			if err != nil {
				return err
			}
			ctx := c.UserContext()
			if err := s.Directory.CheckTargetExport(ctx, f); err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="targets.csv"`)
			c.Set(fiber.HeaderCacheControl, "private, no-cache")
			log, conn := s.Logger, c.Context().Conn()
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
				cw := streamSheet(w, conn)
				err := cw.row(targetSheetHeader...)
				if err == nil {
					var more bool
					more, err = s.Directory.ExportTargets(ctx, f, limit, func(t *backend.Target) error { return cw.row(targetRow(t)...) })
					if err == nil && more {
						err = cw.row(fmt.Sprintf("（仅导出了前 %d 条：符合条件的检查对象更多，请缩小筛选范围后分批导出）", limit))
					}
				}
				if err == nil {
					err = cw.flush()
				}
				if err != nil {
					log.Warn("target export stopped", "err", err)
				}
				_ = w.Flush()
			})
			return nil
		}})
}

// targetSheetHeader are the first names the importer knows for each
// column (backend/importer), so that an export imports back.
var targetSheetHeader = []string{"统一社会信用代码", "名称", "类型", "行政区划", "地址", "经度", "纬度", "行业", "标签", "信用风险分类", "白名单", "登记状态", "重点监管", "法定代表人"}

// The words of the importer for kinds and statuses.
var (
	targetKindWords   = map[backend.TargetKind]string{backend.KindEnterprise: "企业", backend.KindIndividual: "个体工商户", backend.KindCooperative: "农民专业合作社", backend.KindProduct: "产品", backend.KindProject: "工程项目", backend.KindBehaviour: "行为"}
	targetStatusWords = map[backend.TargetStatus]string{backend.StatusActive: "存续", backend.StatusClosed: "停业", backend.StatusDeregistered: "注销", backend.StatusRevoked: "吊销"}
)

func targetRow(t *backend.Target) []string {
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	var lng, lat string
	if t.Location != nil {
		lng, lat = strconv.FormatFloat(t.Location.Lng, 'f', -1, 64), strconv.FormatFloat(t.Location.Lat, 'f', -1, 64)
	}
	return []string{t.ID, t.Name, cmp.Or(targetKindWords[t.Kind], string(t.Kind)), t.RegionCode, t.Address, lng, lat, t.Industry,
		strings.Join(t.Tags, "；"), string(t.CreditClass), yes(t.Whitelisted), cmp.Or(targetStatusWords[t.Status], string(t.Status)), yes(t.KeySupervision), t.LegalRep}
}

// exportLimit reads the limit of an export: 1 to max, max when absent.
func exportLimit(c *fiber.Ctx, max int) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return max, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, backend.Errorf(backend.EINVALID, "limit must be a number from 1 to %d", max)
	}
	return n, nil
}

// sheetWriter writes CSV for spreadsheets: a byte-order mark first, without
// which Excel reads UTF-8 as the local code page and garbles the Chinese,
// and every cell through sheetCell. Streamed to a connection (conn), it
// moves the connection's write deadline on as rows come, so that a long
// export is bounded by the time between rows, not by the server's
// WriteTimeout (30 s: the 100,000 targets of the demo at scale took
// longer to read on a loaded machine and were cut short).
type sheetWriter struct {
	w    *csv.Writer
	conn net.Conn
	rows int
}

func newSheetWriter(w io.Writer) *sheetWriter {
	_, _ = io.WriteString(w, "\ufeff")
	return &sheetWriter{w: csv.NewWriter(w)}
}

// streamSheet is a sheetWriter streaming to c's connection.
func streamSheet(w io.Writer, conn net.Conn) *sheetWriter {
	s := newSheetWriter(w)
	s.conn = conn
	return s
}

func (s *sheetWriter) row(cells ...string) error {
	if s.rows++; s.conn != nil && s.rows%500 == 1 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(httpkit.WriteTimeout))
	}
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = sheetCell(c)
	}
	return s.w.Write(out)
}

func (s *sheetWriter) flush() error {
	s.w.Flush()
	return s.w.Error()
}

// sheetCell is text as a spreadsheet cell: one that begins with = + - @ (or
// a tab or carriage return) is prefixed with ' so that a spreadsheet shows
// it instead of running it as a formula (the console's own CSVs do the
// same, src/composables/csv.ts).
func sheetCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// taskStatusNames are the task states as the console names them.
var taskStatusNames = map[backend.TaskStatus]string{
	backend.TaskPending: "待协调", backend.TaskAssigned: "已派发", backend.TaskAccepted: "已接收", backend.TaskCheckedIn: "检查中",
	backend.TaskSubmitted: "待审核", backend.TaskApproved: "已审核", backend.TaskReturned: "已退回", backend.TaskPublished: "已公示",
	backend.TaskCancelled: "已取消", backend.TaskReplaced: "已替换",
}

// triggerNames are the reasons of ad-hoc tasks.
var triggerNames = map[backend.TriggerKind]string{
	backend.TriggerComplaint: "投诉举报", backend.TriggerReferral: "转办交办", backend.TriggerCampaign: "专项整治", backend.TriggerRecheck: "复查",
}

var taskSheetHeader = []string{"任务编号", "检查对象", "统一社会信用代码/编号", "来源", "抽查计划", "批次", "抽查事项", "牵头部门", "检查组", "状态", "完成期限", "是否逾期"}

// namer puts names in place of the codes of an export, asking the
// services once per code (what the caller may not read stays a code).
type namer struct {
	s                        *Server
	departments              map[string]string
	plans, items, inspectors map[string]string
	today                    backend.Date
}

func (s *Server) newNamer(ctx context.Context) (*namer, error) {
	deps, err := s.Directory.ListDepartments(ctx)
	if err != nil {
		return nil, err
	}
	n := &namer{s: s, departments: map[string]string{}, plans: map[string]string{}, items: map[string]string{}, inspectors: map[string]string{},
		today: backend.DateOf(s.Planning.Now())}
	for _, d := range deps {
		n.departments[d.ID] = d.Name
	}
	return n, nil
}

// name looks a code up once: get returns its name, or an error for a code
// the caller cannot read, which then stands for itself.
func name(cache map[string]string, code string, get func() (string, error)) string {
	if v, ok := cache[code]; ok {
		return v
	}
	v, err := get()
	if err != nil || v == "" {
		v = code
	}
	cache[code] = v
	return v
}

func (n *namer) taskRow(ctx context.Context, t *backend.Task) []string {
	source, plan := "随机抽取", ""
	if !t.Random {
		source = "非随机"
		if t.Trigger != nil {
			source = "非随机：" + triggerNames[t.Trigger.Kind]
		}
	}
	if t.PlanID != "" {
		plan = name(n.plans, t.PlanID, func() (string, error) {
			p, err := n.s.Planning.GetPlan(ctx, t.PlanID)
			if err != nil {
				return "", err
			}
			return p.Name, nil
		})
	}
	items := make([]string, len(t.Items))
	for i, code := range t.Items {
		items[i] = name(n.items, code, func() (string, error) {
			it, err := n.s.Directory.GetItem(ctx, code)
			if err != nil {
				return "", err
			}
			return it.Name, nil
		})
	}
	team := "未派组"
	if !t.Unassigned {
		names := make([]string, len(t.Team))
		for i, id := range t.Team {
			names[i] = name(n.inspectors, id, func() (string, error) {
				in, err := n.s.Directory.GetInspector(ctx, id)
				if err != nil {
					return "", err
				}
				return in.Name, nil
			})
		}
		team = strings.Join(names, "、")
	}
	overdue := ""
	if t.Status.Open() && t.Due != "" && t.Due < n.today {
		overdue = "已逾期"
	}
	return []string{t.ID, t.TargetName, t.TargetID, source, plan, t.Batch, strings.Join(items, "、"),
		cmp.Or(n.departments[t.LeadDepartment], t.LeadDepartment), team, cmp.Or(taskStatusNames[t.Status], string(t.Status)),
		string(t.Due), overdue}
}
