// Package draw is the random draw engine of fieldcheck: it implements
// algorithm fc-draw-1 (DESIGN.md, "The draw") as a pure, deterministic
// function from a plan's draw inputs to a public draw record, and verifies
// such records. It does no I/O and keeps no state; callers load the plan, the
// target directory and the inspector directory, build an Input, call Run and
// store the Record.
//
// This comment is the normative specification of fc-draw-1 as implemented
// here. Everything below is integers, bytes and UTF-8 strings: no floating
// point, no locale, no map iteration order. "hex" always means lower-case
// hexadecimal. "Byte order" of strings means comparing their UTF-8 bytes
// lexicographically (Go's < on strings, Python's < on bytes). The reference
// implementation in testdata/draw/gen_vectors.py (Python 3 standard library
// only) follows this text independently; the test vectors next to it are its
// output.
//
// # Inputs and their validation
//
// Run rejects bad input with a *backend.Error of code backend.EINVALID. The
// rules:
//
//   - algorithm is exactly "fc-draw-1".
//   - An "identifier" (planId, candidate ids, stratum keys, inspector ids,
//     department ids, conflict target ids) is 1 to 256 bytes of valid UTF-8
//     with no control character (Unicode category Cc: U+0000–U+001F and
//     U+007F–U+009F). In particular no identifier contains "\n", which keeps
//     the HMAC messages below unambiguous.
//   - planVersion >= 1 (recorded; it does not enter the computation).
//   - secret is exactly 64 lower-case hex digits (32 bytes); commitment is
//     exactly 64 lower-case hex digits and equals hex(SHA-256(secret bytes)).
//   - publicEntropy is valid UTF-8 of at most 1000 bytes; it may be empty and
//     may contain any character, newlines included.
//   - entropySource, when present, is the entropy source declared with the
//     plan version (below, "The declared entropy source"); publicEntropy
//     must then be exactly its text for a value in canonical form, and
//     drawDate must not be before the day its result was published.
//   - drawDate is a real calendar day written YYYY-MM-DD. Certificate expiry
//     and leave are judged on this day. Dates are compared as strings, which
//     for this fixed-width form is chronological order.
//   - teamSize >= 2.
//   - departments is non-empty and has no duplicates. The plan is joint when
//     it lists two or more departments; a joint plan needs teamSize >= the
//     number of departments, so that a team can hold one officer of each.
//   - Strata rules: every rule has exactly one of count (>= 0) or ratioBp
//     (0..10000 basis points). strata maps stratum keys to rules; default,
//     when present, is the rule of every stratum of the population that
//     strata does not name. A stratum of the population covered by neither is
//     an error. A count for a key that no candidate of the population has is
//     an error (it promises targets that cannot exist, usually a typo); a
//     ratio for such a key is accepted and recorded as a stratum with
//     population 0 and n 0.
//   - Every candidate has an identifier id and an identifier stratum. excluded
//     is "" (eligible) or one of the exclusion codes "inactive", "whitelist",
//     "annual-cap", "operator", "visit-cap" (the enterprise's cap of on-site
//     random visits this year across departments, added with fc-draw-2; it
//     excludes like the others). note is valid UTF-8 of at most 1000 bytes;
//     "operator" requires a non-empty note. A note on an eligible candidate
//     is an error. Candidate ids are unique.
//   - Every inspector has identifier id and departmentId, a valid certExpiry
//     date, leave periods with valid from <= to (inclusive days), identifier
//     conflicts (target ids), openTasks >= 0 and taskCap >= 0 (0 = no cap).
//     Inspector ids are unique.
//
// Exclusions are inputs, decided from directory state before the draw, and
// are recorded with the population; an excluded candidate is never selected
// and never a replacement.
//
// # Step 1–2: commitment and seed
//
//	commitment = hex(SHA-256(secret))
//	seed       = SHA-256("fc-draw-1\n" + hex(secret) + "\n" + publicEntropy + "\n" + planId)
//
// where hex(secret) is the lower-case secret exactly as recorded. Because
// hex(secret) has a fixed length and planId contains no "\n", the string is
// decoded uniquely even when publicEntropy contains newlines.
//
// # The declared entropy source
//
// Since issue 12 every plan version declares, when it is published, the
// public random event its draw takes as publicEntropy (RFC 3797): one of a
// closed table (backend.EntropyKinds), named by
//
//	{"source": code, "issue": "...", "date": "YYYY-MM-DD"}   a lottery issue and its draw day
//	{"source": code, "round": r}                             a beacon round
//
// and the record repeats it as "entropySource". The public entropy is then
// not typed by anyone but written from the source and the value:
//
//	lottery: publicEntropy = name + " 第" + issue + "期 " + date + " " + value
//	beacon:  publicEntropy = name + " 第" + decimal(round) + "轮 " + value
//
// for example "福彩3D 第2026124期 2026-05-04 5 8 2". The value must be in
// the canonical form of its source, byte for byte:
//
//	fc-3d           福彩3D                  three digits 0-9 separated by single spaces: "5 8 2"
//	tc-pl5          体彩排列五              five digits 0-9 separated by single spaces: "3 0 7 1 9"
//	fc-ssq          福彩双色球              six distinct two-digit red balls 01-33 ascending, " + ",
//	                                        the blue ball 01-16: "03 09 15 22 28 31 + 07"
//	tc-dlt          体彩超级大乐透          five distinct two-digit front balls 01-35 ascending, " + ",
//	                                        two distinct back balls 01-12 ascending: "05 12 19 27 33 + 02 11"
//	drand-quicknet  drand quicknet 随机信标  the round's randomness, 64 lower-case hex digits
//
// A lottery's issue is YYYYNNN (中国福利彩票: fc-3d, fc-ssq) or YYNNN (中国
// 体育彩票: tc-pl5, tc-dlt), the year being the draw date's and NNN not 000;
// fc-ssq is drawn only on Tuesdays, Thursdays and Sundays, tc-dlt only on
// Mondays, Wednesdays and Saturdays. Its result is published on the draw
// date at 21:15 (fc-3d, fc-ssq) or 21:25 (tc-pl5, tc-dlt), Asia/Shanghai
// (UTC+8). drand quicknet round r (r >= 1) is published at Unix time
// 1692803367 + 3 × (r − 1). drawDate must not be before the result's day in
// Asia/Shanghai.
//
// The seed formula does not change: a record without entropySource (drawn
// before sources were declared) verifies exactly as before, its public
// entropy being free text.
//
// # Step 3: PRN of a target
//
//	PRN(id) = uint64 big-endian of HMAC-SHA256(key = seed (32 bytes), msg = "target\n" + id)[0:8]
//
// The record writes a PRN as the 16 lower-case hex digits of those 8 bytes
// (for example "00a3f1c2d4e5b6a7"), not as a JSON number: JSON numbers above
// 2^53 lose precision in JavaScript, and the hex string is exactly the first
// 16 hex digits of the HMAC that any HMAC tool prints. Fixed-width hex strings
// sort in the same order as the numbers.
//
// # Step 4–6: strata and selection
//
// For each stratum key s (each key of the population, plus ratio-only rule
// keys that no candidate has):
//
//	population(s) = number of candidates with stratum s (excluded ones included)
//	N(s)          = number of those that are not excluded ("eligible")
//	n(s)          = min(count, N)                    when the rule is a count
//	n(s)          = (ratioBp × N + 9999) / 10000     when the rule is ratioBp
//	                (integer division: ceil(ratioBp × N / 10000))
//
// The eligible candidates of stratum s, ordered by (PRN ascending, id
// ascending in byte order), are its draw order; the first n(s) are selected.
// (Two distinct ids have the same PRN with probability about 2^-64; the id
// breaks such a tie.)
//
// # Step 7: visit order and teams
//
// Visit order: all selected targets ordered by (PRN, id); order is 1-based.
// Teams are assigned one target at a time in visit order. Each inspector has a
// counter used(i), the number of teams of this draw they have been put on,
// starting at 0.
//
// An inspector i is eligible for target t when all hold:
//
//	departmentId(i) is one of the plan's departments
//	certExpiry(i) >= drawDate                       (valid on the draw day itself)
//	no leave period of i has from <= drawDate <= to
//	t is not in conflicts(i)
//	taskCap(i) == 0  or  openTasks(i) + used(i) < taskCap(i)
//
// For every eligible inspector:
//
//	key(t, i) = uint64 big-endian of HMAC-SHA256(seed, "inspector\n" + t + "\n" + i)[0:8]
//
// and inspectors are ranked by (key ascending, inspector id ascending in byte
// order). Let E be the number of eligible inspectors.
//
//   - E < 2: the target stays in the record with "team": [],
//     "unassigned": true and "unassignedReason": "too-few-inspectors". It is
//     never dropped and uses no inspector's cap.
//   - Otherwise the team has size m = min(teamSize, E) and is built as
//     follows. A joint plan first takes, for each participating department
//     in byte order of department id, the best-ranked eligible inspector of
//     that department (a department with none is skipped). Then, for every
//     plan, the best-ranked eligible inspectors not yet on the team are added
//     until the team has m members. The "team" array lists the members in
//     exactly this order (department representatives first, then the fill).
//     When m < teamSize the target is marked "short": true.
//   - Every member's used(i) increases by 1 before the next target.
//
// Every selected target records "eligibleInspectors": E as computed for it.
// Keys are computed only for selected targets (and replacements), never for
// the whole population.
//
// # Replacement
//
// When a drawn target proves closed or unreachable, Replace records a
// replacement. The "active" targets of a record are its selected targets and
// replacements that have not themselves been replaced; only an active target
// can be replaced, once. Replacements are applied in record order; for the
// k-th one:
//
//   - the replacement is the first candidate, in the draw order of the
//     replaced target's stratum, that is neither selected nor already a
//     replacement; when there is none, the stratum is exhausted and
//     Replace fails;
//   - used(i) is recounted from the teams of all active targets except the
//     one being replaced (its task is cancelled, so its team is freed), and
//     the replacement's team is built by the rules of step 7 for the
//     replacement's id;
//   - the record appends {"replaced", "replacement", "stratum", "prn" (of
//     the replacement), "reason", "team", "eligibleInspectors", "short"?,
//     "unassigned"?, "unassignedReason"?}; a replacement has no visit order
//     of its own. reason is non-empty valid UTF-8 of at most 1000 bytes,
//     free text given by the operator.
//
// Reassign re-matches the team of one active target when some of its people
// become unavailable: used(i) is recounted from all active targets except
// that one, the unavailable inspectors are not eligible, and the team is
// rebuilt by step 7. It returns the new team and does not change the record.
//
// # The record (JSON, public)
//
//	{
//	  "algorithm": "fc-draw-1", "planId": "...", "planVersion": 1,
//	  "commitment": "<64 hex>", "secret": "<64 hex>", "publicEntropy": "...",
//	  "entropySource"?: {"source", "issue"?, "date"?, "round"?},
//	  "seed": "<64 hex>", "drawDate": "YYYY-MM-DD", "teamSize": 2,
//	  "departments": ["..."],                   // as given
//	  "strata": [{"key", "population", "eligible", "count" | "ratioBp", "n"}],
//	                                            // by key in byte order; the rule
//	                                            // actually applied (default expanded)
//	  "population": [{"id", "stratum", "excluded"?, "note"?}],   // as given
//	  "inspectors": [{"id", "departmentId", "certExpiry", "leave"?: [{"from","to"}],
//	                  "conflicts"?: ["targetId"], "openTasks", "taskCap"}],  // as given
//	  "selected": [{"id", "stratum", "prn", "order", "team": ["inspectorId"],
//	                "eligibleInspectors", "short"?, "unassigned"?, "unassignedReason"?}],
//	                                            // in visit order
//	  "replacements": [ ... as above ... ]      // [] until a replacement happens
//	}
//
// Keys marked "?" are omitted when empty or false. The inspector snapshot
// holds no names: ids, departments and the facts that decide eligibility.
// Callers should pass only leave periods around the draw date and conflicts
// with targets of the population, since the record is public.
//
// Verify recomputes steps 2–7 and every replacement from the record's own
// inputs (secret, publicEntropy, planId, drawDate, teamSize, departments, the
// strata rules, population and inspectors) and lists every recorded value
// that differs from the recomputed one; when the record carries
// entropySource, it also reports a publicEntropy that is not that source's
// text for a well-formed value, and a drawDate before the result's day. It
// cannot tell whether the value is the event's real result: anyone can look
// that up.
//
// # Performance
//
// Run computes one HMAC per candidate (excluded ones too: their PRNs order
// the global sort that also brings duplicate ids together) and one per
// (selected target, inspector eligible by department, certificate and leave)
// pair; both are spread over GOMAXPROCS goroutines, and the global sort
// buckets by the PRN's top bits and sorts the buckets in parallel. No
// result depends on how the work is split. There is no allocation per
// candidate; the record shares the input's population slice instead of
// copying it.
package draw
