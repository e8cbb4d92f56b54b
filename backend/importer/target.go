package importer

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Target columns, in spec order.
const (
	tID = iota
	tName
	tKind
	tRegion
	tAddress
	tLng
	tLat
	tIndustry
	tTags
	tCredit
	tWhitelisted
	tStatus
	tKeySupervision
	tLegalRep
	numTargetColumns
)

var targetColumns = []colSpec{
	tID:             {key: "uscc", names: []string{"统一社会信用代码", "社会信用代码", "uscc", "id"}, required: true},
	tName:           {key: "name", names: []string{"名称", "企业名称", "主体名称", "对象名称", "name"}, required: true},
	tKind:           {key: "kind", names: []string{"类型", "主体类型", "对象类型", "kind"}},
	tRegion:         {key: "region", names: []string{"行政区划", "行政区划代码", "区划代码", "region", "regionCode"}, required: true},
	tAddress:        {key: "address", names: []string{"地址", "住所", "经营场所", "address"}},
	tLng:            {key: "lng", names: []string{"经度", "lng", "longitude"}},
	tLat:            {key: "lat", names: []string{"纬度", "lat", "latitude"}},
	tIndustry:       {key: "industry", names: []string{"行业", "行业代码", "industry"}},
	tTags:           {key: "tags", names: []string{"标签", "tags"}},
	tCredit:         {key: "credit", names: []string{"信用风险分类", "信用分类", "风险分类", "credit", "creditClass"}, required: true},
	tWhitelisted:    {key: "whitelisted", names: []string{"白名单", "whitelisted", "whitelist"}},
	tStatus:         {key: "status", names: []string{"登记状态", "经营状态", "状态", "status"}},
	tKeySupervision: {key: "keySupervision", names: []string{"重点监管", "keySupervision"}},
	tLegalRep:       {key: "legalRep", names: []string{"法定代表人", "负责人", "经营者", "legalRep", "legalRepresentative"}},
}

// targetPrefixes attributes backend.Target.Validate messages to columns.
var targetPrefixes = []fieldPrefix{
	{"kind", tKind}, {"USCC", tID}, {"id ", tID}, {"credit class", tCredit}, {"name", tName},
	{"region code", tRegion}, {"address", tAddress}, {"location", tLat}, {"industry", tIndustry},
	{"tags", tTags}, {"status", tStatus}, {"legal representative", tLegalRep},
}

var otherTargetID = regexp.MustCompile(`^(product|project|behaviour)-`)

// normTargetID upper-cases a USCC; the ids of products, projects and
// behaviours keep the case of their code.
func normTargetID(id string) string {
	for _, p := range []string{"product-", "project-", "behaviour-"} {
		if len(id) >= len(p) && strings.EqualFold(id[:len(p)], p) {
			return p + id[len(p):]
		}
	}
	return strings.ToUpper(id)
}

// parseTarget turns a row into a target and validates it.
func parseTarget(rec *record) *backend.Target {
	t := &backend.Target{Tags: []string{}}
	t.ID = normTargetID(rec.get(tID))
	rec.key = t.ID
	if t.ID == "" {
		rec.fail(tID, "the USCC (or target id) is required")
	}

	if s := rec.get(tKind); s != "" {
		k, err := parseKind(s)
		if err != nil {
			rec.fail(tKind, "%v", err)
		}
		t.Kind = k
	} else if t.ID != "" {
		t.Kind = backend.USCCKind(t.ID)
		if m := otherTargetID.FindString(t.ID); m != "" {
			t.Kind = backend.TargetKind(strings.TrimSuffix(m, "-"))
		}
		if t.Kind == "" {
			col := tID
			if rec.has(tKind) {
				col = tKind
			}
			rec.fail(col, "the kind is required: %s does not start with 91, 92 or 93", t.ID)
		}
	}
	if t.Kind.HasUSCC() && t.ID != "" {
		if err := backend.ValidateUSCC(t.ID); err != nil {
			rec.failErr(tID, err)
		} else if k := backend.USCCKind(t.ID); k != "" && k != t.Kind {
			rec.fail(tKind, "USCC %s is the code of a%s %s, not of a%s %s", t.ID, article(k), k, article(t.Kind), t.Kind)
		}
	}

	t.Name = rec.get(tName)
	if t.Name == "" {
		rec.fail(tName, "the name is required")
	}
	t.RegionCode = rec.get(tRegion)
	if !backend.ValidRegionCode(t.RegionCode) {
		rec.fail(tRegion, "region code %q must be a six-digit administrative division code", t.RegionCode)
	}
	t.Address = rec.get(tAddress)
	t.Location = parseLocation(rec)
	t.Industry = strings.ToUpper(rec.get(tIndustry))
	t.Tags = splitList(rec.get(tTags))

	var err error
	if t.CreditClass, err = parseCredit(rec.get(tCredit)); err != nil {
		rec.fail(tCredit, "%v", err)
	} else if t.CreditClass == "" && t.Kind.HasUSCC() {
		rec.fail(tCredit, "the credit class (A, B, C or D) is required for a%s %s", article(t.Kind), t.Kind)
	}
	if t.Whitelisted, err = parseBool(rec.get(tWhitelisted)); err != nil {
		rec.fail(tWhitelisted, "%v", err)
	}
	if t.Status, err = parseStatus(rec.get(tStatus)); err != nil {
		rec.fail(tStatus, "%v", err)
	}
	if t.KeySupervision, err = parseBool(rec.get(tKeySupervision)); err != nil {
		rec.fail(tKeySupervision, "%v", err)
	}
	t.LegalRep = rec.get(tLegalRep)

	if len(rec.errs) == 0 {
		if err := t.Validate(); err != nil {
			rec.failErr(attribute(err, targetPrefixes), err)
		}
	}
	return t
}

func article(k backend.TargetKind) string {
	if k == backend.KindEnterprise || k == backend.KindIndividual {
		return "n"
	}
	return ""
}

// parseLocation reads the two coordinate columns: both or neither.
func parseLocation(rec *record) *backend.GeoPoint {
	lngText, latText := rec.get(tLng), rec.get(tLat)
	if lngText == "" && latText == "" {
		return nil
	}
	ok := true
	coord := func(f int, text, what string, limit float64) float64 {
		if text == "" {
			other := tLat
			if f == tLat {
				other = tLng
			}
			rec.fail(f, "the %s is required when the %s is given", what, rec.h.column(other))
			ok = false
			return 0
		}
		v, err := parseFloat(text)
		if err != nil {
			rec.fail(f, "%s %v", what, err)
			ok = false
		} else if v < -limit || v > limit {
			rec.fail(f, "%s %v is out of range (-%v to %v)", what, v, limit, limit)
			ok = false
		}
		return v
	}
	lng := coord(tLng, lngText, "longitude", 180)
	lat := coord(tLat, latText, "latitude", 90)
	if !ok {
		return nil
	}
	return &backend.GeoPoint{Lat: lat, Lng: lng}
}

// targetContent is what a file's columns say about a target: the fields of
// columns the file does not have are left zero, so that a stored target and
// a row compare equal when they agree on everything the file covers. Empty
// lists count as absent whether stored as [] or null.
func targetContent(t *backend.Target, h *header) backend.Target {
	c := backend.Target{ID: t.ID}
	applyColumns(&c, t, h)
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	return c
}

// applyColumns copies to dst the fields of src that the file's columns cover.
func applyColumns(dst, src *backend.Target, h *header) {
	if h.has(tKind) {
		dst.Kind = src.Kind
	}
	if h.has(tName) {
		dst.Name = src.Name
	}
	if h.has(tRegion) {
		dst.RegionCode = src.RegionCode
	}
	if h.has(tAddress) {
		dst.Address = src.Address
	}
	if h.has(tLat) || h.has(tLng) {
		dst.Location = src.Location
	}
	if h.has(tIndustry) {
		dst.Industry = src.Industry
	}
	if h.has(tTags) {
		dst.Tags = src.Tags
	}
	if h.has(tCredit) {
		dst.CreditClass = src.CreditClass
	}
	if h.has(tWhitelisted) {
		dst.Whitelisted = src.Whitelisted
	}
	if h.has(tStatus) {
		dst.Status = src.Status
	}
	if h.has(tKeySupervision) {
		dst.KeySupervision = src.KeySupervision
	}
	if h.has(tLegalRep) {
		dst.LegalRep = src.LegalRep
	}
}

func targetDigest(t *backend.Target, h *header) [sha256.Size]byte {
	c := targetContent(t, h)
	b, err := json.Marshal(&c)
	if err != nil {
		panic("importer: encode target: " + err.Error()) // plain strings, bools and finite floats only
	}
	return sha256.Sum256(b)
}

// mergeTarget returns the stored target with the file's columns applied.
// Empty tags stay as stored (an empty list and none are the same).
func mergeTarget(cur, t *backend.Target, h *header) *backend.Target {
	m := *cur
	applyColumns(&m, t, h)
	if len(t.Tags) == 0 && len(cur.Tags) == 0 {
		m.Tags = cur.Tags
	}
	return &m
}

// content is a record without version and timestamps: what the audit log
// digests of a write.
func targetAuditContent(t *backend.Target) *backend.Target {
	c := *t
	c.Version, c.CreatedAt, c.UpdatedAt = 0, time.Time{}, time.Time{}
	return &c
}

// knownTarget is what the import knows of one id: the digest of the stored
// target (when there is one) and the row of the file that named it first.
type knownTarget struct {
	digest [sha256.Size]byte
	stored bool
	row    int
}

// smallFile is the most rows for which looking each target up by id is
// cheaper than one scan of the whole directory.
const smallFile = 200

func (j *job) importTargets(src source) error {
	var (
		known   map[string]*knownTarget
		perRow  = j.in.rows >= 0 && j.in.rows <= smallFile
		pending []*backend.Target
		rows    []int // file rows of pending
	)
	insert := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := j.beginBatch(pending); err != nil {
			return err
		}
		err := j.im.Targets.CreateTargets(j.ctx, pending)
		if backend.IsCode(err, backend.ECONFLICT) {
			// Someone created one of these targets since we looked; the
			// ordered insert stopped there. Sort it out one by one.
			err = j.insertOneByOne(pending, rows)
		} else if err == nil {
			for _, t := range pending {
				j.recordWrite(t.ID, targetAuditContent(t), true)
			}
			j.summary.Imported += len(pending)
		}
		pending, rows = pending[:0], rows[:0]
		if err != nil {
			return err
		}
		return j.flush()
	}
	err := eachRow(src, targetColumns, j.summary, func(rec *record) error {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		if known == nil {
			known = map[string]*knownTarget{}
			if !perRow {
				if err := j.scanTargets(rec.h, known); err != nil {
					return err
				}
			}
		}
		t := parseTarget(rec)
		var k *knownTarget
		if t.ID != "" {
			if k = known[t.ID]; k == nil {
				k = &knownTarget{}
				known[t.ID] = k
				if perRow {
					if err := j.lookupTarget(t.ID, rec.h, k); err != nil {
						return err
					}
				}
			}
			if k.row != 0 {
				rec.fail(tID, "%s also appears in row %d; only the first is imported", t.ID, k.row)
			} else {
				k.row = rec.row
			}
		}
		if len(rec.errs) > 0 {
			j.summary.reject(rec.errs)
			return nil
		}
		switch {
		case !k.stored:
			pending = append(pending, t)
			rows = append(rows, rec.row)
			if len(pending) >= j.batch {
				return insert()
			}
			return nil
		case k.digest == targetDigest(t, rec.h):
			j.summary.Unchanged++
			return nil
		}
		return j.updateTarget(rec, t)
	})
	if err != nil {
		// Rows read but not yet written are dropped: the import stops here.
		j.updates = nil
		return err
	}
	return insert()
}

// scanTargets reads the digest of every stored target in one pass. On the
// embedded store a lookup by id costs about 1.5 ms and a scan about 0.1 ms
// per stored target, so for a large file one scan is far cheaper.
func (j *job) scanTargets(h *header, known map[string]*knownTarget) error {
	return j.im.Targets.ScanTargets(j.ctx, backend.TargetFilter{}, func(t *backend.Target) error {
		known[t.ID] = &knownTarget{digest: targetDigest(t, h), stored: true}
		return nil
	})
}

// lookupTarget fills k from the stored target with the given id, if any.
func (j *job) lookupTarget(id string, h *header, k *knownTarget) error {
	cur, err := j.im.Targets.FindTargetByID(j.ctx, id)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	k.digest, k.stored = targetDigest(cur, h), true
	return nil
}

// updateTarget applies a changed row to the stored target.
func (j *job) updateTarget(rec *record, t *backend.Target) error {
	cur, err := j.im.Targets.FindTargetByID(j.ctx, t.ID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		// Deleted since the scan: create it again.
		return j.createTarget(rec.row, t)
	}
	if err != nil {
		return err
	}
	if rec.h.has(tKind) && cur.Kind != t.Kind {
		// As for edits in the back office (backend.Directory.UpdateTarget).
		j.summary.reject([]RowError{{Row: rec.row, Column: rec.h.column(tKind), Reason: fmt.Sprintf("the kind of target %s cannot change (it is stored as %s)", t.ID, cur.Kind)}})
		return nil
	}
	m := mergeTarget(cur, t, rec.h)
	if err := m.Validate(); err != nil {
		j.summary.reject([]RowError{{Row: rec.row, Column: rec.h.column(attribute(err, targetPrefixes)), Reason: backend.ErrorMessage(err)}})
		return nil
	}
	if m.SameContent(cur) {
		j.summary.Unchanged++
		return nil
	}
	// The update's record travels with the write (backend/outbox.go); the
	// batch's updates are written together when it is flushed.
	content := targetAuditContent(m)
	m.Audit = []backend.AuditRecord{j.updateRecord("target", m.ID, rec.row, content, m.Version+1)}
	j.updates = append(j.updates, targetUpdate{row: rec.row, column: rec.h.column(tID), t: m, content: content})
	return j.maybeFlush()
}

// targetUpdate is a target update of the current batch, not yet written.
type targetUpdate struct {
	row     int
	column  string
	t       *backend.Target
	content any
}

// writeUpdates writes the current batch's target updates at once
// (TargetStore.UpdateTargets: one mark and one append for all).
func (j *job) writeUpdates() error {
	if len(j.updates) == 0 {
		return nil
	}
	ts := make([]*backend.Target, len(j.updates))
	for i, u := range j.updates {
		ts[i] = u.t
	}
	errs, err := j.im.Targets.UpdateTargets(j.ctx, ts)
	if err != nil {
		j.updates = j.updates[:0]
		return err
	}
	var first error // a target refused otherwise (its audit records pile up: the log is down) stops the import
	for i, u := range j.updates {
		switch {
		case errs[i] == nil:
			j.summary.Updated++
			j.recordWrite(u.t.ID, u.content, false)
		case backend.IsCode(errs[i], backend.ECONFLICT) || backend.IsCode(errs[i], backend.ENOTFOUND):
			j.summary.reject([]RowError{{Row: u.row, Column: u.column, Reason: fmt.Sprintf("target %s was changed by someone else during the import; import the file again", u.t.ID)}})
		case first == nil:
			first = errs[i]
		}
	}
	j.updates = j.updates[:0]
	return first
}

func (j *job) createTarget(row int, t *backend.Target) error {
	if err := j.im.Targets.CreateTarget(j.ctx, t); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			j.summary.reject([]RowError{{Row: row, Reason: fmt.Sprintf("target %s was created by someone else during the import; import the file again", t.ID)}})
			return nil
		}
		return err
	}
	j.summary.Imported++
	j.recordWrite(t.ID, targetAuditContent(t), true)
	return nil
}

// insertOneByOne finishes a bulk insert that hit a duplicate: targets the
// bulk insert already stored are recognised by their content.
func (j *job) insertOneByOne(ts []*backend.Target, rows []int) error {
	for i, t := range ts {
		cur, err := j.im.Targets.FindTargetByID(j.ctx, t.ID)
		switch {
		case backend.IsCode(err, backend.ENOTFOUND):
			if err := j.createTarget(rows[i], t); err != nil {
				return err
			}
		case err != nil:
			return err
		case cur.SameContent(t):
			j.summary.Imported++
			j.recordWrite(t.ID, targetAuditContent(cur), true)
		default:
			j.summary.reject([]RowError{{Row: rows[i], Reason: fmt.Sprintf("target %s was created by someone else during the import; import the file again", t.ID)}})
		}
	}
	return nil
}
