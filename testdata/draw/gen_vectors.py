#!/usr/bin/env python3
"""Reference implementation of fc-draw-1 and generator of the draw test vectors.

This script implements the draw from its specification (backend/draw/doc.go,
DESIGN.md "The draw") independently of the Go code, using only the Python 3
standard library, and writes one JSON file per vector next to itself:

    {"name", "description",
     "input":    the draw.Input (JSON),
     "replace":  [{"target", "reason"}]                 applied in order after the draw,
     "reassign": [{"target", "unavailable", "expected"}] applied to the final record,
     "expected": the complete draw record after the replacements}

The Go tests (backend/draw) run the inputs through draw.Run, draw.Replace and
draw.Reassign and compare with these files. Run it again after changing a
vector: python3 testdata/draw/gen_vectors.py

It also implements the entropy sources a plan version declares (the table of
backend/entropy.go, docs/draw.md): the public entropy written from a source
and a value, and the checks of a record that carries "entropySource". It
writes entropy/values.json, cases of (source, value) with the public entropy
or a refusal, which the Go tests (backend) compare with EntropySource.Text.

And it implements the coordinated rounds of fc-draw-2 (docs/draw2.md),
replacements of a plan's part of a visit included, and writes rounds/*.json,
{"name", "description", "input": the draw.RoundInput, "replace"?: [{"plan",
"target", "reason"}] applied in order after the draw, "expected": the round
record}, which the Go tests compare with draw.RunRound, draw.ReplaceInRound
and draw.VerifyRound. `python3 gen_vectors.py verify RECORD.json` redoes a
published round record, its replacements included.
"""

import datetime
import hashlib
import hmac
import json
import os
import re

ALGORITHM = "fc-draw-1"
HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- algorithm


def b(s):
    """Strings compare as UTF-8 bytes."""
    return s.encode("utf-8")


def commitment(secret_hex):
    return hashlib.sha256(bytes.fromhex(secret_hex)).hexdigest()


def seed_of(inp):
    msg = ALGORITHM + "\n" + inp["secret"] + "\n" + inp["publicEntropy"] + "\n" + inp["planId"]
    return hashlib.sha256(b(msg)).digest()


def mac64(seed, msg):
    return int.from_bytes(hmac.new(seed, b(msg), hashlib.sha256).digest()[:8], "big")


def prn(seed, target_id):
    return mac64(seed, "target\n" + target_id)


def inspector_key(seed, target_id, inspector_id):
    return mac64(seed, "inspector\n" + target_id + "\n" + inspector_id)


def hex16(v):
    return "%016x" % v


class Draw:
    """The state of one draw: its inputs, the seed and the per-stratum orders."""

    def __init__(self, inp):
        self.inp = inp
        self.seed = seed_of(inp)
        self.depts = sorted(set(inp["departments"]), key=b)
        self.joint = len(self.depts) > 1
        pop = inp["population"]
        keys = {c["stratum"] for c in pop} | set(inp["strata"])
        self.strata = []
        self.order = {}  # stratum key -> eligible candidates in draw order
        for key in sorted(keys, key=b):
            rule = inp["strata"].get(key, inp.get("default"))
            members = [c for c in pop if c["stratum"] == key]
            eligible = [c for c in members if not c.get("excluded")]
            big_n = len(eligible)
            entry = {"key": key, "population": len(members), "eligible": big_n}
            if "count" in rule:
                entry["count"] = rule["count"]
                n = min(rule["count"], big_n)
            else:
                entry["ratioBp"] = rule["ratioBp"]
                n = (rule["ratioBp"] * big_n + 9999) // 10000
            entry["n"] = n
            self.strata.append(entry)
            self.order[key] = sorted(eligible, key=lambda c: (prn(self.seed, c["id"]), b(c["id"])))

    def eligible(self, target, used, unavailable):
        day = self.inp["drawDate"]
        out = []
        for i in self.inp["inspectors"]:
            if i["departmentId"] not in self.depts:
                continue
            if i["certExpiry"] < day:
                continue
            if any(p["from"] <= day <= p["to"] for p in i.get("leave", [])):
                continue
            if target in i.get("conflicts", []):
                continue
            if i["id"] in unavailable:
                continue
            if i["taskCap"] > 0 and i["openTasks"] + used.get(i["id"], 0) >= i["taskCap"]:
                continue
            out.append(i)
        out.sort(key=lambda i: (inspector_key(self.seed, target, i["id"]), b(i["id"])))
        return out

    def team(self, target, used, unavailable=()):
        """Step 7 for one target; updates used."""
        ranked = self.eligible(target, used, set(unavailable))
        if len(ranked) < 2:
            return {"team": [], "eligibleInspectors": len(ranked), "unassigned": True,
                    "unassignedReason": "too-few-inspectors"}
        size = min(self.inp["teamSize"], len(ranked))
        team = []
        if self.joint:
            for d in self.depts:
                for i in ranked:
                    if i["departmentId"] == d:
                        team.append(i["id"])
                        break
        for i in ranked:
            if len(team) == size:
                break
            if i["id"] not in team:
                team.append(i["id"])
        for t in team:
            used[t] = used.get(t, 0) + 1
        a = {"team": team, "eligibleInspectors": len(ranked)}
        if size < self.inp["teamSize"]:
            a["short"] = True
        return a

    def run(self):
        inp = self.inp
        selected = []
        for s in self.strata:
            selected += self.order[s["key"]][: s["n"]]
        selected.sort(key=lambda c: (prn(self.seed, c["id"]), b(c["id"])))
        used = {}
        out = []
        for k, c in enumerate(selected):
            entry = {"id": c["id"], "stratum": c["stratum"], "prn": hex16(prn(self.seed, c["id"])), "order": k + 1}
            entry.update(self.team(c["id"], used))
            out.append(entry)
        return {
            "algorithm": ALGORITHM,
            "planId": inp["planId"],
            "planVersion": inp["planVersion"],
            "commitment": inp["commitment"],
            "secret": inp["secret"],
            "publicEntropy": inp["publicEntropy"],
            "seed": self.seed.hex(),
            "drawDate": inp["drawDate"],
            "teamSize": inp["teamSize"],
            "departments": list(inp["departments"]),
            "strata": self.strata,
            "population": [candidate_json(c) for c in inp["population"]],
            "inspectors": [inspector_json(i) for i in inp["inspectors"]],
            "selected": out,
            "replacements": [],
        }

    @staticmethod
    def active_use(rec, except_id):
        replaced = {r["replaced"] for r in rec["replacements"]}
        used = {}
        teams = [(s["id"], s["team"]) for s in rec["selected"]]
        teams += [(r["replacement"], r["team"]) for r in rec["replacements"]]
        for tid, team in teams:
            if tid == except_id or tid in replaced:
                continue
            for i in team:
                used[i] = used.get(i, 0) + 1
        return used

    def replace(self, rec, target, reason):
        replaced = {r["replaced"] for r in rec["replacements"]}
        assert target not in replaced, target
        stratum = None
        for s in rec["selected"]:
            if s["id"] == target:
                stratum = s["stratum"]
        for r in rec["replacements"]:
            if r["replacement"] == target:
                stratum = r["stratum"]
        assert stratum is not None, target
        taken = {s["id"] for s in rec["selected"]} | {r["replacement"] for r in rec["replacements"]}
        nxt = next(c for c in self.order[stratum] if c["id"] not in taken)
        used = self.active_use(rec, target)
        r = {"replaced": target, "replacement": nxt["id"], "stratum": stratum,
             "prn": hex16(prn(self.seed, nxt["id"])), "reason": reason}
        r.update(self.team(nxt["id"], used))
        rec["replacements"].append(r)

    def reassign(self, rec, target, unavailable):
        replaced = {r["replaced"] for r in rec["replacements"]}
        drawn = {s["id"] for s in rec["selected"]} | {r["replacement"] for r in rec["replacements"]}
        assert target in drawn and target not in replaced, target
        used = self.active_use(rec, target)
        return self.team(target, used, unavailable)


def candidate_json(c):
    out = {"id": c["id"], "stratum": c["stratum"]}
    if c.get("excluded"):
        out["excluded"] = c["excluded"]
    if c.get("note"):
        out["note"] = c["note"]
    if c.get("tags"):
        out["tags"] = list(c["tags"])
    return out


def inspector_json(i):
    out = {"id": i["id"], "departmentId": i["departmentId"], "certExpiry": i["certExpiry"]}
    if i.get("leave"):
        out["leave"] = [{"from": p["from"], "to": p["to"]} for p in i["leave"]]
    if i.get("conflicts"):
        out["conflicts"] = list(i["conflicts"])
    out["openTasks"] = i["openTasks"]
    out["taskCap"] = i["taskCap"]
    return out


# ---------------------------------------------------------------- vectors


def secret_for(name):
    return hashlib.sha256(b("fieldcheck test vector secret: " + name)).hexdigest()


def base_input(name, plan_id, entropy, draw_date, team_size, departments, strata, population, inspectors, default=None):
    secret = secret_for(name)
    inp = {
        "algorithm": ALGORITHM,
        "planId": plan_id,
        "planVersion": 1,
        "commitment": commitment(secret),
        "secret": secret,
        "publicEntropy": entropy,
        "drawDate": draw_date,
        "teamSize": team_size,
        "departments": departments,
        "strata": strata,
        "population": [candidate_json(c) for c in population],
        "inspectors": [inspector_json(i) for i in inspectors],
    }
    if default is not None:
        inp["default"] = default
    return inp


def insp(id, dept, expiry="2027-12-31", leave=None, conflicts=None, open_tasks=0, cap=0):
    return {"id": id, "departmentId": dept, "certExpiry": expiry, "leave": leave or [],
            "conflicts": conflicts or [], "openTasks": open_tasks, "taskCap": cap}


def uscc(i):
    return "91330100%09dX" % i


def vector_single():
    """One department, three strata (count and ratio), every exclusion code,
    inspectors from a non-participating department, an expired certificate,
    a certificate expiring on the draw day, a leave, a conflict and a cap."""
    pop = []
    for i in range(1, 25):
        stratum = "A" if i <= 10 else ("B" if i <= 18 else "C")
        pop.append({"id": uscc(i), "stratum": stratum})
    pop[1]["excluded"] = "inactive"
    pop[4]["excluded"] = "whitelist"
    pop[11]["excluded"] = "annual-cap"
    pop[20]["excluded"] = "operator"
    pop[20]["note"] = "正在停业整顿，经分管局长批准本次不纳入"
    inspectors = [
        insp("amr-01", "amr"),
        insp("amr-02", "amr", conflicts=[uscc(i) for i in range(13, 19)]),
        insp("amr-03", "amr", expiry="2025-03-19"),
        insp("amr-04", "amr", expiry="2025-03-20"),
        insp("amr-05", "amr", leave=[{"from": "2025-03-18", "to": "2025-03-22"}]),
        insp("amr-06", "amr", open_tasks=2, cap=3),
        insp("amr-07", "amr", leave=[{"from": "2025-01-02", "to": "2025-01-10"}], open_tasks=1, cap=4),
        insp("hc-01", "health"),
        insp("hc-02", "health"),
    ]
    inp = base_input(
        "single-department", "plan-2025-amr-food-01", "福彩3D 2025068期 开奖号码 4 7 1", "2025-03-20", 2, ["amr"],
        {"A": {"ratioBp": 2000}, "B": {"count": 3}, "C": {"ratioBp": 5000}}, pop, inspectors)
    d = Draw(inp)
    rec = d.run()
    b_targets = [s["id"] for s in rec["selected"] if s["stratum"] == "B"]
    assert any("amr-02" not in s["team"] for s in rec["selected"] if s["stratum"] == "B"), "conflict not exercised"
    replace = [{"target": b_targets[0], "reason": "通过登记的住所（经营场所）无法联系"}]
    d.replace(rec, replace[0]["target"], replace[0]["reason"])
    second = rec["replacements"][0]["replacement"]
    replace.append({"target": second, "reason": "已关闭停业"})
    d.replace(rec, second, "已关闭停业")
    replaced = {r["replaced"] for r in rec["replacements"]}
    first = next(s for s in rec["selected"] if s["id"] not in replaced)
    reassign = [{"target": first["id"], "unavailable": [first["team"][0]]},
                {"target": rec["selected"][-1]["id"], "unavailable": []},
                {"target": rec["replacements"][1]["replacement"], "unavailable": ["amr-01", "amr-04"]}]
    for r in reassign:
        r["expected"] = d.reassign(rec, r["target"], r["unavailable"])
    return "single-department", __doc_of(vector_single), inp, replace, reassign, rec


def vector_joint():
    """A joint plan of three departments with a default ratio: each team takes
    the best-keyed officer of every department first; a department whose
    officers run out (caps) is skipped."""
    pop = []
    classes = "AABBBBCCCD"
    for i in range(1, 37):
        pop.append({"id": uscc(1000 + i), "stratum": classes[i % len(classes)]})
    pop[0]["excluded"] = "inactive"
    pop[5]["excluded"] = "whitelist"
    pop[9]["excluded"] = "annual-cap"
    pop[13]["excluded"] = "operator"
    pop[13]["note"] = "投诉举报正在立案调查，避免重复检查"
    inspectors = [
        insp("amr-01", "amr"),
        insp("amr-02", "amr", open_tasks=5, cap=8),
        insp("amr-03", "amr", conflicts=[uscc(1000 + i) for i in range(1, 37, 3)]),
        insp("amr-04", "amr", leave=[{"from": "2025-06-01", "to": "2025-06-30"}]),
        insp("fire-01", "fire", open_tasks=1, cap=3),
        insp("fire-02", "fire", expiry="2025-05-31"),
        insp("fire-03", "fire", cap=2),
        insp("health-01", "health"),
        insp("health-02", "health", leave=[{"from": "2025-06-10", "to": "2025-06-10"}]),
        insp("health-03", "health", cap=5),
    ]
    inp = base_input(
        "joint-plan", "plan-2025-joint-03", "", "2025-06-10", 3, ["health", "amr", "fire"],
        {"A": {"ratioBp": 500}, "D": {"count": 4}}, pop, inspectors, default={"ratioBp": 3000})
    d = Draw(inp)
    rec = d.run()
    first = rec["selected"][0]
    depts = {i["id"]: i["departmentId"] for i in inspectors}
    assert sorted(depts[m] for m in first["team"]) == ["amr", "fire", "health"], first
    assert any(sorted(set(depts[m] for m in s["team"])) == ["amr", "health"] for s in rec["selected"]), "fire never ran out"
    spare = {s["key"] for s in rec["strata"] if s["n"] < s["eligible"]}
    replace = [{"target": [s for s in rec["selected"] if s["stratum"] in spare][-1]["id"], "reason": "已注销"}]
    for r in replace:
        d.replace(rec, r["target"], r["reason"])
    health = [m for m in first["team"] if depts[m] == "health"]
    reassign = [
        {"target": first["id"], "unavailable": health},
        {"target": rec["selected"][1]["id"], "unavailable": []},
    ]
    for r in reassign:
        r["expected"] = d.reassign(rec, r["target"], r["unavailable"])
    return "joint-plan", __doc_of(vector_joint), inp, replace, reassign, rec


def vector_scarce():
    """Too few inspectors: full teams first, then short teams, then unassigned
    targets as caps run out. Non-ASCII stratum keys and ids (byte order), an
    entropy with a newline, a ratio for a stratum with no candidate and a
    count for a stratum whose candidates are all excluded."""
    pop = [
        {"id": "餐饮-杭州-001", "stratum": "餐饮"},
        {"id": "餐饮-杭州-002", "stratum": "餐饮"},
        {"id": "餐饮-杭州-003", "stratum": "餐饮"},
        {"id": "餐饮-杭州-004", "stratum": "餐饮", "excluded": "whitelist"},
        {"id": "餐饮-杭州-005", "stratum": "餐饮"},
        {"id": "餐饮-杭州-006", "stratum": "餐饮"},
        {"id": "Shop-07", "stratum": "食品销售"},
        {"id": "shop-08", "stratum": "食品销售"},
        {"id": "shop-09", "stratum": "食品销售"},
        {"id": "Shop-10", "stratum": "食品销售"},
        {"id": "shop-11", "stratum": "食品销售", "excluded": "inactive"},
        {"id": "shop-12", "stratum": "食品销售"},
        {"id": "z-13", "stratum": "Z-other", "excluded": "annual-cap"},
        {"id": "z-14", "stratum": "Z-other", "excluded": "operator", "note": "局务会决定暂缓"},
    ]
    inspectors = [
        insp("i-anna", "market-supervision", cap=0, conflicts=["shop-08", "Shop-07", "餐饮-杭州-002"]),
        insp("i-bo", "market-supervision", open_tasks=1, cap=3),
        insp("i-chen", "market-supervision", cap=1),
        insp("i-dong", "market-supervision", open_tasks=2, cap=5),
        insp("i-eve", "market-supervision", expiry="2024-12-31"),
        insp("i-fang", "market-supervision", leave=[{"from": "2025-01-01", "to": "2025-01-31"}, {"from": "2025-02-10", "to": "2025-02-20"}]),
    ]
    inp = base_input(
        "scarce-inspectors", "plan-2025-scarce", "上证指数收盘 3288.41\n深证成指收盘 10436.06", "2025-02-14", 3,
        ["market-supervision"],
        {"餐饮": {"count": 4}, "食品销售": {"ratioBp": 8000}, "Z-other": {"count": 2}, "药品": {"ratioBp": 10000}},
        pop, inspectors)
    d = Draw(inp)
    rec = d.run()
    kinds = [("unassigned" in s, "short" in s) for s in rec["selected"]]
    assert (False, False) in kinds and (False, True) in kinds and (True, False) in kinds, kinds
    target = rec["selected"][0]["id"]
    replace = [{"target": target, "reason": "已关闭停业或正在组织清算"}]
    for r in replace:
        d.replace(rec, r["target"], r["reason"])
    unassigned = [s["id"] for s in rec["selected"] if s.get("unassigned")]
    reassign = [{"target": rec["selected"][1]["id"], "unavailable": ["i-bo"]},
                {"target": unassigned[0], "unavailable": []}]
    for r in reassign:
        r["expected"] = d.reassign(rec, r["target"], r["unavailable"])
    return "scarce-inspectors", __doc_of(vector_scarce), inp, replace, reassign, rec


# ---------------------------------------------------------------- entropy sources


CHINA = datetime.timezone(datetime.timedelta(hours=8))

# code: name, issue digits (lotteries), draw weekdays (Monday = 0; None = daily),
# draw time, value check; beacons: genesis (Unix seconds of round 1) and period.
SOURCES = {
    "fc-3d": {"name": "福彩3D", "issue_digits": 7, "weekdays": None, "time": (21, 15), "value": lambda v: digits_form(v, 3)},
    "tc-pl5": {"name": "体彩排列五", "issue_digits": 5, "weekdays": None, "time": (21, 25), "value": lambda v: digits_form(v, 5)},
    "fc-ssq": {"name": "福彩双色球", "issue_digits": 7, "weekdays": {1, 3, 6}, "time": (21, 15),
               "value": lambda v: balls_form(v, [(6, 33), (1, 16)])},
    "tc-dlt": {"name": "体彩超级大乐透", "issue_digits": 5, "weekdays": {0, 2, 5}, "time": (21, 25),
               "value": lambda v: balls_form(v, [(5, 35), (2, 12)])},
    "drand-quicknet": {"name": "drand quicknet 随机信标", "genesis": 1692803367, "period": 3,
                       "value": lambda v: re.fullmatch("[0-9a-f]{64}", v) is not None},
}


def digits_form(v, n):
    return re.fullmatch("[0-9]" + "( [0-9])" * (n - 1), v) is not None


def balls_form(v, groups):
    parts = v.split(" + ")
    if len(parts) != len(groups):
        return False
    for part, (count, top) in zip(parts, groups):
        if re.fullmatch("[0-9][0-9]" + "( [0-9][0-9])" * (count - 1), part) is None:
            return False
        nums = [int(x) for x in part.split(" ")]
        if nums != sorted(set(nums)) or nums[0] < 1 or nums[-1] > top:
            return False
    return True


def source_valid(src):
    k = SOURCES.get(src.get("source"))
    if k is None:
        return False
    if "genesis" in k:
        return set(src) == {"source", "round"} and isinstance(src["round"], int) and 1 <= src["round"] <= 10**12
    if set(src) != {"source", "issue", "date"}:
        return False
    try:
        day = datetime.date.fromisoformat(src["date"])
    except ValueError:
        return False
    if re.fullmatch("[0-9]{4}-[0-9]{2}-[0-9]{2}", src["date"]) is None:
        return False
    if k["weekdays"] is not None and day.weekday() not in k["weekdays"]:
        return False
    year = str(day.year) if k["issue_digits"] == 7 else str(day.year)[2:]
    issue = src["issue"]
    return (re.fullmatch("[0-9]{%d}" % k["issue_digits"], issue) is not None
            and issue.startswith(year) and issue[len(year):] != "000")


def source_name(src):
    k = SOURCES[src["source"]]
    if "genesis" in k:
        return "%s 第%d轮" % (k["name"], src["round"])
    return "%s 第%s期 %s" % (k["name"], src["issue"], src["date"])


def entropy_text(src, value):
    """The public entropy of a draw from its declared source and the value, or None."""
    if not source_valid(src) or not SOURCES[src["source"]]["value"](value):
        return None
    return source_name(src) + " " + value


def result_day(src):
    """The day (Asia/Shanghai) the source's result is published."""
    k = SOURCES[src["source"]]
    if "genesis" in k:
        t = k["genesis"] + (src["round"] - 1) * k["period"]
        return datetime.datetime.fromtimestamp(t, CHINA).date().isoformat()
    return src["date"]


def check_declared(inp):
    """What a record with "entropySource" must satisfy besides fc-draw-1."""
    src = inp["entropySource"]
    prefix = source_name(src) + " "
    assert inp["publicEntropy"].startswith(prefix), inp["publicEntropy"]
    assert entropy_text(src, inp["publicEntropy"][len(prefix):]) == inp["publicEntropy"]
    assert inp["drawDate"] >= result_day(src), (inp["drawDate"], result_day(src))


def entropy_cases():
    """(source, value) pairs and what they give: the public entropy, or a refusal."""
    ssq = {"source": "fc-ssq", "issue": "2026050", "date": "2026-05-03"}
    dlt = {"source": "tc-dlt", "issue": "26051", "date": "2026-05-04"}
    fc3d = {"source": "fc-3d", "issue": "2026124", "date": "2026-05-04"}
    pl5 = {"source": "tc-pl5", "issue": "26124", "date": "2026-05-04"}
    drand = {"source": "drand-quicknet", "round": 27946612}
    rnd = hashlib.sha256(b("drand test value")).hexdigest()
    cases = [
        (fc3d, "5 8 2"), (fc3d, "0 0 0"), (fc3d, "5,8,2"), (fc3d, "582"), (fc3d, "5  8 2"), (fc3d, " 5 8 2"),
        (fc3d, "5 8 2 "), (fc3d, "5 8"), (fc3d, "5 8 2 1"), (fc3d, "10 8 2"), (fc3d, "５ ８ ２"), (fc3d, "5 8 2\n"),
        (fc3d, ""), (fc3d, "福彩3D 第2026124期 2026-05-04 5 8 2"),
        (pl5, "3 0 7 1 9"), (pl5, "3 0 7 1"), (pl5, "30719"),
        (ssq, "03 09 15 22 28 31 + 07"), (ssq, "01 02 03 04 05 33 + 16"), (ssq, "03 09 15 22 28 31 + 17"),
        (ssq, "03 09 15 22 28 34 + 07"), (ssq, "09 03 15 22 28 31 + 07"), (ssq, "03 03 15 22 28 31 + 07"),
        (ssq, "3 9 15 22 28 31 + 7"), (ssq, "03 09 15 22 28 31 07"), (ssq, "03 09 15 22 28 31+07"),
        (ssq, "00 09 15 22 28 31 + 07"), (ssq, "03 09 15 22 28 31 + 00"),
        (dlt, "05 12 19 27 33 + 02 11"), (dlt, "05 12 19 27 33 + 11 02"), (dlt, "05 12 19 27 36 + 02 11"),
        (dlt, "05 12 19 27 33 + 02 13"), (dlt, "05 12 19 27 33 + 02 02"),
        (drand, rnd), (drand, rnd.upper()), (drand, rnd[:63]), (drand, rnd + "0"),
        # Malformed sources refuse every value.
        ({"source": "fc-ssq", "issue": "2026050", "date": "2026-05-04"}, "03 09 15 22 28 31 + 07"),  # a Monday
        ({"source": "fc-3d", "issue": "2025124", "date": "2026-05-04"}, "5 8 2"),                     # year
        ({"source": "fc-3d", "issue": "2026000", "date": "2026-05-04"}, "5 8 2"),
        ({"source": "tc-pl5", "issue": "2026124", "date": "2026-05-04"}, "3 0 7 1 9"),               # 福彩 form
        ({"source": "drand-quicknet", "round": 0}, rnd),
        ({"source": "shanghai-index", "issue": "2026124", "date": "2026-05-04"}, "3288.41"),
    ]
    out = []
    for src, value in cases:
        text = entropy_text(src, value)
        case = {"entropySource": src, "value": value}
        if text is None:
            case["refused"] = True
        else:
            case["publicEntropy"] = text
        out.append(case)
    return out


def vector_declared():
    """A version that declared its entropy source (福彩双色球, an issue drawn on
    a Sunday): the record carries "entropySource", its public entropy is the
    source's name followed by the result in canonical form, and the draw date
    is not before the result's day. The seed is fc-draw-1's, unchanged."""
    pop = [{"id": uscc(2000 + i), "stratum": "ABCD"[i % 4]} for i in range(1, 21)]
    pop[3]["excluded"] = "whitelist"
    inspectors = [insp("amr-%02d" % i, "amr") for i in range(1, 6)]
    src = {"source": "fc-ssq", "issue": "2026050", "date": "2026-05-03"}
    inp = base_input(
        "declared-source", "plan-2026-amr-ssq", entropy_text(src, "03 09 15 22 28 31 + 07"), "2026-05-04", 2, ["amr"],
        {"A": {"count": 2}, "D": {"ratioBp": 5000}}, pop, inspectors, default={"ratioBp": 2000})
    inp["entropySource"] = src
    check_declared(inp)
    d = Draw(inp)
    rec = d.run()
    rec["entropySource"] = dict(src)
    return "declared-source", __doc_of(vector_declared), inp, [], [], rec


# ---------------------------------------------------------------- fc-draw-2 rounds

ROUND_ALGORITHM = "fc-draw-2"


def round_seed(inp):
    msg = ROUND_ALGORITHM + "\n" + inp["secret"] + "\n" + inp["publicEntropy"] + "\n" + inp["roundId"]
    return hashlib.sha256(b(msg)).digest()


def plan_strata(seed, plan):
    """fc-draw-1 steps 4-6 for one plan with the round's seed: its strata and selection."""
    pop = plan["population"]
    keys = {c["stratum"] for c in pop} | set(plan["strata"])
    strata, selected = [], []
    for key in sorted(keys, key=b):
        rule = plan["strata"].get(key, plan.get("default"))
        members = [c for c in pop if c["stratum"] == key]
        eligible = [c for c in members if not c.get("excluded")]
        entry = {"key": key, "population": len(members), "eligible": len(eligible)}
        if "count" in rule:
            entry["count"] = rule["count"]
            n = min(rule["count"], len(eligible))
        else:
            entry["ratioBp"] = rule["ratioBp"]
            n = (rule["ratioBp"] * len(eligible) + 9999) // 10000
        entry["n"] = n
        strata.append(entry)
        selected += sorted(eligible, key=lambda c: (prn(seed, c["id"]), b(c["id"])))[:n]
    selected.sort(key=lambda c: (prn(seed, c["id"]), b(c["id"])))
    picks = [{"id": c["id"], "stratum": c["stratum"], "prn": hex16(prn(seed, c["id"]))} for c in selected]
    return strata, picks


def visit_team(seed, inp, target, depts, size, used):
    """Step 5 of fc-draw-2 for one visit; updates used."""
    day = inp["drawDate"]
    ranked = []
    for i in inp["inspectors"]:
        if i["departmentId"] not in depts or i["certExpiry"] < day:
            continue
        if any(p["from"] <= day <= p["to"] for p in i.get("leave", [])):
            continue
        if target in i.get("conflicts", []):
            continue
        if i["taskCap"] > 0 and i["openTasks"] + used.get(i["id"], 0) >= i["taskCap"]:
            continue
        ranked.append(i)
    ranked.sort(key=lambda i: (inspector_key(seed, target, i["id"]), b(i["id"])))
    if len(ranked) < 2:
        return {"team": [], "eligibleInspectors": len(ranked), "unassigned": True,
                "unassignedReason": "too-few-inspectors"}
    m = min(size, len(ranked))
    team = []
    if len(depts) > 1:
        for d in depts:
            first = next((i for i in ranked if i["departmentId"] == d), None)
            if first is not None:
                team.append(first["id"])
    for i in ranked:
        if len(team) >= m:
            break
        if i["id"] not in team:
            team.append(i["id"])
    for t in team:
        used[t] = used.get(t, 0) + 1
    out = {"team": team, "eligibleInspectors": len(ranked)}
    if len(team) < size:
        out["short"] = True
    return out


def check_tags(plan):
    """Step 4's tags: the plan's sorted, unique; each candidate's a non-empty
    sorted subset of them when the plan has tags, none when it has none."""
    tags = plan.get("tags", [])
    assert [b(t) for t in tags] == sorted({b(t) for t in tags}), "plan tags not sorted and unique"
    for c in plan["population"]:
        ct = c.get("tags", [])
        assert bool(ct) == bool(tags), "candidate %s: tags %r, plan's %r" % (c["id"], ct, tags)
        assert [b(t) for t in ct] == sorted({b(t) for t in ct}) and set(ct) <= set(tags)


def run_round(inp):
    seed = round_seed(inp)
    plans, chosen = [], {}
    for plan in inp["plans"]:
        check_tags(plan)
        strata, picks = plan_strata(seed, plan)
        pd = {"planId": plan["planId"], "planVersion": plan["planVersion"], "teamSize": plan["teamSize"],
              "departments": list(plan["departments"])}
        if plan.get("tags"):
            pd["tags"] = list(plan["tags"])
        pd.update({"strata": strata, "population": [candidate_json(c) for c in plan["population"]], "selected": picks})
        plans.append(pd)
        for p in picks:
            chosen.setdefault(p["id"], []).append(plan)
    order = sorted(chosen, key=lambda t: (prn(seed, t), b(t)))
    used, visits = {}, []
    for k, t in enumerate(order):
        ps = chosen[t]
        depts = sorted({d for p in ps for d in p["departments"]}, key=b)
        size = max(p["teamSize"] for p in ps)
        v = {"id": t, "prn": hex16(prn(seed, t)), "order": k + 1, "plans": [p["planId"] for p in ps],
             "departments": depts, "teamSize": size}
        v.update(visit_team(seed, inp, t, depts, size, used))
        visits.append(v)
    rec = {"algorithm": ROUND_ALGORITHM, "roundId": inp["roundId"], "commitment": inp["commitment"],
           "secret": inp["secret"], "publicEntropy": inp["publicEntropy"]}
    if "entropySource" in inp:
        rec["entropySource"] = dict(inp["entropySource"])
    rec.update({"seed": seed.hex(), "drawDate": inp["drawDate"], "plans": plans,
                "inspectors": [inspector_json(i) for i in inp["inspectors"]], "visits": visits})
    return rec


def round_replace(inp, rec, plan_id, target, reason):
    """docs/draw2.md "Replacements": replaces plan plan_id's part of the visit
    of target on the round as it stands after rec's replacements, and appends
    the replacement to rec["replacements"]."""
    assert reason.strip(), "a replacement needs a reason"
    seed = round_seed(inp)
    plans = {p["planId"]: p for p in inp["plans"]}
    plan = plans[plan_id]
    # The state: live visits (the plans with a part in each, its team),
    # what each plan took, what it replaced.
    live = {v["id"]: {"plans": list(v["plans"]), "team": list(v["team"])} for v in rec["visits"]}
    taken = {p["planId"]: {x["id"] for x in p["selected"]} for p in rec["plans"]}
    replaced = {p["planId"]: set() for p in rec["plans"]}
    for x in rec.get("replacements", []):
        v = live[x["replaced"]]
        v["plans"].remove(x["plan"])
        if not v["plans"]:
            del live[x["replaced"]]
        replaced[x["plan"]].add(x["replaced"])
        taken[x["plan"]].add(x["replacement"])
        if x["replacement"] in live:
            live[x["replacement"]]["plans"].append(x["plan"])
            live[x["replacement"]]["team"] += x["team"]
        else:
            live[x["replacement"]] = {"plans": [x["plan"]], "team": list(x["team"])}
    assert target not in replaced[plan_id], "part replaced already"
    assert target in live and plan_id in live[target]["plans"], "no such part"
    stratum = next(c["stratum"] for c in plan["population"] if c["id"] == target)
    candidates = [c for c in plan["population"] if c["stratum"] == stratum and not c.get("excluded")
                  and c["id"] not in taken[plan_id]]
    assert candidates, "stratum exhausted"
    c = min(candidates, key=lambda c: (prn(seed, c["id"]), b(c["id"])))
    x = {"plan": plan_id, "replaced": target, "replacement": c["id"], "stratum": stratum,
         "prn": hex16(prn(seed, c["id"])), "reason": reason}
    # Cap use: the teams of the live visits once the part (plan, target) is
    # gone; the visit of target still counts when other parts remain.
    used = {}
    for t, v in live.items():
        if t == target and v["plans"] == [plan_id]:
            continue
        for i in v["team"]:
            used[i] = used.get(i, 0) + 1
    depts = sorted(plan["departments"], key=b)
    if c["id"] in live:
        team = live[c["id"]]["team"]
        on_team = {i["departmentId"] for i in inp["inspectors"] if i["id"] in team}
        x["joins"] = True
        added, eligible, short = [], 0, False
        day = inp["drawDate"]
        for d in depts:
            if d in on_team:
                continue
            ranked = [i for i in inp["inspectors"] if i["departmentId"] == d and i["certExpiry"] >= day
                      and not any(p["from"] <= day <= p["to"] for p in i.get("leave", []))
                      and c["id"] not in i.get("conflicts", [])
                      and not (i["taskCap"] > 0 and i["openTasks"] + used.get(i["id"], 0) >= i["taskCap"])]
            eligible += len(ranked)
            if not ranked:
                short = True
                continue
            added.append(min(ranked, key=lambda i: (inspector_key(seed, c["id"], i["id"]), b(i["id"])))["id"])
        x.update({"team": added, "eligibleInspectors": eligible})
        if short:
            x["short"] = True
    else:
        x.update(visit_team(seed, inp, c["id"], depts, plan["teamSize"], used))
    rec.setdefault("replacements", []).append(x)
    return x


def verify_round(rec):
    """Redoes a round record (fc-draw-2) from its own inputs, its replacements
    in record order, and returns the differences: the top-level fields,
    plans and visits, and replacements that differ or cannot be redone. A
    replacement's "at" is when the service made it, not part of the
    computation."""
    inp = {k: rec[k] for k in ("algorithm", "roundId", "commitment", "secret", "publicEntropy", "drawDate")}
    if "entropySource" in rec:
        inp["entropySource"] = rec["entropySource"]
    inp["inspectors"] = rec["inspectors"]
    inp["plans"] = []
    for p in rec["plans"]:
        rules = {}
        for st in p["strata"]:
            rules[st["key"]] = {"count": st["count"]} if "count" in st else {"ratioBp": st["ratioBp"]}
        plan = {"planId": p["planId"], "planVersion": p["planVersion"], "teamSize": p["teamSize"],
                "departments": p["departments"], "strata": rules, "population": p["population"]}
        if p.get("tags"):
            plan["tags"] = p["tags"]
        inp["plans"].append(plan)
    diffs = []
    if rec["algorithm"] != ROUND_ALGORITHM:
        return ["algorithm: %r is not %s" % (rec["algorithm"], ROUND_ALGORITHM)]
    if commitment(rec["secret"]) != rec["commitment"]:
        diffs.append("commitment: the secret does not match it")
    redo = run_round(inp)
    for k in ("seed", "plans", "visits"):
        if redo[k] != rec[k]:
            if k == "plans":
                for i, (a, b_) in enumerate(zip(rec["plans"], redo["plans"])):
                    for f in a:
                        if a[f] != b_.get(f):
                            diffs.append("plans[%d].%s" % (i, f))
            elif k == "visits" and len(redo[k]) == len(rec[k]):
                diffs += ["visits[%d]" % i for i, (a, b_) in enumerate(zip(rec[k], redo[k])) if a != b_]
            else:
                diffs.append(k)
    if diffs:
        return diffs
    for k, x in enumerate(rec.get("replacements", [])):
        try:
            w = round_replace(inp, redo, x["plan"], x["replaced"], x["reason"])
        except (AssertionError, KeyError, StopIteration) as err:
            return diffs + ["replacements[%d]: cannot be redone (%s)" % (k, err)]
        got = {f: v for f, v in x.items() if f != "at"}
        if got != w:
            diffs += ["replacements[%d].%s" % (k, f) for f in sorted(set(got) | set(w)) if got.get(f) != w.get(f)]
    return diffs


def round_input(name, round_id, entropy, draw_date, plans, inspectors, source=None):
    secret = secret_for(name)
    inp = {"algorithm": ROUND_ALGORITHM, "roundId": round_id, "commitment": commitment(secret), "secret": secret,
           "publicEntropy": entropy, "drawDate": draw_date, "plans": plans,
           "inspectors": [inspector_json(i) for i in inspectors]}
    if source is not None:
        inp["entropySource"] = source
        check_declared(inp)
    return inp


def round_plan(plan_id, depts, team_size, strata, population, default=None, tags=None):
    p = {"planId": plan_id, "planVersion": 1, "teamSize": team_size, "departments": depts, "strata": strata}
    if tags:
        p["tags"] = sorted(tags, key=b)
    p["population"] = [candidate_json(c) for c in population]
    if default is not None:
        p["default"] = default
    return p


def vector_round_four():
    """A round of four plans of four departments over overlapping populations
    of one county: different strata and ratios per plan, a joint plan of two
    departments among them, every exclusion code including visit-cap, a
    declared entropy source; targets selected by several plans become one
    visit whose team takes an officer of each department involved, even
    beyond the largest team size; caps, leave, conflicts and an expired
    certificate as in fc-draw-1."""
    ids = [uscc(3000 + i) for i in range(1, 61)]
    credit = lambda i: "ABCD"[(i * 7) % 4]
    amr = [{"id": ids[i], "stratum": credit(i)} for i in range(0, 48)]
    amr[3]["excluded"] = "whitelist"
    amr[9]["excluded"] = "visit-cap"
    fire = [{"id": ids[i], "stratum": "高风险" if i % 3 == 0 else "一般"} for i in range(12, 60)]
    fire[5]["excluded"] = "inactive"
    fire[7]["excluded"] = "operator"
    fire[7]["note"] = "消防部门本月已专项检查"
    health = [{"id": ids[i], "stratum": "公共场所"} for i in range(0, 60, 2)]
    health[2]["excluded"] = "annual-cap"
    env = [{"id": ids[i], "stratum": "排污单位"} for i in range(30, 60)]
    plans = [
        round_plan("plan-2026-amr-q1", ["amr"], 2, {"A": {"ratioBp": 500}, "D": {"ratioBp": 5000}}, amr, default={"ratioBp": 2000}),
        round_plan("plan-2026-fire-q1", ["fire"], 2, {"高风险": {"count": 5}, "一般": {"ratioBp": 1000}}, fire),
        round_plan("plan-2026-health-env-q1", ["health", "env"], 2, {"公共场所": {"ratioBp": 2500}}, health),
        round_plan("plan-2026-env-q1", ["env"], 3, {"排污单位": {"count": 6}}, env),
    ]
    inspectors = [insp("amr-%02d" % i, "amr") for i in range(1, 6)]
    inspectors[1]["conflicts"] = ids[:12]
    inspectors[2]["certExpiry"] = "2026-03-01"
    inspectors += [insp("fire-01", "fire", cap=4), insp("fire-02", "fire"), insp("fire-03", "fire", open_tasks=2, cap=3)]
    inspectors += [insp("health-01", "health"), insp("health-02", "health", leave=[{"from": "2026-04-01", "to": "2026-04-30"}]),
                   insp("health-03", "health")]
    inspectors += [insp("env-01", "env"), insp("env-02", "env", cap=3), insp("env-03", "env")]
    src = {"source": "fc-3d", "issue": "2026096", "date": "2026-04-06"}
    inp = round_input("round-four-plans", "round-2026-q1", entropy_text(src, "3 6 1"), "2026-04-07", plans, inspectors, src)
    rec = run_round(inp)
    joint = [v for v in rec["visits"] if len(v["plans"]) > 1]
    assert joint, "no joint visit"
    assert any(len(v["departments"]) > v["teamSize"] for v in rec["visits"]), "no visit larger than its team size"
    return "round-four-plans", __doc_of(vector_round_four), inp, rec


def vector_round_replacements():
    """The four-plan round drawn again under another id, then replacements
    made in order (docs/draw2.md "Replacements"): a part of a joint visit
    whose replacement is a new visit, a part whose replacement joins a visit
    of other plans (officers added only for the plan's departments the team
    lacks), the part a replacement created replaced in its turn, and the last
    part of a visit, which ends it."""
    _, _, four, _ = vector_round_four()
    inp = dict(four)
    secret = secret_for("round-replacements")
    inp.update({"roundId": "round-2026-q1-replace", "secret": secret, "commitment": commitment(secret)})
    rec = run_round(inp)
    steps = []

    def step(plan_id, target, reason):
        steps.append({"plan": plan_id, "target": target, "reason": reason})
        return round_replace(inp, rec, plan_id, target, reason)

    def probe(want_joins, joint_only, skip=()):
        """The first part, in visit order, whose replacement would (not) join."""
        gone = {(x["plan"], x["replaced"]) for x in rec.get("replacements", [])}
        for v in rec["visits"]:
            if joint_only and len(v["plans"]) < 2:
                continue
            for p in v["plans"]:
                if (p, v["id"]) in gone or v["id"] in skip:
                    continue
                trial = json.loads(json.dumps(rec))
                if bool(round_replace(inp, trial, p, v["id"], "probe").get("joins")) == want_joins:
                    return p, v["id"]
        raise AssertionError("no such part")

    made = step(*probe(False, True), "已注销")
    step(*probe(True, False, skip={made["replaced"]}), "经营场所无法联系")
    step(made["plan"], made["replacement"], "超出本部门检查范围")
    gone = {x["replaced"] for x in rec["replacements"]}
    single = next(v for v in rec["visits"] if len(v["plans"]) == 1 and v["id"] not in gone)
    step(single["plans"][0], single["id"], "已关闭停业")
    kinds = {bool(x.get("joins")) for x in rec["replacements"]}
    assert kinds == {True, False}, "replacements must both join and create visits"
    return "round-replacements", __doc_of(vector_round_replacements), inp, rec, steps


def vector_round_by_hand():
    """The round written out by hand in docs/draw2.md: two plans, seven targets."""
    ids = ["91350403MA00000011", "91350403MA00000022", "91350403MA00000033", "91350403MA00000044",
           "91350403MA00000055"]
    plans = [
        round_plan("plan-scjg", ["scjg"], 2, {"A": {"count": 2}}, [{"id": i, "stratum": "A"} for i in ids[:4]]),
        round_plan("plan-wjw", ["wjw"], 2, {"B": {"count": 1}}, [{"id": i, "stratum": "B"} for i in ids[1:5]]),
    ]
    inspectors = [insp("scjg-1", "scjg"), insp("scjg-2", "scjg"), insp("wjw-1", "wjw"), insp("wjw-2", "wjw")]
    inp = round_input("round-by-hand", "round-by-hand", "example", "2026-12-04", plans, inspectors)
    return "round-by-hand", __doc_of(vector_round_by_hand), inp, run_round(inp)


def vector_round_tags():
    """A round of three plans that target tags instead of a filter: each
    target of a plan's population carries the plan's tags it has, so that
    the record shows why it is in the population; targets with tags of
    several plans may be one visit."""
    ids = [uscc(5000 + i) for i in range(1, 31)]
    kinds = ["危险化学品", "校园周边", "餐饮", "燃气"]
    has = {t: sorted({kinds[i % 4], kinds[(i // 4) % 4]}, key=b) for i, t in enumerate(ids)}

    def pop(tags, stratum):
        out = []
        for t in ids:
            mine = sorted(set(has[t]) & set(tags), key=b)
            if mine:
                out.append({"id": t, "stratum": stratum(t), "tags": mine})
        return out
    credit = lambda t: "AB"[int(t[-3]) % 2]
    plans = [
        round_plan("plan-2026-yjgl-tags", ["yjgl"], 2, {"A": {"count": 2}, "B": {"ratioBp": 3000}},
                   pop(["危险化学品", "燃气"], credit), tags=["危险化学品", "燃气"]),
        round_plan("plan-2026-jyj-tags", ["jyj"], 2, {"全部": {"count": 4}}, pop(["校园周边"], lambda t: "全部"), tags=["校园周边"]),
        round_plan("plan-2026-scjg-tags", ["scjg"], 2, {"全部": {"ratioBp": 2500}}, pop(["校园周边", "餐饮"], lambda t: "全部"),
                   tags=["餐饮", "校园周边"]),
    ]
    inspectors = [insp("yjgl-%d" % i, "yjgl") for i in (1, 2, 3)] + [insp("jyj-%d" % i, "jyj") for i in (1, 2)]
    inspectors += [insp("scjg-%d" % i, "scjg") for i in (1, 2, 3)]
    inp = round_input("round-tags", "round-2026-tags", "tags", "2026-05-06", plans, inspectors)
    rec = run_round(inp)
    assert any(len(v["plans"]) > 1 for v in rec["visits"]), "no joint visit"
    return "round-tags", __doc_of(vector_round_tags), inp, rec


def __doc_of(f):
    return " ".join(f.__doc__.split())


def main():
    for make in (vector_single, vector_joint, vector_scarce, vector_declared):
        name, description, inp, replace, reassign, rec = make()
        doc = {"name": name, "description": description, "input": inp, "replace": replace,
               "reassign": reassign, "expected": rec}
        path = os.path.join(HERE, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print("wrote", path, "selected", len(rec["selected"]), "replacements", len(rec["replacements"]))
    for make in (vector_round_four, vector_round_by_hand, vector_round_tags, vector_round_replacements):
        name, description, inp, rec, *steps = make()
        doc = {"name": name, "description": description, "input": inp}
        if steps:
            doc["replace"] = steps[0]
        doc["expected"] = rec
        os.makedirs(os.path.join(HERE, "rounds"), exist_ok=True)
        path = os.path.join(HERE, "rounds", name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print("wrote", path, "visits", len(rec["visits"]),
              "joint", sum(1 for v in rec["visits"] if len(v["plans"]) > 1))
    cases = entropy_cases()
    os.makedirs(os.path.join(HERE, "entropy"), exist_ok=True)
    path = os.path.join(HERE, "entropy", "values.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", path, len(cases), "cases")


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "verify":
        # python3 gen_vectors.py verify RECORD.json: redo an fc-draw-2 round
        # record, replacements included (a file, or "-" for standard input).
        with (sys.stdin if sys.argv[2] == "-" else open(sys.argv[2], encoding="utf-8")) as f:
            record = json.load(f)
        found = verify_round(record)
        if found:
            print("round record does NOT verify:", ", ".join(found))
            sys.exit(1)
        print("round record verifies: %s, %d plans, %d visits, %d replacements" % (
            record["roundId"], len(record["plans"]), len(record["visits"]), len(record.get("replacements", []))))
    else:
        main()
