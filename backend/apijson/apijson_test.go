package apijson_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/apijson"
)

type method struct{}

func (method) MarshalJSON() ([]byte, error) { return []byte(`"by-method"`), nil }

func TestMarshal(t *testing.T) {
	type inner struct {
		Tags []string `json:"tags"`
	}
	type value struct {
		List    []string          `json:"list"`
		Map     map[string]int    `json:"map"`
		Omitted []string          `json:"omitted,omitempty"`
		OmitMap map[string]string `json:"omitMap,omitempty"`
		Ptr     *inner            `json:"ptr"`
		Structs []inner           `json:"structs"`
		Bytes   []byte            `json:"bytes,omitempty"`
		Zero    int               `json:"zero,omitempty"`
		False   bool              `json:"false"`
		Raw     json.RawMessage   `json:"raw,omitempty"`
	}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"OK/NilSliceIsEmptyArray", value{}, `{"list":[],"map":{},"ptr":null,"structs":[],"false":false}`},
		{"OK/NestedNilSlice", value{Ptr: &inner{}, Structs: []inner{{}}}, `{"list":[],"map":{},"ptr":{"tags":[]},"structs":[{"tags":[]}],"false":false}`},
		{"OK/NilSliceInAny", map[string]any{"b": []int(nil), "a": map[string]any(nil)}, `{"a":{},"b":[]}`},
		{"OK/TopLevelNilSlice", []string(nil), `[]`},
		{"OK/MapKeysSorted", map[string]int{"b": 2, "a": 1, "c": 3}, `{"a":1,"b":2,"c":3}`},
		{"OK/HTMLEscaped", "<a&b>", `"\u003ca\u0026b\u003e"`},
		{"OK/MarshalJSONMethod", []method{{}}, `["by-method"]`},
		{"OK/Time", time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), `"2026-12-01T02:00:00Z"`},
		{"OK/BytesBase64", value{Bytes: []byte{1, 2}, Raw: json.RawMessage(`{"x":1}`)}, `{"list":[],"map":{},"ptr":null,"structs":[],"bytes":"AQI=","false":false,"raw":{"x":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := apijson.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("Marshal = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMarshalAsEncodingJSON: a value without nil slices or maps encodes to
// the same bytes as with encoding/json.
func TestMarshalAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 2, 0, 0, 123e6, time.UTC)
	task := &backend.Task{
		ID: "t1", PlanID: "p", Random: true, TargetID: "91350404MA2YH5CA0R", TargetName: "示例<商贸>&",
		Items: []string{"A"}, Departments: []string{"scjg"}, Team: []string{"i1", "i2"}, TeamUsers: []string{"u1"},
		Checklist: []backend.ChecklistRef{{Item: "A", Version: 1}}, Status: backend.TaskAssigned,
		Answers:  map[string]backend.Answer{"A/q": {}},
		Evidence: []backend.EvidenceSlot{}, CheckIns: []backend.CheckInSummary{}, Reviews: []backend.ReviewNote{},
		Consents: []backend.Consent{{DepartmentID: "d", Officers: []string{}, Items: []string{}, RequestedAt: at}},
		Version:  3, CreatedAt: at, UpdatedAt: at,
	}
	for _, v := range []any{task, backend.Target{ID: "x", Tags: []string{"a"}}, map[string]any{"n": 1.5, "s": []any{"x", nil}}} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := apijson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("apijson.Marshal = %s\nencoding/json  = %s", got, want)
		}
	}
}

// BenchmarkMarshalTask: a task as the APIs answer it, with apijson and
// with encoding/json (Fiber's encoder before).
func BenchmarkMarshalTask(b *testing.B) {
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	task := &backend.Task{
		ID: "2026-scjg-1a2b3c4d5e-v1-d1-00001", PlanID: "2026-scjg-1a2b3c4d5e", Random: true, TargetID: "91350404MA2YH5CA0R", TargetName: "三明市三元区列东示例商贸有限公司",
		Items: []string{"SCJG-03", "YJGL-01"}, Departments: []string{"scjg", "yjgl"}, Team: []string{"ins-1", "ins-2"}, TeamUsers: []string{"u1", "u2"},
		Checklist: []backend.ChecklistRef{{Item: "SCJG-03", Version: 1}, {Item: "YJGL-01", Version: 2}}, Status: backend.TaskAssigned,
		Version: 1, CreatedAt: at, UpdatedAt: at,
	}
	for _, c := range []struct {
		name    string
		marshal func(any) ([]byte, error)
	}{{"apijson", apijson.Marshal}, {"encoding-json", json.Marshal}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.marshal(task); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
