package importer

import (
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Inspector columns, in spec order.
const (
	iCert = iota
	iName
	iDepartment
	iExpiry
	iSpecialties
	iRegion
	iConflicts
	iTaskCap
	iUser
)

var inspectorColumns = []colSpec{
	iCert:        {key: "certNo", names: []string{"执法证号", "执法证件号", "执法证编号", "certNo"}, required: true},
	iName:        {key: "name", names: []string{"姓名", "name"}, required: true},
	iDepartment:  {key: "department", names: []string{"部门", "所属部门", "department", "departmentId"}, required: true},
	iExpiry:      {key: "certExpiry", names: []string{"证件有效期", "执法证有效期", "有效期至", "certExpiry"}, required: true},
	iSpecialties: {key: "specialties", names: []string{"专业", "专长", "专业领域", "specialties"}},
	iRegion:      {key: "region", names: []string{"行政区划", "区划代码", "region", "regionCode"}},
	iConflicts:   {key: "conflicts", names: []string{"回避对象", "回避", "conflicts"}},
	iTaskCap:     {key: "taskCap", names: []string{"任务上限", "taskCap"}},
	iUser:        {key: "user", names: []string{"账号", "用户名", "user", "userId", "username"}},
}

var inspectorPrefixes = []fieldPrefix{
	{"inspector id", iCert}, {"name", iName}, {"department", iDepartment}, {"certificate number", iCert},
	{"certificate expiry", iExpiry}, {"specialties", iSpecialties}, {"region code", iRegion},
	{"at most 256 declared conflicts", iConflicts}, {"conflict", iConflicts}, {"task cap", iTaskCap}, {"user", iUser},
}

// defaultConflictReason is recorded for a conflict the file gives no reason for.
const defaultConflictReason = "申报回避"

// InspectorID returns the id a new inspector with the given certificate
// number gets.
func InspectorID(certNo string) string { return "ins-" + strings.ToLower(certNo) }

// inspectorRow is a parsed row: the inspector, and which conflicts the file
// gave a reason for.
type inspectorRow struct {
	in        *backend.Inspector
	reasonSet map[string]bool
}

func parseInspector(rec *record, dept deptResolver) *inspectorRow {
	in := &backend.Inspector{Specialties: []string{}, Conflicts: []backend.Conflict{}, Leave: []backend.Period{}, Active: true}
	row := &inspectorRow{in: in, reasonSet: map[string]bool{}}
	in.CertNo = rec.get(iCert)
	rec.key = in.CertNo
	if !backend.ValidCertNo(in.CertNo) {
		if in.CertNo == "" {
			rec.fail(iCert, "the certificate number is required")
		} else {
			rec.fail(iCert, "certificate number %q must be 4-32 letters, digits or '-'", in.CertNo)
		}
	}
	in.ID = InspectorID(in.CertNo)
	in.Name = rec.get(iName)
	if in.Name == "" {
		rec.fail(iName, "the name is required")
	}
	if ref := rec.get(iDepartment); ref == "" {
		rec.fail(iDepartment, "the department is required")
	} else if id, reason := dept(ref); reason != "" {
		rec.fail(iDepartment, "%s", reason)
	} else {
		in.DepartmentID = id
	}
	if s := rec.get(iExpiry); s == "" {
		rec.fail(iExpiry, "the certificate expiry date is required")
	} else if d, err := parseDate(s); err != nil {
		rec.fail(iExpiry, "%v", err)
	} else {
		in.CertExpiry = d
	}
	in.Specialties = splitList(rec.get(iSpecialties))
	in.RegionCode = rec.get(iRegion)
	if in.RegionCode != "" && !backend.ValidRegionCode(in.RegionCode) {
		rec.fail(iRegion, "region code %q must be a six-digit administrative division code", in.RegionCode)
	}
	for _, entry := range splitList(rec.get(iConflicts)) {
		id, reason, hasReason := strings.Cut(strings.Replace(entry, "：", ":", 1), ":")
		id, reason = normTargetID(clean(id)), clean(reason)
		if !validTargetRef(id) {
			rec.fail(iConflicts, "conflict %q is neither a valid USCC nor a target id such as product-CODE", clean(entry))
			continue
		}
		if hasReason && reason != "" {
			row.reasonSet[id] = true
		} else {
			reason = defaultConflictReason
		}
		if in.ConflictsWith(id) {
			continue
		}
		in.Conflicts = append(in.Conflicts, backend.Conflict{TargetID: id, Reason: reason})
	}
	var err error
	if in.TaskCap, err = parseInt(rec.get(iTaskCap)); err != nil {
		rec.fail(iTaskCap, "task cap %v", err)
	} else if in.TaskCap < 0 || in.TaskCap > 1000 {
		rec.fail(iTaskCap, "task cap %d must be between 0 and 1000", in.TaskCap)
	}
	in.UserID = strings.ToLower(rec.get(iUser))
	if in.UserID != "" && !backend.ValidUsername(in.UserID) {
		rec.fail(iUser, "user %q is not a valid login name (2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter)", in.UserID)
	}
	if len(rec.errs) == 0 {
		if err := in.Validate(); err != nil {
			rec.failErr(attribute(err, inspectorPrefixes), err)
		}
	}
	return row
}

// validTargetRef reports whether id could name a target: a valid USCC or a
// product, project or behaviour id.
func validTargetRef(id string) bool {
	if otherTargetID.MatchString(id) {
		t := backend.Target{ID: id, Kind: backend.TargetKind(id[:strings.IndexByte(id, '-')]), Name: "x", RegionCode: "110000", Status: backend.StatusActive}
		return t.Validate() == nil
	}
	return backend.ValidateUSCC(id) == nil
}

// mergeInspector returns the stored inspector with the file's columns
// applied. A conflict the file names without a reason keeps the reason
// already stored for it.
func mergeInspector(cur *backend.Inspector, r *inspectorRow, h *header) *backend.Inspector {
	m := *cur
	in := r.in
	m.Name, m.DepartmentID, m.CertNo, m.CertExpiry = in.Name, in.DepartmentID, in.CertNo, in.CertExpiry
	if h.has(iSpecialties) && !(len(in.Specialties) == 0 && len(cur.Specialties) == 0) {
		m.Specialties = in.Specialties
	}
	if h.has(iRegion) {
		m.RegionCode = in.RegionCode
	}
	if h.has(iConflicts) && !(len(in.Conflicts) == 0 && len(cur.Conflicts) == 0) {
		cs := make([]backend.Conflict, len(in.Conflicts))
		for i, c := range in.Conflicts {
			cs[i] = c
			if r.reasonSet[c.TargetID] {
				continue
			}
			for _, old := range cur.Conflicts {
				if old.TargetID == c.TargetID {
					cs[i].Reason = old.Reason
				}
			}
		}
		m.Conflicts = cs
	}
	if h.has(iTaskCap) {
		m.TaskCap = in.TaskCap
	}
	if h.has(iUser) {
		m.UserID = in.UserID
	}
	return &m
}

func inspectorAuditContent(in *backend.Inspector) *backend.Inspector {
	c := *in
	c.Version, c.CreatedAt, c.UpdatedAt = 0, time.Time{}, time.Time{}
	return &c
}

func (j *job) importInspectors(src source) error {
	return importWithDepartments(j, src, inspectorColumns, parseInspector, j.writeInspector)
}

// importWithDepartments runs the rows of a kind whose rows name departments
// (inspectors, items): parse, reject duplicates and invalid rows, write.
func importWithDepartments[T any](j *job, src source, columns []colSpec, parse func(*record, deptResolver) T, write func(*record, T) error) error {
	depts := newDepartments(j.ctx, j.im.Departments)
	seen := map[string]int{}
	return eachRow(src, columns, j.summary, func(rec *record) error {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		row := parse(rec, depts.resolve)
		if depts.err != nil {
			return depts.err
		}
		dupCheck(rec, seen)
		if len(rec.errs) > 0 {
			j.summary.reject(rec.errs)
			return nil
		}
		return write(rec, row)
	})
}

func (j *job) writeInspector(rec *record, r *inspectorRow) error {
	ins := j.im.Inspectors
	return writeRow(j, rec, r.in, upsert[backend.Inspector]{
		objectType: "inspector", keyColumn: iCert, prefixes: inspectorPrefixes,
		find:    func() (*backend.Inspector, error) { return ins.FindInspectorByCertNo(j.ctx, r.in.CertNo) },
		create:  func(in *backend.Inspector) error { return ins.CreateInspector(j.ctx, in) },
		update:  func(in *backend.Inspector) error { return ins.UpdateInspector(j.ctx, in) },
		merge:   func(cur *backend.Inspector) *backend.Inspector { return mergeInspector(cur, r, rec.h) },
		same:    func(a, b *backend.Inspector) bool { return a.SameContent(b) },
		id:      func(in *backend.Inspector) string { return in.ID },
		version: func(in *backend.Inspector) int64 { return in.Version },
		content: func(in *backend.Inspector) any { return inspectorAuditContent(in) },
		createTaken: "inspector id %s is already taken (by a certificate number that differs only in case?), " +
			"or the certificate was added during the import",
	})
}
