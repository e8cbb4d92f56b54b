package importer_test

import (
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

// cell is a value with an optional number format for a generated workbook.
type cell struct {
	v      any
	numFmt int    // built-in format id, 0 = general
	custom string // custom format code
}

// writeXLSX writes rows (nil = an empty row) to the first sheet of a new
// workbook and returns its path. A second sheet proves only the first is read.
func writeXLSX(tb testing.TB, name string, rows [][]cell) string {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for r, row := range rows {
		for c, x := range row {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue(sheet, ref, x.v); err != nil {
				tb.Fatal(err)
			}
			if x.numFmt != 0 || x.custom != "" {
				st := &excelize.Style{NumFmt: x.numFmt}
				if x.custom != "" {
					st.CustomNumFmt = &x.custom
				}
				id, err := f.NewStyle(st)
				if err != nil {
					tb.Fatal(err)
				}
				if err := f.SetCellStyle(sheet, ref, ref, id); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	if _, err := f.NewSheet("说明"); err != nil {
		tb.Fatal(err)
	}
	_ = f.SetCellValue("说明", "A1", "this sheet is not imported")
	path := tb.TempDir() + "/" + name
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	return path
}

func strs(ss ...string) []cell {
	out := make([]cell, len(ss))
	for i, s := range ss {
		out[i] = cell{v: s}
	}
	return out
}

func TestImportXLSX(t *testing.T) {
	t.Run("Targets", func(t *testing.T) {
		e := newEnv(t)
		path := writeXLSX(t, "名录.xlsx", [][]cell{
			strs("统一社会信用代码", "名称", "行政区划", "经度", "纬度", "标签", "信用风险分类", "白名单", "重点监管"),
			{{v: "91350102MA2Y0A1B3X"}, {v: "福州闽江食品有限公司"}, {v: 350102}, {v: 119.296494}, {v: 26.074508}, {v: "食品生产\n重点食品"}, {v: "B"}, {v: false}, {v: true}},
			nil, // an empty row is skipped, but counts for row numbers
			{{v: "91350103MA31C4D5E9"}, {v: "福州台江商贸有限公司"}, {v: 350103}, {}, {}, {}, {v: "A"}, {v: true}},
			{{v: "91350104MA2Y0A1E9G"}, {v: "区划写错了"}, {v: 35010}, {}, {}, {}, {v: "B"}},
		})
		s := e.MustImportFile(t, importer.Targets, path)
		checkCounts(t, s, 2, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"5/行政区划"})
		stored := e.storedTargets(t)
		sameJSON(t, "target", stored["91350102MA2Y0A1B3X"], &backend.Target{
			ID: "91350102MA2Y0A1B3X", Kind: backend.KindEnterprise, Name: "福州闽江食品有限公司", RegionCode: "350102",
			Location: &backend.GeoPoint{Lat: 26.074508, Lng: 119.296494}, Tags: []string{"食品生产", "重点食品"},
			CreditClass: backend.CreditB, Status: backend.StatusActive, KeySupervision: true,
		})
		if got := stored["91350103MA31C4D5E9"]; got == nil || !got.Whitelisted {
			t.Errorf("second target %+v, want it whitelisted", got)
		}
		// The same workbook again changes nothing.
		checkCounts(t, e.MustImportFile(t, importer.Targets, path), 0, 0, 2, 1)
	})

	t.Run("InspectorDateCells", func(t *testing.T) {
		e := newEnv(t)
		day := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
		serial := 46568.0 // 2027-06-30
		path := writeXLSX(t, "inspectors.xlsx", [][]cell{
			strs("执法证号", "姓名", "部门", "证件有效期", "任务上限"),
			{{v: "X-0001"}, {v: "甲"}, {v: "scjg"}, {v: day}, {v: 5}},                             // time.Time (date-time format)
			{{v: "X-0002"}, {v: "乙"}, {v: "scjg"}, {v: serial, numFmt: 14}},                      // built-in short date
			{{v: "X-0003"}, {v: "丙"}, {v: "scjg"}, {v: serial, custom: "yyyy\"年\"m\"月\"d\"日\""}}, // Chinese date format
			{{v: "X-0004"}, {v: "丁"}, {v: "scjg"}, {v: serial}},                                  // general: the serial number
			{{v: "X-0005"}, {v: "戊"}, {v: "市场监督管理局"}, {v: "2027-06-30"}},                         // text
			{{v: "X-0006"}, {v: "己"}, {v: "scjg"}, {v: serial, custom: "mm/dd/yyyy"}},            // refused: MM/DD/YYYY
		})
		s := e.MustImportFile(t, importer.Inspectors, path)
		checkCounts(t, s, 5, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"7/证件有效期"})
		for _, cert := range []string{"X-0001", "X-0002", "X-0003", "X-0004", "X-0005"} {
			if got := e.inspector(t, cert); got.CertExpiry != "2027-06-30" || got.DepartmentID != "scjg" {
				t.Errorf("%s: expiry %s, department %s; want 2027-06-30, scjg", cert, got.CertExpiry, got.DepartmentID)
			}
		}
		if got := e.inspector(t, "X-0001").TaskCap; got != 5 {
			t.Errorf("task cap %d, want 5", got)
		}
	})

	t.Run("ItemPercentCells", func(t *testing.T) {
		e := newEnv(t)
		path := writeXLSX(t, "items.xlsx", [][]cell{
			strs("事项编码", "事项名称", "法律依据", "部门", "检查对象类型", "检查内容", "检查方式", "事项类别", "抽查比例上限"),
			{{v: "P-1"}, {v: "n"}, {v: "b"}, {v: "scjg"}, {v: "企业"}, {v: "c"}, {v: "现场检查"}, {v: "一般"}, {v: 0.05, numFmt: 9}},
			{{v: "P-2"}, {v: "n"}, {v: "b"}, {v: "scjg"}, {v: "企业"}, {v: "c"}, {v: "现场检查"}, {v: "一般"}, {v: 0.025, numFmt: 10}},
			{{v: "P-3"}, {v: "n"}, {v: "b"}, {v: "scjg"}, {v: "企业"}, {v: "c"}, {v: "现场检查"}, {v: "一般"}, {v: 3}},
			{{v: "P-4"}, {v: "n"}, {v: "b"}, {v: "scjg"}, {v: "企业"}, {v: "c"}, {v: "现场检查"}, {v: "一般"}, {v: 0.05}}, // general format: ambiguous
		})
		s := e.MustImportFile(t, importer.Items, path)
		checkCounts(t, s, 3, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"5/抽查比例上限"})
		for code, want := range map[string]int{"P-1": 500, "P-2": 250, "P-3": 300} {
			if got := e.item(t, code).RatioCapBp; got != want {
				t.Errorf("%s: %d bp, want %d", code, got, want)
			}
		}
	})

	t.Run("SniffedWithoutExtension", func(t *testing.T) {
		e := newEnv(t)
		src := writeXLSX(t, "a.xlsx", [][]cell{
			strs("uscc", "name", "region", "credit"),
			strs("91350102MA2Y0A1B3X", "n", "350102", "A"),
		})
		data, err := readPath(src)
		if err != nil {
			t.Fatal(err)
		}
		checkCounts(t, e.MustImportFile(t, importer.Targets, writeFile(t, "upload.bin", data)), 1, 0, 0, 0)
	})
}
