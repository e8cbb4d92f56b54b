package draw

import "github.com/fieldcheck/fieldcheck/backend"

// Exclusion reason codes of a candidate. An empty code means eligible.
const (
	ExcludedInactive  = "inactive"   // not in business (closed, deregistered, revoked)
	ExcludedWhitelist = "whitelist"  // on the whitelist: no proactive on-site check
	ExcludedAnnualCap = "annual-cap" // already drawn this calendar year for one of the plan's items
	ExcludedOperator  = "operator"   // excluded by hand before the draw; the note says why
	// ExcludedVisitCap: the enterprise has had as many on-site random
	// visits this year, across all departments, as its cap allows.
	ExcludedVisitCap = "visit-cap"
)

// ReasonTooFewInspectors is the unassignedReason of a target for which fewer
// than two inspectors were eligible.
const ReasonTooFewInspectors = "too-few-inspectors"

// Rule is how many targets a stratum yields: exactly one of Count or RatioBp.
type Rule struct {
	Count   *int `json:"count,omitempty"`   // n = min(Count, N)
	RatioBp *int `json:"ratioBp,omitempty"` // n = ceil(RatioBp × N / 10000), 0..10000
}

// CountRule returns a rule that draws min(n, N) targets.
func CountRule(n int) Rule { return Rule{Count: &n} }

// RatioRule returns a rule that draws ceil(bp × N / 10000) targets.
func RatioRule(bp int) Rule { return Rule{RatioBp: &bp} }

// Candidate is one target of the population: a target matching the plan's
// filter, in its stratum, with the reason it is excluded ("" when eligible).
type Candidate struct {
	ID       string `json:"id"`
	Stratum  string `json:"stratum"`
	Excluded string `json:"excluded,omitempty"`
	Note     string `json:"note,omitempty"`
	// Tags, in a round's record (fc-draw-2) only, are the target's tags
	// among those its plan targets (RoundPlan.Tags), in byte order.
	Tags []string `json:"tags,omitempty"`
}

// Period is an inclusive range of calendar days (YYYY-MM-DD).
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Inspector is an entry of the inspector pool snapshot: the facts that decide
// eligibility, and no names.
type Inspector struct {
	ID           string   `json:"id"`
	DepartmentID string   `json:"departmentId"`
	CertExpiry   string   `json:"certExpiry"` // last day the certificate is valid
	Leave        []Period `json:"leave,omitempty"`
	Conflicts    []string `json:"conflicts,omitempty"` // target ids with a declared conflict of interest
	OpenTasks    int      `json:"openTasks"`           // tasks open before this draw
	TaskCap      int      `json:"taskCap"`             // most open tasks at once; 0 = no cap
}

// Input is everything a draw depends on.
type Input struct {
	Algorithm     string `json:"algorithm"` // must be Algorithm
	PlanID        string `json:"planId"`
	PlanVersion   int    `json:"planVersion"`
	Commitment    string `json:"commitment"` // published with the plan
	Secret        string `json:"secret"`     // 64 lower-case hex digits
	PublicEntropy string `json:"publicEntropy"`
	// EntropySource, when set, is the source declared with the plan
	// version: PublicEntropy must then be its Text for a value in canonical
	// form, and DrawDate not before the day its result was published.
	EntropySource *backend.EntropySource `json:"entropySource,omitempty"`
	DrawDate      string                 `json:"drawDate"` // YYYY-MM-DD: the day certificates and leave are judged on
	TeamSize      int                    `json:"teamSize"`
	Departments   []string               `json:"departments"` // participating departments; joint when more than one
	Strata        map[string]Rule        `json:"strata"`
	Default       *Rule                  `json:"default,omitempty"` // rule of strata not named in Strata
	Population    []Candidate            `json:"population"`
	Inspectors    []Inspector            `json:"inspectors"`
}

// Record is the public draw record: the inputs and the outcome, enough for
// anyone to redo the draw (see Verify). Its JSON form is specified in the
// package documentation.
type Record struct {
	Algorithm     string `json:"algorithm"`
	PlanID        string `json:"planId"`
	PlanVersion   int    `json:"planVersion"`
	Commitment    string `json:"commitment"`
	Secret        string `json:"secret"`
	PublicEntropy string `json:"publicEntropy"`
	// EntropySource is absent from records drawn before sources were
	// declared; they verify as before.
	EntropySource *backend.EntropySource `json:"entropySource,omitempty"`
	Seed          string                 `json:"seed"`
	DrawDate      string                 `json:"drawDate"`
	TeamSize      int                    `json:"teamSize"`
	Departments   []string               `json:"departments"`
	Strata        []Stratum              `json:"strata"`
	Population    []Candidate            `json:"population"`
	Inspectors    []Inspector            `json:"inspectors"`
	Selected      []Selection            `json:"selected"`
	Replacements  []Replacement          `json:"replacements"`
}

// Stratum is the outcome of one stratum: its size, its eligible count N, the
// rule applied and the number n of targets drawn.
type Stratum struct {
	Key        string `json:"key"`
	Population int    `json:"population"`
	Eligible   int    `json:"eligible"`
	Rule
	N int `json:"n"`
}

// Assignment is the team matched to a target.
type Assignment struct {
	Team               []string `json:"team"` // inspector ids in pick order; empty when unassigned
	EligibleInspectors int      `json:"eligibleInspectors"`
	Short              bool     `json:"short,omitempty"` // fewer members than the team size
	Unassigned         bool     `json:"unassigned,omitempty"`
	UnassignedReason   string   `json:"unassignedReason,omitempty"`
}

// Selection is a drawn target.
type Selection struct {
	ID      string `json:"id"`
	Stratum string `json:"stratum"`
	PRN     string `json:"prn"`   // 16 lower-case hex digits
	Order   int    `json:"order"` // visit order, from 1
	Assignment
}

// Replacement records that a drawn target was replaced by the next target of
// its stratum, and the replacement's team.
type Replacement struct {
	Replaced    string `json:"replaced"`
	Replacement string `json:"replacement"`
	Stratum     string `json:"stratum"`
	PRN         string `json:"prn"` // of the replacement
	Reason      string `json:"reason"`
	Assignment
}
