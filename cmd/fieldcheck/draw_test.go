package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// recordFromVector runs the draw of a committed test vector.
func recordFromVector(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/draw/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Input draw.Input `json:"input"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	rec, err := draw.Run(v.Input)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDrawVerifyCommand(t *testing.T) {
	good := recordFromVector(t, "joint-plan")
	declared := recordFromVector(t, "declared-source")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tamperOf := func(rec []byte, f func(*draw.Record)) []byte {
		var r draw.Record
		if err := json.Unmarshal(rec, &r); err != nil {
			t.Fatal(err)
		}
		f(&r)
		b, _ := json.Marshal(&r)
		return b
	}
	tamper := func(f func(*draw.Record)) []byte { return tamperOf(good, f) }
	roundOf := func(name string) []byte {
		var v struct {
			Expected json.RawMessage `json:"expected"`
		}
		raw, err := os.ReadFile("../../testdata/draw/rounds/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return []byte(v.Expected)
	}
	round, tagged, replaced := roundOf("round-four-plans"), roundOf("round-tags"), roundOf("round-replacements")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/public/draws/x" {
			w.Write(good)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()

	tests := []struct {
		name string
		src  string
		code int
		want string
	}{
		{"OK/File", write("good.json", good), 0, "draw record verifies"},
		{"OK/URL", srv.URL + "/public/draws/x", 0, "draw record verifies"},
		{"OK/NoSourceIsFreeText", write("free.json", good), 0, "declares no entropy source"},
		{"OK/DeclaredSource", write("declared.json", declared), 0, `is the result of the declared source 福彩双色球 第2026050期 2026-05-03, published 2026-05-03 21:15:00`},
		{"ErrDeclaredSourceFreeText", write("declared-free.json", tamperOf(declared, func(r *draw.Record) {
			r.PublicEntropy += "（更正 42）"
			seed := draw.Seed(r.Secret, r.PublicEntropy, r.PlanID) // consistent, but not the source's text
			r.Seed = hex.EncodeToString(seed[:])
		})), 1, "publicEntropy: value"},
		{"ErrEntropyChanged", write("entropy.json", tamper(func(r *draw.Record) { r.PublicEntropy += "!" })), 1, "seed"},
		{"ErrSelectionSwapped", write("swap.json", tamper(func(r *draw.Record) {
			r.Selected[0].ID, r.Selected[1].ID = r.Selected[1].ID, r.Selected[0].ID
		})), 1, "selected"},
		{"ErrSecretChanged", write("secret.json", tamper(func(r *draw.Record) { r.Secret = strings.Repeat("0", 64) })), 1, "NOT verify"},
		{"ErrNotARecord", write("junk.json", []byte(`{"hello":1}`)), 1, "not a draw record"},
		{"ErrNotJSON", write("junk2.json", []byte(`<html>`)), 1, "not a draw record"},
		{"OK/Round", write("round.json", round), 0, "round record verifies: fc-draw-2 round round-2026-q1, 4 plans, 19 visits of which 10 joint"},
		{"OK/RoundDeclaredSource", write("round2.json", round), 0, "declared source 福彩3D 第2026096期 2026-04-06"},
		{"ErrRoundTeamChanged", write("round-team.json", bytes.Replace(round, []byte(`"team": [`), []byte(`"team": ["x", `), 1)), 1, "round record does NOT verify"},
		{"OK/RoundTags", write("round-tags.json", tagged), 0, "plan plan-2026-jyj-tags targets the tags 校园周边: each of its 14 targets carries one"},
		{"ErrRoundTagChanged", write("round-tag.json", bytes.Replace(tagged, []byte(`"校园周边"`), []byte(`"校园"`), 2)), 1, "plans[1].population[1].tags"},
		{"OK/RoundReplacements", write("round-replaced.json", replaced), 0, "4 replacements of plans' parts, each redone on the round as it stood:\n" +
			`  plan plan-2026-health-env-q1: 91330100000003047X replaced by 91330100000003011X (stratum 公共场所, PRN 475248626c719bae, a new visit), reason "已注销"`},
		{"OK/RoundReplacementJoins", write("round-replaced2.json", replaced), 0, `91330100000003033X replaced by 91330100000003001X (stratum A, PRN 1426ab0252b7bc28, joins its visit)`},
		{"ErrRoundReplacementChanged", write("round-replaced-bad.json", bytes.Replace(replaced, []byte(`"replacement": "91330100000003011X"`), []byte(`"replacement": "91330100000003013X"`), 1)), 1, "replacements[0].replacement"},
		{"ErrRoundReplacementTeamChanged", write("round-replaced-team.json", bytes.Replace(replaced, []byte(`"team": [
     "amr-05"
    ]`), []byte(`"team": [
     "amr-04"
    ]`), 1)), 1, "replacements[1].team"},
		{"ErrRoundNotARecord", write("round-junk.json", []byte(`{"algorithm":"fc-draw-2","visits":7}`)), 1, "not a round record"},
		{"ErrMissingFile", filepath.Join(dir, "none.json"), 1, "no such file"},
		{"ErrURL404", srv.URL + "/public/draws/y", 1, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"draw", "verify", tt.src}, &out, &errb)
			code := 0
			msg := out.String()
			if err != nil {
				code = exitCode(err)
				msg += err.Error()
			}
			if code != tt.code || !strings.Contains(msg, tt.want) {
				t.Fatalf("exit %d, output %q; want exit %d containing %q", code, msg, tt.code, tt.want)
			}
		})
	}
}

// TestDemoRoundVerifies starts the demo: on first start it has drawn a
// coordination round of plans of at least four departments, public at
// /public/rounds, whose record verifies with draw verify URL, and fails to
// when a byte of it changes; and a reviewer finds submitted tasks with
// their photos in the review queue.
func TestDemoRoundVerifies(t *testing.T) {
	s := &server{t: t, bin: buildBinary(t), addr: freeAddr(t), dir: t.TempDir()}
	s.start("demo", "--targets", "300")
	var list struct{ Items []backend.Round }
	if st := s.api("GET", "/public/rounds", "", nil, &list); st != 200 || len(list.Items) != 1 {
		t.Fatalf("public rounds: %d, %d rounds; want one\n%s", st, len(list.Items), s.out)
	}
	r := list.Items[0]
	depts := map[string]bool{}
	for _, e := range r.Plans {
		depts[e.LeadDepartment] = true
	}
	if r.State != backend.RoundDrawn || len(depts) < 4 || r.JointVisits == 0 {
		t.Fatalf("demo round %s: state %s, %d departments, %d joint visits", r.ID, r.State, len(depts), r.JointVisits)
	}
	// The demo's review queue: tasks of the first plan submitted with
	// their photos uploaded, so that a reviewer on first start has work.
	var rev struct{ AccessToken string }
	if st := s.api("POST", "/api/v1/auth/login", "", map[string]string{"username": "scjg.reviewer", "password": demo.DemoPassword("scjg.reviewer")}, &rev); st != 200 {
		t.Fatalf("reviewer login: %d", st)
	}
	var queue struct {
		Items []struct {
			TaskID                            string
			EvidenceDeclared, EvidenceArrived int
		}
	}
	if st := s.api("GET", "/api/v1/reviews?limit=50", rev.AccessToken, nil, &queue); st != 200 || len(queue.Items) == 0 {
		t.Fatalf("review queue: %d, %d tasks; want the demo's\n%s", st, len(queue.Items), s.out)
	}
	for _, q := range queue.Items {
		if q.EvidenceDeclared == 0 || q.EvidenceArrived != q.EvidenceDeclared {
			t.Errorf("queued task %s: %d of %d photos arrived, want all of at least one", q.TaskID, q.EvidenceArrived, q.EvidenceDeclared)
		}
	}
	url := "http://" + s.addr + "/public/rounds/" + r.ID
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"draw", "verify", url}, &out, &errb); err != nil {
		t.Fatalf("draw verify %s: %v\n%s", url, err, out.String())
	}
	want := fmt.Sprintf("round record verifies: fc-draw-2 round %s, %d plans, %d visits of which %d joint", r.ID, len(r.Plans), r.Visits, r.JointVisits)
	if !strings.Contains(out.String(), want) {
		t.Fatalf("draw verify said %q, want %q", out.String(), want)
	}

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	// One byte of the first visit's PRN changed.
	i := bytes.Index(data, []byte(`"visits":[{"id":`))
	j := i + bytes.Index(data[i:], []byte(`"prn":"`)) + len(`"prn":"`)
	if i < 0 || j < i {
		t.Fatalf("no visit in the record")
	}
	tampered := bytes.Clone(data)
	if tampered[j] == '0' {
		tampered[j] = '1'
	} else {
		tampered[j] = '0'
	}
	file := filepath.Join(t.TempDir(), "round.json")
	if err := os.WriteFile(file, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(context.Background(), []string{"draw", "verify", file}, &out, &errb)
	if exitCode(err) != 1 || !strings.Contains(out.String(), "visits[0].prn") {
		t.Fatalf("tampered record: exit %d, %q; want exit 1 naming visits[0].prn", exitCode(err), out.String())
	}
}
