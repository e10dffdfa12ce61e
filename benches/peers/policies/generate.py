#!/usr/bin/env python3
"""Writes capgate-zen.json (a GoRules JDM decision graph) and capgate-jsonlogic.json.

Both formats are JSON documents that people normally produce with a tool (the GoRules editor,
a JSONLogic query builder) rather than type by hand; this script is that tool here. The rule
tables below mirror rules/coinbase-customers.toml: edit them (and capgate.rego, capgate.cedar)
when the rules change, then run `python3 policies/generate.py` from benches/peers. The
benchmark loads the generated JSON files, never this script.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------------
# The rules (rules/coinbase-customers.toml).
# ---------------------------------------------------------------------------------------------

SSN = r"^([0-9]{3}-[0-9]{2}-[0-9]{4}|\*\*\*-\*\*-[0-9]{4})$"
SSN_LAST4 = r"^[0-9]{4}$"
STATE = r"^[A-Z]{2}$"
EMAIL = r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}/-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*$"
EMAIL_MAX_CHARS = 254
PHONE = r"^\+[1-9][0-9]{1,14}$"
TOS_VERSION, TOS_LANGUAGES = "us_individual_2026-05-29", ["en"]
TAX_FORM = "us_w9"

ONE_OF = {
    "addressCountryCode": ("address.countryCode", ["US"]),
    "citizenship": ("citizenship", ["US"]),
    "purposeOfAccount": ("purposeOfAccount", [
        "investing", "long_term_investment", "short_term_investment", "trading",
        "trading_on_coinbase", "trading_on_other_exchanges", "day_trading", "arbitrage_trading",
        "online_purchases", "online_payments", "payments_or_gifts", "payments_to_friends",
        "transfer_crypto", "investing_on_other_exchanges", "business", "other",
    ]),
    "sourceOfFunds": ("sourceOfFunds", [
        "salary", "employment_business_income", "investments", "savings", "pension",
        "business_earnings", "crypto_assets", "inheritance", "sale_of_assets",
        "sale_of_company_shares_or_dividends", "sale_of_property", "sale_of_other_assets",
        "credit_or_loan", "government_benefits_or_credits", "legal_settlement",
        "family_or_third_party", "lottery_or_gambling", "crypto_mining", "other",
    ]),
    "employmentStatus": ("employmentStatus", [
        "employed_fulltime", "employed_parttime", "self_employed", "employed_government_official",
        "employed_company_officer_or_board_member", "employed_crypto_related_business",
        "personal_trader_or_angel_investor", "crypto_miner", "student", "retired", "homemaker",
        "unemployed", "dependent",
    ]),
    "occupation": ("occupation", [
        "agriculture", "arts_and_media", "casinos_and_gaming", "construction", "cryptocurrency",
        "defense", "education", "energy_oil_and_gas", "energy_other", "entertainment", "finance",
        "financial_services_non_crypto", "fintech_non_crypto_software_development",
        "fintech_non_crypto_internet_only_financial_institution", "fintech_non_crypto_other",
        "food_and_hospitality", "government", "health_and_fitness", "healthcare", "healthcare_other",
        "healthcare_pharmaceuticals", "mining", "mining_crypto", "non_profit_and_charity",
        "pharma_industry", "politics", "professional_services",
        "property_and_construction_building_work",
        "property_and_construction_commercial_and_management", "property_and_construction_design",
        "real_estate", "retail_fashion", "retail_food_and_beverage", "retail_jewelry_and_antiques",
        "retail_other", "retail_pharmacy", "technology", "technology_and_it", "transportation",
        "all_other_industries_and_services", "dependent_student_unemployed", "other",
    ]),
    "expectedVolume": ("expectedVolume", [
        "under_1k", "1k_to_10k", "10k_to_100k", "100k_to_250k", "250k_to_750k", "750k_to_1_5m",
        "1_5m_plus",
    ]),
}
NON_EMPTY = {
    "firstName": "firstName",
    "lastName": "lastName",
    "addressLine1": "address.line1",
    "addressCity": "address.city",
    "addressPostalCode": "address.postCode",
}
PATTERN = {
    "fullSsn": ("fullSsn", SSN),
    "ssnLast4": ("ssnLast4", SSN_LAST4),
    "addressSubdivision": ("address.state", STATE),
}

BASE_FIELDS = [
    "firstName", "lastName", "dateOfBirth", "fullSsn",
    "addressLine1", "addressLine2", "addressCity", "addressSubdivision", "addressPostalCode",
    "addressCountryCode", "purposeOfAccount", "sourceOfFunds",
]
CAPABILITIES = [
    "custodyCrypto", "custodyFiat", "custodyStablecoin", "tradeCrypto",
    "tradeStablecoin", "transferCrypto", "transferFiat", "transferStablecoin",
]
# Every capability needs the `onboarding` group (base fields + tos); these also need their own.
OWN_REQUIREMENTS = {
    "tradeCrypto": ["citizenship", "employmentStatus", "occupation", "expectedVolume", "email", "phoneNumber"],
    "transferFiat": ["taxAttestation"],
}
# Checked against the snapshot in provider snapshots too (acceptance requirements).
ALWAYS_CHECKED = ["tos"]

PROVIDER_BLOCKING = ["past_due", "overdue", "pending", "rejected"]
PROVIDER_KNOWN = ["due", *PROVIDER_BLOCKING, "eventually_due"]


# ---------------------------------------------------------------------------------------------
# GoRules ZEN: a JDM decision graph.
# ---------------------------------------------------------------------------------------------

def zen_string(text):
    """A ZEN string literal: its content is raw (no escapes)."""
    assert '"' not in text
    return f'"{text}"'


def zen_list(values):
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def zen():
    count = 0

    def expression(key, value):
        nonlocal count
        count += 1
        return {"id": f"e{count}", "key": key, "value": value}

    ind = "snapshot.individual"
    at_or_before = "isSameOrBefore(d(at))"

    rules = [
        expression("baseFields", zen_list(BASE_FIELDS)),
        expression("onboarding", "flatten([$.baseFields, ['tos']])"),
        expression("needs", "{" + ", ".join(
            f"{c}: flatten([$.onboarding, {zen_list(OWN_REQUIREMENTS[c])}])" if c in OWN_REQUIREMENTS
            else f"{c}: $.onboarding"
            for c in CAPABILITIES) + "}"),
        expression("alwaysChecked", zen_list(ALWAYS_CHECKED)),
    ]

    checks = [
        *(expression(f"met.{key}", f"trim({ind}.{path} ?? '') != ''") for key, path in NON_EMPTY.items()),
        *(expression(f"met.{key}", f"matches({ind}.{path} ?? '', {zen_string(p)})")
          for key, (path, p) in PATTERN.items()),
        *(expression(f"met.{key}", f"{ind}.{path} in {zen_list(values)}")
          for key, (path, values) in ONE_OF.items()),
        expression("met.addressLine2", "true"),
        # date_parts: one- or two-digit day and month, four-digit year, a real calendar date,
        # not after the day of `at`.
        expression("dob", f"{ind}.dateOfBirth"),
        expression("dobDigits", "matches($.dob.day ?? '', '^[0-9]{1,2}$') and "
                                "matches($.dob.month ?? '', '^[0-9]{1,2}$') and "
                                "matches($.dob.year ?? '', '^[0-9]{4}$')"),
        expression("dobDay", "$.dobDigits ? number($.dob.day) : 0"),
        expression("dobMonth", "$.dobDigits ? number($.dob.month) : 0"),
        expression("dobYear", "$.dobDigits ? number($.dob.year) : 0"),
        expression("dobLeap", "$.dobYear % 4 == 0 and ($.dobYear % 100 != 0 or $.dobYear % 400 == 0)"),
        expression("dobMonthDays", "$.dobMonth in [4, 6, 9, 11] ? 30 : ($.dobMonth == 2 ? ($.dobLeap ? 29 : 28) : 31)"),
        expression("atDate", "d(at).year() * 10000 + d(at).month() * 100 + d(at).day()"),
        expression("met.dateOfBirth", "$.dobDigits and $.dobMonth >= 1 and $.dobMonth <= 12 and "
                                      "$.dobDay >= 1 and $.dobDay <= $.dobMonthDays and "
                                      "$.dobYear * 10000 + $.dobMonth * 100 + $.dobDay <= $.atDate"),
        # Two paths: the newer `individual.*` first, then the older top-level field.
        expression("email", f"{ind}.email ?? snapshot.email"),
        expression("met.email", f"$.email != null and len($.email) <= {EMAIL_MAX_CHARS} and "
                                f"matches($.email, {zen_string(EMAIL)})"),
        expression("phone", f"{ind}.phoneNumber ?? snapshot.phone"),
        expression("met.phoneNumber", f"$.phone != null and matches($.phone, {zen_string(PHONE)})"),
        expression("met.tos", f"some(snapshot.tosAcceptances ?? [], #.versionId == '{TOS_VERSION}' and "
                              f"#.language in {zen_list(TOS_LANGUAGES)} and d(#.acceptedAt).{at_or_before})"),
        expression("met.taxAttestation", f"some(snapshot.taxAttestations ?? [], #.form == '{TAX_FORM}' and "
                                         f"d(#.acceptedAt).{at_or_before})"),
    ]

    listed = [
        expression("entries", "map(keys(snapshot.requirements ?? {}) as key, {key: key, "
                               "status: snapshot.requirements[key].status, "
                               "deadline: snapshot.requirements[key].deadline, "
                               "tosVersions: snapshot.requirements[key].tosVersions ?? [], "
                               "impact: snapshot.requirements[key].impact ?? [], at: at})"),
    ]

    provider_status = {
        "hitPolicy": "first",
        "inputs": [
            {"id": "status", "name": "Status", "field": "status"},
            {"id": "dueNow", "name": "A deadline that applies is missing or passed",
             "field": f"len(tosVersions) == 0 ? deadline == null or d(deadline).{at_or_before} "
                      f": some(tosVersions, #.deadline == null or d(#.deadline).{at_or_before})"},
        ],
        "outputs": [{"id": "blocking", "name": "Blocking", "field": "blocking"}],
        "rules": [
            {"_id": "r1", "_description": "past due (older name: overdue), being verified, rejected",
             "status": ", ".join(f"'{s}'" for s in PROVIDER_BLOCKING), "dueNow": "", "blocking": "true"},
            {"_id": "r2", "_description": "a possible future requirement never blocks",
             "status": "'eventually_due'", "dueNow": "", "blocking": "false"},
            {"_id": "r3", "_description": "due, and no deadline or a passed one",
             "status": "'due'", "dueNow": "true", "blocking": "true"},
            {"_id": "r4", "_description": "due in a grace period",
             "status": "'due'", "dueNow": "", "blocking": "false"},
            {"_id": "r5", "_description": "a status capgate does not know counts as pending",
             "status": "", "dueNow": "", "blocking": "true"},
        ],
        "inputField": "entries",
        "outputPath": "listed",
        "executionMode": "loop",
        "passThrough": True,
    }

    decision = [
        expression("isDraft", "snapshot.requirements == null"),
        expression("ruleKeys", "keys($nodes.Checks.met)"),
        expression("listed", "$nodes.ProviderStatus.listed"),
        expression("keys", "flatten([$.ruleKeys, filter(map($.listed, #.key), # not in $.ruleKeys)])"),
        expression("blocking", "filter($.keys as key, some($.listed, #.key == key and #.blocking) or "
                               "((key in $nodes.Rules.alwaysChecked or $.isDraft) and key in $.ruleKeys and "
                               "not $nodes.Checks.met[key]))"),
        expression("live", "filter(keys($nodes.Rules.needs), snapshot.capabilities[#].requested == true and "
                           "snapshot.capabilities[#].status != 'inactive')"),
        expression("capabilities", "map($.live as cap, {capability: cap, "
                                   "active: snapshot.capabilities[cap].status == 'active', "
                                   "blockedBy: filter($.blocking as key, key in $nodes.Rules.needs[cap] or "
                                   "some($.listed, #.key == key and cap in #.impact))})"),
        expression("allowed", "map(filter($.capabilities, #.active and len(#.blockedBy) == 0), #.capability)"),
        expression("pending", "filter($.capabilities, not (#.active and len(#.blockedBy) == 0))"),
    ]

    def node(node_id, name, kind, x, y, content):
        return {"id": node_id, "name": name, "type": kind, "position": {"x": x, "y": y}, "content": content}

    nodes = [
        node("request", "Request", "inputNode", 0, 200, {}),
        node("rules", "Rules", "expressionNode", 300, 0, {"expressions": rules}),
        node("checks", "Checks", "expressionNode", 300, 200, {"expressions": checks}),
        node("listed", "Listed", "expressionNode", 300, 400, {"expressions": listed}),
        node("provider-status", "ProviderStatus", "decisionTableNode", 600, 400, provider_status),
        node("decision", "Decision", "expressionNode", 900, 200, {"expressions": decision}),
        node("response", "Response", "outputNode", 1200, 200, {}),
    ]
    edges = [
        ("request", "rules"), ("request", "checks"), ("request", "listed"),
        ("listed", "provider-status"),
        ("request", "decision"), ("rules", "decision"), ("checks", "decision"), ("provider-status", "decision"),
        ("decision", "response"),
    ]
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": nodes,
        "edges": [{"id": f"{s}->{t}", "sourceId": s, "targetId": t, "type": "edge"} for s, t in edges],
    }


# ---------------------------------------------------------------------------------------------
# JSONLogic (datalogic-rs): a chain of named rules.
# ---------------------------------------------------------------------------------------------

def var(path):
    return {"var": path}


def top(*segments):
    """A value of the top-level data, from inside an iteration (datalogic-rs's scoped `val`)."""
    return {"val": [[9], *segments]}


def NOT(x):
    return {"!": [x]}


def AND(*xs):
    return {"and": list(xs)}


def OR(*xs):
    return {"or": list(xs)}


def IF(condition, then, otherwise):
    return {"if": [condition, then, otherwise]}


def EQ(a, b):
    return {"==": [a, b]}


def IS_NULL(x):
    return {"===": [x, None]}  # strict: `==` coerces, and errors on an object


def IN(a, b):
    return {"in": [a, b]}


def number(x):
    return {"+": [x]}


def matches(x, pattern):
    return {"matches": [x, pattern]}


def at_or_before(timestamp):
    return {"<=": [{"datetime": timestamp}, {"datetime": top("at")}]}


def first_present(*paths):
    value = var(paths[-1])
    for path in reversed(paths[:-1]):
        value = IF(IS_NULL(var(path)), value, var(path))
    return value


def jsonlogic():
    ind = "snapshot.individual."
    dob = ind + "dateOfBirth."
    day, month, year = (number(var(dob + part)) for part in ("day", "month", "year"))
    leap = AND(EQ({"%": [year, 4]}, 0), OR({"!=": [{"%": [year, 100]}, 0]}, EQ({"%": [year, 400]}, 0)))
    month_days = IF(IN(month, [4, 6, 9, 11]), 30, IF(EQ(month, 2), IF(leap, 29, 28), 31))
    date_ok = AND(
        matches(var(dob + "day"), "^[0-9]{1,2}$"),
        matches(var(dob + "month"), "^[0-9]{1,2}$"),
        matches(var(dob + "year"), "^[0-9]{4}$"),
        {"<=": [1, month, 12]},
        {"<=": [1, day, month_days]},
        {"<=": [{"+": [{"*": [year, 10000]}, {"*": [month, 100]}, day]},
                number({"format_date": [{"datetime": var("at")}, "%Y%m%d"]})]},
    )
    email = first_present(ind + "email", "snapshot.email")
    phone = first_present(ind + "phoneNumber", "snapshot.phone")

    # Each requirement the snapshot's own data does not meet.
    fails = {
        **{key: EQ({"trim": [var(ind + path)]}, "") for key, path in NON_EMPTY.items()},
        **{key: NOT(matches(var(ind + path), p)) for key, (path, p) in PATTERN.items()},
        **{key: NOT(IN(var(ind + path), values)) for key, (path, values) in ONE_OF.items()},
        "dateOfBirth": NOT(date_ok),
        "email": OR(IS_NULL(email), {">": [{"length": [email]}, EMAIL_MAX_CHARS]}, NOT(matches(email, EMAIL))),
        "phoneNumber": NOT(matches(phone, PHONE)),
        "tos": NOT({"some": [var("snapshot.tosAcceptances"), AND(
            EQ(var("versionId"), TOS_VERSION),
            IN(var("language"), TOS_LANGUAGES),
            at_or_before(var("acceptedAt")))]}),
        "taxAttestation": NOT({"some": [var("snapshot.taxAttestations"), AND(
            EQ(var("form"), TAX_FORM),
            at_or_before(var("acceptedAt")))]}),
    }

    # Provider entries ({key, value}) whose status blocks.
    status = var("value.status")

    def due_now(deadline):
        return OR(IS_NULL(deadline), at_or_before(deadline))

    listed_blocking = {"filter": [{"entries": [var("snapshot.requirements")]}, OR(
        IN(status, PROVIDER_BLOCKING),
        NOT(IN(status, PROVIDER_KNOWN)),
        AND(EQ(status, "due"), IF(
            var("value.tosVersions"),
            {"some": [var("value.tosVersions"), due_now(var("deadline"))]},
            due_now(var("value.deadline")))),
    )]}

    def needs(capability):
        return {"merge": [top("onboarding"), OWN_REQUIREMENTS.get(capability, [])]}

    # An iteration cannot see the enclosing one's item: one entry per capability, written out.
    def live_entry(capability):
        cap = f"snapshot.capabilities.{capability}."
        live = AND(EQ(var(cap + "requested"), True), {"!=": [var(cap + "status"), "inactive"]})
        local = {"filter": [var("unmet"), AND(
            OR(top("isDraft"), IN(var(""), top("alwaysChecked"))),
            OR(IN(var(""), needs(capability)),
               IN(capability, top("snapshot", "requirements", var(""), "impact"))))]}
        provider = {"map": [{"filter": [var("listedBlocking"), OR(
            IN(var("key"), needs(capability)),
            IN(capability, var("value.impact")))]}, var("key")]}
        blockers = {"sort": [{"distinct": [{"merge": [local, provider]}]}]}
        return IF(live, [[capability, EQ(var(cap + "status"), "active"), blockers]], [])

    allowed = AND(var(1), NOT(var(2)))  # on a `live` entry: provider-active, nothing blocking
    stages = [
        ("baseFields", BASE_FIELDS),
        ("onboarding", {"merge": [var("baseFields"), ["tos"]]}),
        ("alwaysChecked", ALWAYS_CHECKED),
        ("isDraft", IS_NULL(var("snapshot.requirements"))),
        ("unmet", {"merge": [IF(test, [key], []) for key, test in fails.items()]}),
        ("listedBlocking", listed_blocking),
        ("live", {"merge": [live_entry(c) for c in CAPABILITIES]}),
        ("decision", [
            {"map": [{"filter": [var("live"), allowed]}, var(0)]},
            {"filter": [var("live"), NOT(allowed)]},
        ]),
    ]
    return {"stages": [{"name": name, "logic": logic} for name, logic in stages]}


def write(name, document):
    path = HERE / name
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    write("capgate-zen.json", zen())
    write("capgate-jsonlogic.json", jsonlogic())
