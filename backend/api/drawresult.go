package api

import (
	"bytes"
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// MIMEXLSX is the media type of an Excel workbook.
const MIMEXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// registerDrawResultRoutes adds what the console's plan page needs besides
// the plan routes: the dry run of a draw, and a draw's outcome as a table
// and as the spreadsheets staff keep.
func (s *Server) registerDrawResultRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/plans/:id/preview", Summary: "What a draw of the plan would take if it ran now, without drawing and without the secret: population, exclusions by reason, each stratum's N and n, the inspector pool, and what would make the draw refuse (managers of the lead department, admin). Changes nothing", Tag: "plans", Auth: true,
		Response: planning.PlanPreview{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return pl.PreviewPlan(c.UserContext(), c.Params("id"))
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/draws/:id/result", Summary: "A draw's outcome: the selected targets in visit order with PRN, team by name or why none, and their tasks (those who may see the plan)", Tag: "plans", Auth: true,
		Response: planning.DrawResultView{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return pl.DrawResult(c.UserContext(), c.Params("id"))
		})})
	for _, format := range []string{"csv", "xlsx"} {
		s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/draws/:id/result." + format, Summary: "A draw's outcome as a spreadsheet (" + format + "): the columns of /result, headers in Chinese", Tag: "plans", Auth: true,
			Produces: []string{map[string]string{"csv": "text/csv", "xlsx": MIMEXLSX}[format]}, Handler: func(c *fiber.Ctx) error {
				v, err := pl.DrawResult(c.UserContext(), c.Params("id"))
				if err != nil {
					return err
				}
				rows := drawResultTable(v)
				var body []byte
				if format == "csv" {
					body, err = csvOf(rows)
					c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
				} else {
					body, err = xlsxOf(rows)
					c.Set(fiber.HeaderContentType, MIMEXLSX)
				}
				if err != nil {
					return err
				}
				c.Set(fiber.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", "draw-"+v.Draw.ID+"."+format))
				c.Set(fiber.HeaderCacheControl, "private, no-cache")
				return c.Send(body)
			}})
	}
}

// unassignedReasons are the reasons a target has no team, in Chinese.
var unassignedReasons = map[string]string{"too-few-inspectors": "符合条件的检查人员不足两名"}

// drawResultTable is the outcome as rows of text, the header first.
func drawResultTable(v *planning.DrawResultView) [][]string {
	rows := [][]string{{"顺序", "统一社会信用代码/编号", "名称", "分层", "随机数（PRN）", "检查组", "可选检查人员数", "派组情况", "任务编号"}}
	for _, r := range v.Rows {
		state := "已派组"
		switch {
		case r.Unassigned:
			state = "未派组：" + cmp.Or(unassignedReasons[r.UnassignedReason], r.UnassignedReason)
		case r.Short:
			state = "已派组（人数不足检查组规模）"
		}
		rows = append(rows, []string{strconv.Itoa(r.Order), r.TargetID, r.TargetName, r.Stratum, r.PRN, strings.Join(r.Team, "、"),
			strconv.Itoa(r.EligibleInspectors), state, r.TaskID})
	}
	return rows
}

// csvOf writes rows as CSV for spreadsheets (sheetWriter).
func csvOf(rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	w := newSheetWriter(&b)
	for _, r := range rows {
		if err := w.row(r...); err != nil {
			return nil, &backend.Error{Op: "api.csvOf", Err: err}
		}
	}
	if err := w.flush(); err != nil {
		return nil, &backend.Error{Op: "api.csvOf", Err: err}
	}
	return b.Bytes(), nil
}

func xlsxOf(rows [][]string) ([]byte, error) {
	const op = "api.xlsxOf"
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return nil, &backend.Error{Op: op, Err: err}
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	return b.Bytes(), nil
}
