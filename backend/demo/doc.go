// Package demo generates and seeds a demo county for "fieldcheck demo": a
// realistic, deterministic target directory, inspector and expert
// directories, item list with checklist templates, departments and logins,
// so that every screen of the system has something true-to-life to show.
//
// # The county
//
// The demo county is 福建省三明市三元区 (administrative division code
// 350404), the district formed in 2021 by merging the former 梅列区 (350402)
// and 三元区 (350403). Its twelve townships are real: 列东, 列西, 徐碧, 城关,
// 白沙, 富兴堡 and 荆西 街道, 陈大, 洋溪, 莘口 and 岩前 镇 and 中村乡. Street
// names, villages, businesses and people are invented; township centres are
// approximate. Every target carries region code 350404 (the six-digit code
// is the finest the directory keeps); the township shows in the address and
// the location is scattered around the township's centre.
//
// Market entities carry unified social credit codes (GB 32100-2015) whose
// positions 3-8 name the authority that registered them: entities
// registered before the 2021 merger carry the code of the former district
// of their township (350402 or 350403), later ones 350404, and a few larger
// companies 350400 (三明市). Positions 9-17 are an organisation code with
// its own GB 11714 check character: "MA…" for codes issued since the 2015
// reform, eight digits for older enterprises converted from their
// organisation code, "L…" for older individual businesses.
//
// # Determinism
//
// Generate is a pure function of its seed: the same seed gives the same
// county, field for field, so documentation and tests may name real ids
// (the first target of DefaultSeed, the inspector ins-scjg-001, the item
// SCJG-03 …). The as-of day only moves dates (certificate expiry, leave),
// never ids or names: GenerateAt(seed, n, today) gives the same directory
// with dates that stay current, which is what the demo command wants.
//
// # Contents
//
// With DefaultTargets: 5,000 market entities (about 60 % individual
// businesses, 36 % enterprises, 2 % cooperatives; retail and catering
// dominate) plus eight products, projects and behaviours
// (product-2026-001 … behaviour-2026-002); six departments (scjg 市场监督
// 管理局, wsjk 卫生健康委员会, yjgl 应急管理局, sthj 生态环境局, zjj 住房和
// 城乡建设局, nync 农业农村局); 60 inspectors ins-<dept>-NNN, 24 of them in
// market supervision, with a few expired or expiring certificates, leaves,
// declared conflicts and one inactive officer; ten experts exp-01 … exp-10;
// 30 items SCJG-01 … NYNC-04, each with a version-1 checklist template.
//
// # Logins
//
// Every demo user's password is "demo-" followed by the username (admin
// logs in with demo-admin, scjg.manager with demo-scjg.manager). They are
// demo credentials, printed by the demo command and documented here on
// purpose; County.Logins lists them.
//
//	admin                               administrator
//	scjg.manager … nync.manager         manager of each department
//	scjg.reviewer, yjgl.reviewer        reviewers
//	scjg.inspector1 … scjg.inspector3   inspectors ins-scjg-001 … 003
//	<dept>.inspector1, .inspector2      inspectors ins-<dept>-001, 002
//
// The inspectors with a login hold valid certificates, take no leave and
// declare no conflict, so that a team of two can always be drawn from them.
//
// # Seeding
//
// Seed writes a county into an empty store and refuses (ECONFLICT) when
// IsEmpty reports existing data, so running the demo command twice against
// the same data directory keeps the first county and never mixes two.
// A seed that fails half-way leaves a partial county behind, which a second
// Seed also refuses: start again from an empty data directory.
//
// # The coordination round
//
// The demo command also draws a coordination round (DrawRound, fc-draw-2)
// of RoundPlans, five plans of five departments (scjg, wsjk, yjgl, zjj,
// sthj) whose tag filters overlap, opened and registered before the
// synthetic source's result, as the administrator and the managers would:
// its record is public at /public/rounds/{id} on first start.
//
// # At scale
//
// Scale (fieldcheck demo --tasks N) gives the county field work of a size
// that shows what the store costs: one officer with a login per
// ScaleTasksPerOfficer tasks (scjg.field001 …, added before the first
// draw), plans drawn until N tasks exist, and ScaleSubmittedPercent of N
// worked to submission and ScaleAcceptedPercent to acceptance through the
// sync service's push, as the teams' phones would (two check-ins with the
// enterprise's signed code, every answer, the required photos declared, a
// result). docs/benchmarks.md measures on it.
package demo
