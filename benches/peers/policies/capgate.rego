# capgate's default ruleset (rules/coinbase-customers.toml) as a Rego policy.
#
# Input: {"snapshot": <the customer JSON, as the provider sends it>, "at": "<RFC 3339>"}.
# Entry point: data.capgate.decision = {"allowed": [...], "blocked_by": {capability: [...]}}:
# the capabilities whose status is `active`, and for each `pending` capability the sorted
# requirement keys that block it (capgate's `allowed` and `waitingOn[*].requirements`).
#
# The rules are data (`requirements`, `groups`, `capabilities` below); the evaluation
# semantics (README "Evaluation semantics") are the generic rules after them.
package capgate

import rego.v1

# ---------------------------------------------------------------------------------------------
# The rules, translated from rules/coinbase-customers.toml.
# ---------------------------------------------------------------------------------------------

email_pattern := "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}/-]+@[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*$"

requirements := {
	"firstName": {"paths": [["individual", "firstName"]], "checks": [{"kind": "non_empty"}]},
	"lastName": {"paths": [["individual", "lastName"]], "checks": [{"kind": "non_empty"}]},
	"dateOfBirth": {"paths": [["individual", "dateOfBirth"]], "checks": [{"kind": "date_parts"}]},
	"fullSsn": {
		"paths": [["individual", "fullSsn"]],
		"checks": [{"kind": "pattern", "pattern": "^([0-9]{3}-[0-9]{2}-[0-9]{4}|\\*\\*\\*-\\*\\*-[0-9]{4})$"}],
	},
	"ssnLast4": {"paths": [["individual", "ssnLast4"]], "checks": [{"kind": "pattern", "pattern": "^[0-9]{4}$"}]},
	"addressLine1": {"paths": [["individual", "address", "line1"]], "checks": [{"kind": "non_empty"}]},
	"addressLine2": {"paths": [["individual", "address", "line2"]], "checks": [], "optional": true},
	"addressCity": {"paths": [["individual", "address", "city"]], "checks": [{"kind": "non_empty"}]},
	"addressSubdivision": {
		"paths": [["individual", "address", "state"]],
		"checks": [{"kind": "pattern", "pattern": "^[A-Z]{2}$"}],
	},
	"addressPostalCode": {"paths": [["individual", "address", "postCode"]], "checks": [{"kind": "non_empty"}]},
	"addressCountryCode": {
		"paths": [["individual", "address", "countryCode"]],
		"checks": [{"kind": "one_of", "values": {"US"}}],
	},
	"email": {
		"paths": [["individual", "email"], ["email"]],
		"checks": [{"kind": "length", "max": 254}, {"kind": "pattern", "pattern": email_pattern}],
	},
	"phoneNumber": {
		"paths": [["individual", "phoneNumber"], ["phone"]],
		"checks": [{"kind": "pattern", "pattern": "^\\+[1-9][0-9]{1,14}$"}],
	},
	"citizenship": {"paths": [["individual", "citizenship"]], "checks": [{"kind": "one_of", "values": {"US"}}]},
	"purposeOfAccount": {"paths": [["individual", "purposeOfAccount"]], "checks": [{"kind": "one_of", "values": {
		"investing", "long_term_investment", "short_term_investment", "trading",
		"trading_on_coinbase", "trading_on_other_exchanges", "day_trading", "arbitrage_trading",
		"online_purchases", "online_payments", "payments_or_gifts", "payments_to_friends",
		"transfer_crypto", "investing_on_other_exchanges", "business", "other",
	}}]},
	"sourceOfFunds": {"paths": [["individual", "sourceOfFunds"]], "checks": [{"kind": "one_of", "values": {
		"salary", "employment_business_income", "investments", "savings", "pension",
		"business_earnings", "crypto_assets", "inheritance", "sale_of_assets",
		"sale_of_company_shares_or_dividends", "sale_of_property", "sale_of_other_assets",
		"credit_or_loan", "government_benefits_or_credits", "legal_settlement",
		"family_or_third_party", "lottery_or_gambling", "crypto_mining", "other",
	}}]},
	"employmentStatus": {"paths": [["individual", "employmentStatus"]], "checks": [{"kind": "one_of", "values": {
		"employed_fulltime", "employed_parttime", "self_employed", "employed_government_official",
		"employed_company_officer_or_board_member", "employed_crypto_related_business",
		"personal_trader_or_angel_investor", "crypto_miner", "student", "retired", "homemaker",
		"unemployed", "dependent",
	}}]},
	"occupation": {"paths": [["individual", "occupation"]], "checks": [{"kind": "one_of", "values": {
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
	}}]},
	"expectedVolume": {"paths": [["individual", "expectedVolume"]], "checks": [{"kind": "one_of", "values": {
		"under_1k", "1k_to_10k", "10k_to_100k", "100k_to_250k", "250k_to_750k", "750k_to_1_5m",
		"1_5m_plus",
	}}]},
	"tos": {"kind": "acceptance", "versions": [{"id": "us_individual_2026-05-29", "languages": {"en"}}]},
	"taxAttestation": {"kind": "attestation", "forms": ["us_w9"]},
}

groups := {
	"baseFields": {"requirements": [
		"firstName", "lastName", "dateOfBirth", "fullSsn",
		"addressLine1", "addressLine2", "addressCity", "addressSubdivision", "addressPostalCode",
		"addressCountryCode", "purposeOfAccount", "sourceOfFunds",
	]},
	"onboarding": {"groups": ["baseFields"], "requirements": ["tos"]},
}

capabilities := {
	"custodyCrypto": {"groups": ["onboarding"]},
	"custodyFiat": {"groups": ["onboarding"]},
	"custodyStablecoin": {"groups": ["onboarding"]},
	"tradeCrypto": {"groups": ["onboarding"], "requirements": [
		"citizenship", "employmentStatus", "occupation", "expectedVolume", "email", "phoneNumber",
	]},
	"tradeStablecoin": {"groups": ["onboarding"]},
	"transferCrypto": {"groups": ["onboarding"]},
	"transferFiat": {"groups": ["onboarding"], "requirements": ["taxAttestation"]},
	"transferStablecoin": {"groups": ["onboarding"]},
}

# ---------------------------------------------------------------------------------------------
# Rule structure. Rego has no recursion: nested groups and dependencies are resolved with
# graph.reachable.
# ---------------------------------------------------------------------------------------------

# needs[capability] = the requirement keys it needs: its own, its groups' (and their groups',
# transitively), and those of its dependencies (transitively).
needs[name] := {key |
	some capability in with_dependencies[name]
	some key in object.get(capabilities[capability], "requirements", [])
} | {key |
	some group in graph.reachable(group_graph, capability_groups[name])
	some key in object.get(groups[group], "requirements", [])
} if {
	some name, _ in capabilities
}

# capability_groups[capability] = the groups it and its dependencies list.
capability_groups[name] := {group |
	some capability in with_dependencies[name]
	some group in object.get(capabilities[capability], "groups", [])
} if {
	some name, _ in capabilities
}

group_graph[name] := object.get(group, "groups", []) if some name, group in groups

dependency_graph[name] := object.get(capability, "depends_on", []) if some name, capability in capabilities

# with_dependencies[capability] = itself and its dependencies, transitively.
with_dependencies[name] := graph.reachable(dependency_graph, {name}) if some name, _ in capabilities

# depends[capability] = its dependencies, transitively (an active capability needs them active).
depends[name] := with_dependencies[name] - {name} if some name, _ in capabilities

# ---------------------------------------------------------------------------------------------
# The snapshot and the evaluation time.
# ---------------------------------------------------------------------------------------------

snapshot := input.snapshot

at_ns := time.parse_rfc3339_ns(input.at)

at_date := time.date(at_ns)

# A provider snapshot carries the provider's `requirements` map (even `{}`); a draft does not.
listed := snapshot.requirements if is_object(snapshot.requirements)

listed := {} if is_draft

is_draft if not is_object(snapshot.requirements)

# (a, b, c) A capability is live when requested and not inactive.
capability_entry(name) := entry if {
	entry := snapshot.capabilities[name]
	is_object(entry)
}

live contains name if {
	some name, _ in capabilities
	entry := capability_entry(name)
	entry.requested == true
	not entry.status == "inactive"
}

provider_active contains name if {
	some name in live
	capability_entry(name).status == "active"
}

# ---------------------------------------------------------------------------------------------
# (d) Which requirements block, and whom.
# ---------------------------------------------------------------------------------------------

# Requirements a live capability needs by the rules, and every requirement the provider lists.
reported contains key if {
	some name in live
	some key in needs[name]
}

reported contains key if some key, _ in listed

# The live capabilities each reported requirement impacts: by the rules, and by the provider.
impact[key] := {name |
	some name in live
	key in needs[name]
} | {name |
	some name in object.get(listed[key], "impact", [])
	name in live
} if {
	some key in reported
}

blocking contains key if {
	some key in reported
	provider_blocks(listed[key])
}

blocking contains key if {
	some key in reported
	local_blocks(key, requirements[key])
}

# The provider's own status. `overdue` is the older name of `past_due`; an unknown status is
# treated as `pending`; `eventually_due` never blocks; `due` blocks unless every deadline that
# applies is still in the future (a grace period).
known_statuses := {"due", "past_due", "overdue", "pending", "rejected", "eventually_due"}

provider_blocks(entry) if entry.status in {"past_due", "overdue", "pending", "rejected"}

provider_blocks(entry) if not entry.status in known_statuses

provider_blocks(entry) if {
	entry.status == "due"
	versions := object.get(entry, "tosVersions", [])
	count(versions) == 0
	due_now(object.get(entry, "deadline", null))
}

provider_blocks(entry) if {
	entry.status == "due"
	some version in object.get(entry, "tosVersions", [])
	due_now(object.get(version, "deadline", null))
}

# A due item blocks when it has no deadline, or its deadline has passed.
due_now(null) := true

due_now(deadline) if {
	deadline != null
	time.parse_rfc3339_ns(deadline) <= at_ns
}

# The snapshot's own data. Acceptances are always checked; fields and attestations only in a
# draft, for requirements the provider does not list (a provider lists what is outstanding).
local_blocks(key, definition) if {
	definition.kind == "acceptance"
	some version in definition.versions
	not version_accepted(version)
	due_now(earliest(object.get(version, "deadline", null), object.get(definition, "deadline", null)))
}

local_blocks(key, definition) if {
	object.get(definition, "kind", "field") == "field"
	is_draft
	not field_met(definition)
	due_now(object.get(definition, "deadline", null))
}

local_blocks(key, definition) if {
	definition.kind == "attestation"
	is_draft
	some form in definition.forms
	not form_attested(form)
	due_now(object.get(definition, "deadline", null))
}

version_accepted(version) if {
	some acceptance in object.get(snapshot, "tosAcceptances", [])
	acceptance.versionId == version.id
	acceptance.language in version.languages
	time.parse_rfc3339_ns(acceptance.acceptedAt) <= at_ns
}

form_attested(form) if {
	some attestation in object.get(snapshot, "taxAttestations", [])
	attestation.form == form
	time.parse_rfc3339_ns(attestation.acceptedAt) <= at_ns
}

earliest(null, b) := b

earliest(a, null) := a if a != null

earliest(a, b) := a if {
	b != null
	time.parse_rfc3339_ns(a) <= time.parse_rfc3339_ns(b)
}

earliest(a, b) := b if {
	a != null
	time.parse_rfc3339_ns(b) < time.parse_rfc3339_ns(a)
}

# ---------------------------------------------------------------------------------------------
# Field checks.
# ---------------------------------------------------------------------------------------------

# The first path present (null counts as absent).
field_value(paths) := values[0] if {
	values := [value |
		some path in paths
		value := object.get(snapshot, path, null)
		value != null
	]
	count(values) > 0
}

field_met(definition) if {
	value := field_value(definition.paths)
	not blank_object(value, definition)
	every check in definition.checks {
		passes(check, value)
	}
}

field_met(definition) if {
	object.get(definition, "optional", false)
	not present(definition)
}

present(definition) if {
	value := field_value(definition.paths)
	not blank_object(value, definition)
}

# An object of only nulls (`dateOfBirth: {}`) counts as not provided.
blank_object(value, definition) if {
	is_object(value)
	count(definition.checks) > 0
	every _, part in value {
		part == null
	}
}

passes(check, value) if {
	check.kind == "non_empty"
	not empty(value)
}

passes(check, value) if {
	check.kind == "one_of"
	value in check.values
}

passes(check, value) if {
	check.kind == "pattern"
	is_string(value)
	regex.match(check.pattern, value)
}

passes(check, value) if {
	check.kind == "length"
	is_string(value)
	count(value) >= object.get(check, "min", 0)
	not too_long(check, value)
}

passes(check, value) if {
	check.kind == "date_parts"
	valid_date(value, object.get(check, "allow_future", false))
}

empty(value) if {
	is_string(value)
	trim_space(value) == ""
}

empty([]) := true

empty({}) := true

too_long(check, value) if count(value) > check.max

# {day, month, year} strings, day and month with one or two digits, a four-digit year, a real
# calendar date, not after the evaluation date unless allowed.
valid_date(value, allow_future) if {
	is_object(value)
	is_string(value.day)
	is_string(value.month)
	is_string(value.year)
	regex.match("^[0-9]{1,2}$", value.day)
	regex.match("^[0-9]{1,2}$", value.month)
	regex.match("^[0-9]{4}$", value.year)
	day := digits_value(value.day)
	month := digits_value(value.month)
	year := digits_value(value.year)
	month >= 1
	month <= 12
	day >= 1
	day <= days_in_month(year, month)
	not_in_future(year, month, day, allow_future)
}

# The number a string of ASCII digits spells, leading zeros allowed ("07"); regorus's
# to_number rejects leading zeros, as JSON does.
digits_value(digits) := 0 if trim_left(digits, "0") == ""

digits_value(digits) := to_number(trimmed) if {
	trimmed := trim_left(digits, "0")
	trimmed != ""
}

not_in_future(_, _, _, true) := true

not_in_future(year, month, day, false) if {
	(year * 10000 + month * 100) + day <= (at_date[0] * 10000 + at_date[1] * 100) + at_date[2]
}

days_in_month(year, 2) := 29 if leap_year(year)

days_in_month(year, 2) := 28 if not leap_year(year)

days_in_month(_, month) := 30 if month in {4, 6, 9, 11}

days_in_month(_, month) := 31 if month in {1, 3, 5, 7, 8, 10, 12}

leap_year(year) if {
	year % 4 == 0
	year % 100 != 0
}

leap_year(year) if year % 400 == 0

# ---------------------------------------------------------------------------------------------
# (g, h) Capability statuses and the decision.
# ---------------------------------------------------------------------------------------------

blocked_by[name] := {key |
	some key in blocking
	name in impact[key]
} if {
	some name in live
}

# Active: the provider activated it, nothing it needs is blocking, and its dependencies
# (transitively) are likewise.
base_active contains name if {
	some name in provider_active
	count(blocked_by[name]) == 0
}

active contains name if {
	some name in base_active
	every dep in depends[name] {
		dep in base_active
	}
}

decision := {
	"allowed": sort(active),
	"blocked_by": {name: sort(keys) |
		some name, keys in blocked_by
		not name in active
	},
}

