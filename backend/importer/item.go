package importer

import (
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Item columns, in spec order.
const (
	itCode = iota
	itName
	itLegalBasis
	itDepartment
	itCooperating
	itTargetKind
	itContent
	itStandard
	itMethod
	itCategory
	itRatioCap
	itFrequency
)

var itemColumns = []colSpec{
	itCode:        {key: "code", names: []string{"事项编码", "编码", "code"}, required: true},
	itName:        {key: "name", names: []string{"事项名称", "名称", "name"}, required: true},
	itLegalBasis:  {key: "legalBasis", names: []string{"法律依据", "抽查依据", "依据", "legalBasis"}, required: true},
	itDepartment:  {key: "department", names: []string{"部门", "牵头部门", "实施部门", "department", "departmentId"}, required: true},
	itCooperating: {key: "cooperatingDepartments", names: []string{"协同部门", "配合部门", "参与部门", "cooperatingDepartments"}},
	itTargetKind:  {key: "targetKind", names: []string{"检查对象类型", "对象类型", "检查对象", "targetKind"}, required: true},
	itContent:     {key: "content", names: []string{"检查内容", "抽查内容", "content"}, required: true},
	itStandard:    {key: "standard", names: []string{"检查标准", "standard"}},
	itMethod:      {key: "method", names: []string{"检查方式", "抽查方式", "method"}, required: true},
	itCategory:    {key: "category", names: []string{"事项类别", "事项类型", "类别", "category"}, required: true},
	itRatioCap:    {key: "ratioCap", names: []string{"抽查比例上限", "抽查比例", "ratioCap"}},
	itFrequency:   {key: "frequency", names: []string{"频次", "抽查频次", "frequency"}},
}

var itemPrefixes = []fieldPrefix{
	{"item code", itCode}, {"name", itName}, {"legal basis", itLegalBasis}, {"department", itDepartment},
	{"cooperating departments", itCooperating}, {"the lead department", itCooperating}, {"target kind", itTargetKind},
	{"content", itContent}, {"standard", itStandard}, {"method", itMethod}, {"key item", itRatioCap},
	{"general item", itRatioCap}, {"category", itCategory}, {"frequency", itFrequency},
}

func parseItem(rec *record, dept deptResolver) *backend.Item {
	it := &backend.Item{CooperatingDepartments: []string{}}
	it.Code = rec.get(itCode)
	rec.key = it.Code
	if it.Code == "" {
		rec.fail(itCode, "the item code is required")
	} else if !backend.ValidItemCode(it.Code) {
		rec.fail(itCode, "item code %q must be 1-40 letters, digits, '.', '_' or '-'", it.Code)
	}
	it.Name = rec.get(itName)
	if it.Name == "" {
		rec.fail(itName, "the name is required")
	}
	it.LegalBasis = rec.get(itLegalBasis)
	if it.LegalBasis == "" {
		rec.fail(itLegalBasis, "the legal basis is required")
	}
	if ref := rec.get(itDepartment); ref == "" {
		rec.fail(itDepartment, "the department is required")
	} else if id, reason := dept(ref); reason != "" {
		rec.fail(itDepartment, "%s", reason)
	} else {
		it.DepartmentID = id
	}
	for _, ref := range splitList(rec.get(itCooperating)) {
		id, reason := dept(ref)
		if reason != "" {
			rec.fail(itCooperating, "%s", reason)
			continue
		}
		if !contains(it.CooperatingDepartments, id) {
			it.CooperatingDepartments = append(it.CooperatingDepartments, id)
		}
	}
	var err error
	if s := rec.get(itTargetKind); s == "" {
		rec.fail(itTargetKind, "the target kind is required")
	} else if it.TargetKind, err = parseKind(s); err != nil {
		rec.fail(itTargetKind, "%v", err)
	}
	it.Content = rec.get(itContent)
	if it.Content == "" {
		rec.fail(itContent, "the content is required")
	}
	it.Standard = rec.get(itStandard)
	if s := rec.get(itMethod); s == "" {
		rec.fail(itMethod, "the method is required")
	} else if it.Method, err = parseMethod(s); err != nil {
		rec.fail(itMethod, "%v", err)
	}
	if s := rec.get(itCategory); s == "" {
		rec.fail(itCategory, "the category (重点/key or 一般/general) is required")
	} else if it.Category, err = parseCategory(s); err != nil {
		rec.fail(itCategory, "%v", err)
	}
	if s := rec.get(itRatioCap); s != "" {
		if it.RatioCapBp, err = parseRatio(s); err != nil {
			rec.fail(itRatioCap, "%v", err)
		} else if it.Category == backend.ItemKey {
			rec.fail(itRatioCap, "a key item (重点) has no ratio cap; leave the cell empty")
		}
	} else if it.Category == backend.ItemGeneral {
		rec.fail(itRatioCap, "a general item (一般) needs a ratio cap such as 5%%")
	}
	it.Frequency = rec.get(itFrequency)
	if len(rec.errs) == 0 {
		if err := it.Validate(); err != nil {
			rec.failErr(attribute(err, itemPrefixes), err)
		}
	}
	return it
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// mergeItem returns the stored item with the file's columns applied; the
// template version is not the file's business.
func mergeItem(cur, it *backend.Item, h *header) *backend.Item {
	m := *cur
	m.Name, m.LegalBasis, m.DepartmentID, m.TargetKind = it.Name, it.LegalBasis, it.DepartmentID, it.TargetKind
	m.Content, m.Method, m.Category = it.Content, it.Method, it.Category
	if h.has(itCooperating) && !(len(it.CooperatingDepartments) == 0 && len(cur.CooperatingDepartments) == 0) {
		m.CooperatingDepartments = it.CooperatingDepartments
	}
	if h.has(itStandard) {
		m.Standard = it.Standard
	}
	if h.has(itRatioCap) || it.Category == backend.ItemKey {
		m.RatioCapBp = it.RatioCapBp
	}
	if h.has(itFrequency) {
		m.Frequency = it.Frequency
	}
	return &m
}

func itemAuditContent(it *backend.Item) *backend.Item {
	c := *it
	c.Version, c.CreatedAt, c.UpdatedAt = 0, time.Time{}, time.Time{}
	return &c
}

func (j *job) importItems(src source) error {
	return importWithDepartments(j, src, itemColumns, parseItem, j.writeItem)
}

func (j *job) writeItem(rec *record, it *backend.Item) error {
	items := j.im.Items
	return writeRow(j, rec, it, upsert[backend.Item]{
		objectType: "item", keyColumn: itCode, prefixes: itemPrefixes,
		find:        func() (*backend.Item, error) { return items.FindItemByCode(j.ctx, it.Code) },
		create:      func(x *backend.Item) error { return items.CreateItem(j.ctx, x) },
		update:      func(x *backend.Item) error { return items.UpdateItem(j.ctx, x) },
		merge:       func(cur *backend.Item) *backend.Item { return mergeItem(cur, it, rec.h) },
		same:        func(a, b *backend.Item) bool { return a.SameContent(b) },
		id:          func(x *backend.Item) string { return x.Code },
		version:     func(x *backend.Item) int64 { return x.Version },
		content:     func(x *backend.Item) any { return itemAuditContent(x) },
		createTaken: "item %s was created by someone else during the import; import the file again",
	})
}
