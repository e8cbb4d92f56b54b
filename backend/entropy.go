package backend

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EntropySource names, when a plan version is published, the public random
// event whose result the version's draw will take as its public entropy
// (RFC 3797, "Publicly Verifiable Nominations Committee Random Selection":
// the source and the form of its value are fixed in advance, and the
// result is not known to anyone at that moment). It is one entry of the
// closed table EntropyKinds: a lottery issue drawn on a declared date, or a
// round of a public randomness beacon.
//
// The draw then takes only the value of that event, in the canonical form
// of its kind, and writes the public entropy itself (Text): nobody chooses
// free text, and nobody can try values until one suits them.
type EntropySource struct {
	// Source is the code of an EntropyKind (the enum tag lists them for
	// the OpenAPI document; a test keeps it equal to the table).
	Source string `json:"source" bson:"source" enum:"fc-3d,tc-pl5,fc-ssq,tc-dlt,drand-quicknet"`
	Issue  string `json:"issue,omitempty" bson:"issue,omitempty" doc:"lotteries: the issue number (期号), YYYYNNN for 福彩 (fc-3d, fc-ssq), YYNNN for 体彩 (tc-pl5, tc-dlt)"`
	Date   Date   `json:"date,omitempty" bson:"date,omitempty" doc:"lotteries: the day the issue is drawn, YYYY-MM-DD"`
	Round  int64  `json:"round,omitempty" bson:"round,omitempty" doc:"beacons: the round number"`
}

// MaxEntropyLead is how far after a publication the declared source's
// result may lie: a plan is annual, and a source years ahead is a typo.
const MaxEntropyLead = 366 * 24 * time.Hour

// maxBeaconRound bounds a declared round so that its time never
// overflows; far beyond MaxEntropyLead for every beacon of the table.
const maxBeaconRound = 1_000_000_000_000

// EntropyKind is one supported source of public entropy. A lottery has
// Weekdays (nil for a daily draw), a draw time and issue numbers of
// IssueDigits digits: 7 for 中国福利彩票 (YYYYNNN), 5 for 中国体育彩票
// (YYNNN), the year being the draw date's. A beacon has a genesis time and
// a period: round r is published at Genesis + (r−1)×Period seconds.
type EntropyKind struct {
	Code     string
	Name     string // as written at the start of the public entropy
	Operator string
	Value    string // the canonical written form of a value
	Example  string // a value in that form

	Weekdays     []time.Weekday // lotteries: draw days; nil = every day
	Hour, Minute int            // lotteries: draw time, Asia/Shanghai
	IssueDigits  int            // lotteries: 7 (YYYYNNN) or 5 (YYNNN)

	Genesis, Period int64  // beacons: Unix seconds of round 1, seconds per round
	ChainHash       string // beacons: the chain the rounds belong to

	valid func(value string) bool
}

// Beacon reports whether the kind is a randomness beacon (identified by
// round) rather than a lottery (identified by issue and date).
func (k *EntropyKind) Beacon() bool { return k.Period > 0 }

// FirstRoundFrom returns the first round of a beacon published at t or
// later (0 for a lottery).
func (k *EntropyKind) FirstRoundFrom(t time.Time) int64 {
	if !k.Beacon() {
		return 0
	}
	elapsed := t.Unix() - k.Genesis
	if t.Nanosecond() > 0 {
		elapsed++
	}
	if elapsed <= 0 {
		return 1
	}
	return (elapsed+k.Period-1)/k.Period + 1
}

// Identifier describes how a source of this kind is named.
func (k *EntropyKind) Identifier() string {
	if k.Beacon() {
		return "round: a round number of the beacon"
	}
	if k.IssueDigits == 7 {
		return "issue YYYYNNN (year of the draw date, issue of the year) and date YYYY-MM-DD"
	}
	return "issue YYNNN (last two digits of the draw date's year, issue of the year) and date YYYY-MM-DD"
}

// Schedule describes when a result is published, in Asia/Shanghai.
func (k *EntropyKind) Schedule() string {
	if k.Beacon() {
		return fmt.Sprintf("round r at %d + (r−1)×%d Unix seconds", k.Genesis, k.Period)
	}
	days := "every day"
	if k.Weekdays != nil {
		names := make([]string, len(k.Weekdays))
		for i, d := range k.Weekdays {
			names[i] = d.String()
		}
		days = strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s at %02d:%02d", days, k.Hour, k.Minute)
}

// entropyKinds is the closed table of sources. The lotteries' draw days,
// times and number forms are those of their current rules (2026): 福彩3D
// and 双色球 are drawn at 21:15, 排列五 and 大乐透 at 21:25; a day without
// a draw (the Spring Festival break) cannot be the source of a real draw.
var entropyKinds = []*EntropyKind{
	{Code: "fc-3d", Name: "福彩3D", Operator: "中国福利彩票", Value: "three digits 0-9 separated by single spaces", Example: "5 8 2",
		Hour: 21, Minute: 15, IssueDigits: 7, valid: digits(3)},
	{Code: "tc-pl5", Name: "体彩排列五", Operator: "中国体育彩票", Value: "five digits 0-9 separated by single spaces", Example: "3 0 7 1 9",
		Hour: 21, Minute: 25, IssueDigits: 5, valid: digits(5)},
	{Code: "fc-ssq", Name: "福彩双色球", Operator: "中国福利彩票",
		Value:   "six distinct red balls 01-33 in ascending order, \" + \", the blue ball 01-16 (two digits each, single spaces)",
		Example: "03 09 15 22 28 31 + 07", Weekdays: []time.Weekday{time.Tuesday, time.Thursday, time.Sunday},
		Hour: 21, Minute: 15, IssueDigits: 7, valid: balls(ballGroup{6, 33}, ballGroup{1, 16})},
	{Code: "tc-dlt", Name: "体彩超级大乐透", Operator: "中国体育彩票",
		Value:   "five distinct front balls 01-35 in ascending order, \" + \", two distinct back balls 01-12 in ascending order (two digits each, single spaces)",
		Example: "05 12 19 27 33 + 02 11", Weekdays: []time.Weekday{time.Monday, time.Wednesday, time.Saturday},
		Hour: 21, Minute: 25, IssueDigits: 5, valid: balls(ballGroup{5, 35}, ballGroup{2, 12})},
	{Code: "drand-quicknet", Name: "drand quicknet 随机信标", Operator: "League of Entropy",
		Value:   "the round's randomness: 64 lower-case hex digits",
		Example: "a0c4a9b2a5f1b7e9d1c3f5a7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7",
		Genesis: 1692803367, Period: 3, ChainHash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
		valid: lowerHex(64)},
}

// EntropyKinds returns (copies of) the supported sources, in table order.
func EntropyKinds() []*EntropyKind {
	out := make([]*EntropyKind, len(entropyKinds))
	for i, k := range entropyKinds {
		out[i] = k.clone()
	}
	return out
}

func (k *EntropyKind) clone() *EntropyKind {
	c := *k
	c.Weekdays = slices.Clone(k.Weekdays)
	return &c
}

// LookupEntropyKind returns (a copy of) the kind with the given code.
func LookupEntropyKind(code string) (*EntropyKind, bool) {
	k := lookupKind(code)
	if k == nil {
		return nil, false
	}
	return k.clone(), true
}

func lookupKind(code string) *EntropyKind {
	for _, k := range entropyKinds {
		if k.Code == code {
			return k
		}
	}
	return nil
}

// EntropyCodes lists the codes of the supported sources, for messages.
func EntropyCodes() string {
	codes := make([]string, len(entropyKinds))
	for i, k := range entropyKinds {
		codes[i] = k.Code
	}
	return strings.Join(codes, ", ")
}

// Kind returns the source's kind, or an error when the code is unknown.
func (s *EntropySource) Kind() (*EntropyKind, error) {
	k, ok := LookupEntropyKind(s.Source)
	if !ok {
		return nil, Errorf(EINVALID, "entropy source %q is not supported: use one of %s", s.Source, EntropyCodes())
	}
	return k, nil
}

// Validate checks that the source names one event of its kind in that
// kind's form.
func (s *EntropySource) Validate() error {
	k, err := s.Kind()
	if err != nil {
		return err
	}
	if k.Beacon() {
		if s.Issue != "" || s.Date != "" {
			return Errorf(EINVALID, "entropy source %s is a beacon: name its round, not an issue or a date", k.Code)
		}
		if s.Round < 1 || s.Round > maxBeaconRound {
			return Errorf(EINVALID, "entropy source %s: round %d must be between 1 and %d", k.Code, s.Round, maxBeaconRound)
		}
		return nil
	}
	if s.Round != 0 {
		return Errorf(EINVALID, "entropy source %s is a lottery: name its issue and date, not a round", k.Code)
	}
	day, err := time.Parse(time.DateOnly, string(s.Date))
	if err != nil {
		return Errorf(EINVALID, "entropy source %s: date %q must be the draw day, YYYY-MM-DD", k.Code, s.Date)
	}
	if k.Weekdays != nil && !slices.Contains(k.Weekdays, day.Weekday()) {
		return Errorf(EINVALID, "entropy source %s: %s is a %s, and %s is drawn only %s", k.Code, s.Date, day.Weekday(), k.Name, k.Schedule())
	}
	year := strconv.Itoa(day.Year())
	if k.IssueDigits == 5 {
		year = year[len(year)-2:]
	}
	if len(s.Issue) != k.IssueDigits || !allDigits(s.Issue) || !strings.HasPrefix(s.Issue, year) || s.Issue[len(year):] == "000" {
		return Errorf(EINVALID, "entropy source %s: issue %q must be %d digits, %s followed by the issue of the year (001…)", k.Code, s.Issue, k.IssueDigits, year)
	}
	return nil
}

// ResultAt returns when the source's result becomes public. It assumes a
// valid source.
func (s *EntropySource) ResultAt() time.Time {
	k := lookupKind(s.Source)
	if k == nil {
		return time.Time{}
	}
	if k.Beacon() {
		return time.Unix(k.Genesis+(s.Round-1)*k.Period, 0).In(China)
	}
	day, _ := time.Parse(time.DateOnly, string(s.Date))
	return time.Date(day.Year(), day.Month(), day.Day(), k.Hour, k.Minute, 0, 0, China)
}

// CheckFuture validates a source declared at now: its result must become
// public after now, and at most MaxEntropyLead later.
func (s *EntropySource) CheckFuture(now time.Time) error {
	if err := s.Validate(); err != nil {
		return err
	}
	at := s.ResultAt()
	if !at.After(now) {
		return Errorf(EINVALID, "the result of %s is public since %s: declare a source whose result is still to come", s, FormatChinaTime(at))
	}
	if at.Sub(now) > MaxEntropyLead {
		return Errorf(EINVALID, "the result of %s comes at %s, more than %d days ahead", s, FormatChinaTime(at), MaxEntropyLead/(24*time.Hour))
	}
	return nil
}

// String names the source as the public entropy starts:
// "福彩3D 第2026123期 2026-05-04", "drand quicknet 随机信标 第27946612轮".
func (s *EntropySource) String() string {
	k := lookupKind(s.Source)
	if k == nil {
		return strconv.Quote(s.Source)
	}
	if k.Beacon() {
		return fmt.Sprintf("%s 第%d轮", k.Name, s.Round)
	}
	return fmt.Sprintf("%s 第%s期 %s", k.Name, s.Issue, s.Date)
}

// Text returns the public entropy of the draw: the source's name (String),
// a space and the value, which must be in the canonical form of the
// source's kind.
func (s *EntropySource) Text(value string) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	k, _ := s.Kind()
	if !k.valid(value) {
		return "", Errorf(EINVALID, "value %q is not a result of %s: write %s, e.g. %q", truncate(value, 80), k.Name, k.Value, k.Example)
	}
	return s.String() + " " + value, nil
}

// CheckText reports whether text is exactly the public entropy of this
// source for some value in canonical form: what a draw record must hold.
func (s *EntropySource) CheckText(text string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	value, ok := strings.CutPrefix(text, s.String()+" ")
	if !ok {
		return Errorf(EINVALID, "the public entropy does not start with %q, the declared source", s.String()+" ")
	}
	_, err := s.Text(value)
	return err
}

// FormatChinaTime writes an instant as a wall-clock time of Asia/Shanghai.
func FormatChinaTime(t time.Time) string {
	return t.In(China).Format("2006-01-02 15:04:05") + " (Asia/Shanghai)"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// digits accepts n single decimal digits separated by single spaces.
func digits(n int) func(string) bool {
	return func(v string) bool {
		f := strings.Split(v, " ")
		if len(f) != n {
			return false
		}
		for _, d := range f {
			if len(d) != 1 || !allDigits(d) {
				return false
			}
		}
		return true
	}
}

// ballGroup is one group of a lottery's result: count distinct balls
// numbered 01..max.
type ballGroup struct{ count, max int }

// balls accepts the groups separated by " + ", each its balls as two
// digits in strictly ascending order separated by single spaces.
func balls(groups ...ballGroup) func(string) bool {
	return func(v string) bool {
		parts := strings.Split(v, " + ")
		if len(parts) != len(groups) {
			return false
		}
		for i, g := range groups {
			f := strings.Split(parts[i], " ")
			if len(f) != g.count {
				return false
			}
			last := 0
			for _, b := range f {
				if len(b) != 2 || !allDigits(b) {
					return false
				}
				n := int(b[0]-'0')*10 + int(b[1]-'0')
				if n < 1 || n > g.max || n <= last {
					return false
				}
				last = n
			}
		}
		return true
	}
}

// lowerHex accepts exactly n lower-case hex digits.
func lowerHex(n int) func(string) bool {
	return func(v string) bool {
		if len(v) != n {
			return false
		}
		for i := 0; i < n; i++ {
			if c := v[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
		return true
	}
}
