package mongo

import (
	"context"
	"regexp"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

// InspectorStore implements backend.InspectorStore.
type InspectorStore struct{ DB *DB }

var _ backend.InspectorStore = (*InspectorStore)(nil)

func (s *InspectorStore) FindInspectorByID(ctx context.Context, id string) (*backend.Inspector, error) {
	if in := s.DB.engine.cachedInspector(id); in != nil {
		return in, nil
	}
	in, err := findByID[backend.Inspector](ctx, s.DB.c(colInspectors), "FindInspectorByID", "inspector", id)
	if err == nil {
		s.DB.engine.cacheInspector(in)
	}
	return in, err
}

func (s *InspectorStore) FindInspectorByCertNo(ctx context.Context, certNo string) (*backend.Inspector, error) {
	return findOneBy[backend.Inspector](ctx, s.DB.c(colInspectors), "FindInspectorByCertNo", "certificate", "certNo", certNo)
}

func (s *InspectorStore) FindInspectorByUserID(ctx context.Context, userID string) (*backend.Inspector, error) {
	return findOneBy[backend.Inspector](ctx, s.DB.c(colInspectors), "FindInspectorByUserID", "inspector for user", "userId", userID)
}

func (s *InspectorStore) FindInspectors(ctx context.Context, f backend.InspectorFilter, p backend.PageRequest) (*backend.Page[*backend.Inspector], error) {
	q := inspectorFilter(f)
	if f.Sort != "" {
		return findSortedPage(ctx, s.DB.c(colInspectors), "FindInspectors", q, p, f.Sort, f.Sort,
			func(in *backend.Inspector) (string, string) { return in.SortKey(f.Sort), in.ID })
	}
	return findPage(ctx, s.DB, s.DB.c(colInspectors), "FindInspectors", q, p, func(in *backend.Inspector) string { return in.ID })
}

// CountInspectors counts the inspectors f selects: on MongoDB a count
// over the query; on the embedded store, for the dashboard's filter
// (departments, active, certificate expiry), from three fields of each
// inspector read straight from SQLite (DB.ScanJSON) instead of FerretDB
// decoding the whole directory (~36 ms of CPU a dashboard at 160
// inspectors, profiled).
func (s *InspectorStore) CountInspectors(ctx context.Context, f backend.InspectorFilter) (int, error) {
	if n, ok, err := s.DB.engine.countInspectors(ctx, s.DB, f); ok || err != nil {
		return n, err
	}
	n, err := s.DB.c(colInspectors).CountDocuments(ctx, inspectorFilter(f))
	return int(n), translate("CountInspectors", err)
}

// inspectorFilter translates a typed filter into a query.
func inspectorFilter(f backend.InspectorFilter) bson.D {
	q := bson.D{}
	if len(f.DepartmentIDs) > 0 {
		q = append(q, bson.E{Key: "departmentId", Value: in(f.DepartmentIDs)})
	}
	if f.Specialty != "" {
		q = append(q, bson.E{Key: "specialties", Value: f.Specialty})
	}
	if f.Active != nil {
		q = append(q, bson.E{Key: "active", Value: *f.Active})
	}
	if f.CertNo != "" {
		q = append(q, bson.E{Key: "certNo", Value: f.CertNo})
	}
	if f.Q != "" {
		// The console's team-member pickers type the start of an
		// officer's id as well; user text only as a quoted literal.
		or := containsAny(f.Q, "name", "certNo")
		or.Value = append(or.Value.(bson.A), bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(f.Q)}}}})
		q = append(q, or)
	}
	if r := dateRange(f.CertExpiryFrom, f.CertExpiryTo); r != nil {
		q = append(q, bson.E{Key: "certExpiry", Value: r})
	}
	return q
}

func (s *InspectorStore) CreateInspector(ctx context.Context, in *backend.Inspector) error {
	in.Version, in.CreatedAt, in.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colInspectors, "inspector", "CreateInspector", in.ID, in)
}

func (s *InspectorStore) UpdateInspector(ctx context.Context, in *backend.Inspector) error {
	expected := in.Version
	in.Version, in.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colInspectors, "inspector", "UpdateInspector", in.ID, expected, in); err != nil {
		in.Version = expected
		s.DB.engine.forgetInspector(in.ID) // read it from the store next time
		return err
	}
	s.DB.engine.cacheInspector(in)
	return nil
}

func (s *InspectorStore) FindExpertByID(ctx context.Context, id string) (*backend.Expert, error) {
	return findByID[backend.Expert](ctx, s.DB.c(colExperts), "FindExpertByID", "expert", id)
}

func (s *InspectorStore) FindExperts(ctx context.Context, f backend.ExpertFilter, p backend.PageRequest) (*backend.Page[*backend.Expert], error) {
	q := bson.D{}
	if f.Q != "" {
		q = append(q, containsAny(f.Q, "name", "organisation"))
	}
	if f.Active != nil {
		q = append(q, bson.E{Key: "active", Value: *f.Active})
	}
	return findPage(ctx, s.DB, s.DB.c(colExperts), "FindExperts", q, p, func(e *backend.Expert) string { return e.ID })
}

// containsAny matches documents one of whose fields contains s (as
// text, never as a pattern; letters in either case).
func containsAny(s string, fields ...string) bson.E {
	or := bson.A{}
	for _, f := range fields {
		or = append(or, bson.D{{Key: f, Value: bson.D{{Key: "$regex", Value: regexp.QuoteMeta(s)}, {Key: "$options", Value: "i"}}}})
	}
	return bson.E{Key: "$or", Value: or}
}

// dateRange is the condition on a YYYY-MM-DD field between from and to,
// inclusive (nil when both are empty): such dates sort as strings.
func dateRange(from, to backend.Date) bson.D {
	var r bson.D
	if from != "" {
		r = append(r, bson.E{Key: "$gte", Value: string(from)})
	}
	if to != "" {
		r = append(r, bson.E{Key: "$lte", Value: string(to)})
	}
	return r
}

func (s *InspectorStore) CreateExpert(ctx context.Context, e *backend.Expert) error {
	e.Version, e.CreatedAt, e.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colExperts, "expert", "CreateExpert", e.ID, e)
}

func (s *InspectorStore) UpdateExpert(ctx context.Context, e *backend.Expert) error {
	expected := e.Version
	e.Version, e.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colExperts, "expert", "UpdateExpert", e.ID, expected, e); err != nil {
		e.Version = expected
		return err
	}
	return nil
}
