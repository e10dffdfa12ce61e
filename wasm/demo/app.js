// The capgate onboarding demo: a customer onboarding form and a provider-snapshot viewer,
// both evaluated live by the capgate WebAssembly build with its embedded default rules.
//
// Nothing leaves the page: the form is turned into a draft snapshot (the shape sent to
// POST /v2/customers) and evaluated locally on every change. The SSN and the date of birth are
// never written anywhere but their own inputs (the JSON preview masks them, and nothing is logged).
import init, { Engine } from "../pkg/capgate.js";

// ------------------------------------------------------------------------------------------
// Static content: labels and messages. Enumeration values are the exact wire values of
// rules/coinbase-customers.toml (the browser test checks the options against that file).
// ------------------------------------------------------------------------------------------

const CAPABILITIES = {
  custodyCrypto: { label: "Crypto custody", description: "Hold cryptocurrency in a Coinbase custodial account" },
  custodyFiat: { label: "Fiat custody", description: "Hold fiat currency (USD) in a Coinbase custodial account" },
  custodyStablecoin: { label: "Stablecoin custody", description: "Hold stablecoin in a Coinbase custodial account" },
  tradeCrypto: { label: "Crypto trading", description: "Trade cryptocurrency; needs more profile details" },
  tradeStablecoin: { label: "Stablecoin trading", description: "Convert between stablecoins" },
  transferCrypto: { label: "Crypto transfers", description: "Send onchain crypto transfers" },
  transferFiat: { label: "Fiat transfers", description: "Send Fedwire, SWIFT and SEPA transfers; needs a W\u20119" },
  transferStablecoin: { label: "Stablecoin transfers", description: "Send stablecoin transfers" },
};

const PURPOSE_OF_ACCOUNT = [
  ["investing", "Investing"],
  ["long_term_investment", "Long-term investment"],
  ["short_term_investment", "Short-term investment"],
  ["trading", "Trading"],
  ["trading_on_coinbase", "Trading on Coinbase"],
  ["trading_on_other_exchanges", "Trading on other exchanges"],
  ["day_trading", "Day trading"],
  ["arbitrage_trading", "Arbitrage trading"],
  ["online_purchases", "Online purchases"],
  ["online_payments", "Online payments"],
  ["payments_or_gifts", "Payments or gifts"],
  ["payments_to_friends", "Payments to friends"],
  ["transfer_crypto", "Transferring crypto"],
  ["investing_on_other_exchanges", "Investing on other exchanges"],
  ["business", "Business"],
  ["other", "Other"],
];

const SOURCE_OF_FUNDS = [
  ["salary", "Salary"],
  ["employment_business_income", "Employment or business income"],
  ["investments", "Investments"],
  ["savings", "Savings"],
  ["pension", "Pension"],
  ["business_earnings", "Business earnings"],
  ["crypto_assets", "Crypto assets"],
  ["inheritance", "Inheritance"],
  ["sale_of_assets", "Sale of assets"],
  ["sale_of_company_shares_or_dividends", "Sale of company shares or dividends"],
  ["sale_of_property", "Sale of property"],
  ["sale_of_other_assets", "Sale of other assets"],
  ["credit_or_loan", "Credit or loan"],
  ["government_benefits_or_credits", "Government benefits or credits"],
  ["legal_settlement", "Legal settlement"],
  ["family_or_third_party", "Family or a third party"],
  ["lottery_or_gambling", "Lottery or gambling winnings"],
  ["crypto_mining", "Crypto mining"],
  ["other", "Other"],
];

const EMPLOYMENT_STATUS = [
  ["employed_fulltime", "Employed full-time"],
  ["employed_parttime", "Employed part-time"],
  ["self_employed", "Self-employed"],
  ["employed_government_official", "Government official"],
  ["employed_company_officer_or_board_member", "Company officer or board member"],
  ["employed_crypto_related_business", "Employed by a crypto-related business"],
  ["personal_trader_or_angel_investor", "Personal trader or angel investor"],
  ["crypto_miner", "Crypto miner"],
  ["student", "Student"],
  ["retired", "Retired"],
  ["homemaker", "Homemaker"],
  ["unemployed", "Unemployed"],
  ["dependent", "Dependent"],
];

const OCCUPATION = [
  ["agriculture", "Agriculture"],
  ["arts_and_media", "Arts and media"],
  ["casinos_and_gaming", "Casinos and gaming"],
  ["construction", "Construction"],
  ["cryptocurrency", "Cryptocurrency"],
  ["defense", "Defense"],
  ["education", "Education"],
  ["energy_oil_and_gas", "Energy: oil and gas"],
  ["energy_other", "Energy: other"],
  ["entertainment", "Entertainment"],
  ["finance", "Finance"],
  ["financial_services_non_crypto", "Financial services (non-crypto)"],
  ["fintech_non_crypto_software_development", "Fintech (non-crypto): software development"],
  ["fintech_non_crypto_internet_only_financial_institution", "Fintech (non-crypto): internet-only financial institution"],
  ["fintech_non_crypto_other", "Fintech (non-crypto): other"],
  ["food_and_hospitality", "Food and hospitality"],
  ["government", "Government"],
  ["health_and_fitness", "Health and fitness"],
  ["healthcare", "Healthcare"],
  ["healthcare_other", "Healthcare: other"],
  ["healthcare_pharmaceuticals", "Healthcare: pharmaceuticals"],
  ["mining", "Mining"],
  ["mining_crypto", "Mining: crypto"],
  ["non_profit_and_charity", "Non-profit and charity"],
  ["pharma_industry", "Pharmaceutical industry"],
  ["politics", "Politics"],
  ["professional_services", "Professional services"],
  ["property_and_construction_building_work", "Property and construction: building work"],
  ["property_and_construction_commercial_and_management", "Property and construction: commercial and management"],
  ["property_and_construction_design", "Property and construction: design"],
  ["real_estate", "Real estate"],
  ["retail_fashion", "Retail: fashion"],
  ["retail_food_and_beverage", "Retail: food and beverage"],
  ["retail_jewelry_and_antiques", "Retail: jewelry and antiques"],
  ["retail_other", "Retail: other"],
  ["retail_pharmacy", "Retail: pharmacy"],
  ["technology", "Technology"],
  ["technology_and_it", "Technology and IT"],
  ["transportation", "Transportation"],
  ["all_other_industries_and_services", "All other industries and services"],
  ["dependent_student_unemployed", "Dependent, student or unemployed"],
  ["other", "Other"],
];

const EXPECTED_VOLUME = [
  ["under_1k", "Under $1,000"],
  ["1k_to_10k", "$1,000 to $10,000"],
  ["10k_to_100k", "$10,000 to $100,000"],
  ["100k_to_250k", "$100,000 to $250,000"],
  ["250k_to_750k", "$250,000 to $750,000"],
  ["750k_to_1_5m", "$750,000 to $1.5 million"],
  ["1_5m_plus", "More than $1.5 million"],
];

const COUNTRIES = [["US", "United States"]];

const US_STATES = [
  ["AL", "Alabama"], ["AK", "Alaska"], ["AZ", "Arizona"], ["AR", "Arkansas"], ["CA", "California"],
  ["CO", "Colorado"], ["CT", "Connecticut"], ["DE", "Delaware"], ["DC", "District of Columbia"],
  ["FL", "Florida"], ["GA", "Georgia"], ["HI", "Hawaii"], ["ID", "Idaho"], ["IL", "Illinois"],
  ["IN", "Indiana"], ["IA", "Iowa"], ["KS", "Kansas"], ["KY", "Kentucky"], ["LA", "Louisiana"],
  ["ME", "Maine"], ["MD", "Maryland"], ["MA", "Massachusetts"], ["MI", "Michigan"], ["MN", "Minnesota"],
  ["MS", "Mississippi"], ["MO", "Missouri"], ["MT", "Montana"], ["NE", "Nebraska"], ["NV", "Nevada"],
  ["NH", "New Hampshire"], ["NJ", "New Jersey"], ["NM", "New Mexico"], ["NY", "New York"],
  ["NC", "North Carolina"], ["ND", "North Dakota"], ["OH", "Ohio"], ["OK", "Oklahoma"], ["OR", "Oregon"],
  ["PA", "Pennsylvania"], ["RI", "Rhode Island"], ["SC", "South Carolina"], ["SD", "South Dakota"],
  ["TN", "Tennessee"], ["TX", "Texas"], ["UT", "Utah"], ["VT", "Vermont"], ["VA", "Virginia"],
  ["WA", "Washington"], ["WV", "West Virginia"], ["WI", "Wisconsin"], ["WY", "Wyoming"],
  ["AS", "American Samoa"], ["GU", "Guam"], ["MP", "Northern Mariana Islands"], ["PR", "Puerto Rico"],
  ["VI", "U.S. Virgin Islands"],
];

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"].map((name, i) => [String(i + 1), name]);

/** Select id -> [options, placeholder]. */
const SELECTS = {
  dobMonth: [MONTHS, "Month"],
  citizenship: [COUNTRIES, "Choose citizenship"],
  addressSubdivision: [US_STATES, "Choose state"],
  addressCountryCode: [COUNTRIES, "Choose country"],
  purposeOfAccount: [PURPOSE_OF_ACCOUNT, "Choose a purpose"],
  sourceOfFunds: [SOURCE_OF_FUNDS, "Choose a source"],
  employmentStatus: [EMPLOYMENT_STATUS, "Choose a status"],
  occupation: [OCCUPATION, "Choose an industry"],
  expectedVolume: [EXPECTED_VOLUME, "Choose a range"],
};

/**
 * Requirement key -> short label, the input to focus, what to do when it is missing, and
 * messages for the error codes the rules can produce for it (falling back to ERROR_TEXT).
 * The order is the form's order, used for the list of what is still needed.
 */
const REQUIREMENTS = {
  firstName: { label: "First name", focus: "firstName", todo: "Enter your legal first name" },
  lastName: { label: "Last name", focus: "lastName", todo: "Enter your legal last name" },
  dateOfBirth: {
    label: "Date of birth", focus: "dobMonth", todo: "Enter your date of birth",
    errors: {
      incomplete_date: "Complete your date of birth: month, day and year",
      invalid_format: "Enter the day as a number from 1 to 31 and the year with four digits",
      invalid_date: "That date does not exist: check the day and month",
      date_in_future: "Your date of birth cannot be in the future",
    },
  },
  fullSsn: {
    label: "Social Security number", focus: "fullSsn", todo: "Enter your Social Security number as 123-45-6789",
    errors: { invalid_format: "Enter your Social Security number as 123-45-6789, with the dashes" },
  },
  ssnLast4: {
    label: "Last 4 of SSN", focus: "fullSsn", todo: "Enter the last four digits of your Social Security number",
  },
  citizenship: {
    label: "Citizenship", focus: "citizenship", todo: "Choose your citizenship",
    errors: { value_not_allowed: "Only US citizens can be onboarded for now" },
  },
  email: {
    label: "Email", focus: "email", todo: "Enter your email address",
    errors: {
      invalid_format: "Enter a valid email address, like name@example.com",
      too_long: "Use an email address of at most 254 characters",
    },
  },
  phoneNumber: {
    label: "Phone number", focus: "phoneNumber", todo: "Enter your mobile number, like +15551234567",
    errors: { invalid_format: "Enter your number in international format: + and country code, like +15551234567" },
  },
  addressLine1: { label: "Street address", focus: "addressLine1", todo: "Enter your street address" },
  addressLine2: { label: "Address line 2", focus: "addressLine2", todo: "Check the second address line" },
  addressCity: { label: "City", focus: "addressCity", todo: "Enter your city" },
  addressSubdivision: {
    label: "State", focus: "addressSubdivision", todo: "Choose your state",
    errors: { invalid_format: "Choose your state from the list" },
  },
  addressPostalCode: { label: "ZIP code", focus: "addressPostalCode", todo: "Enter your ZIP code" },
  addressCountryCode: {
    label: "Country", focus: "addressCountryCode", todo: "Choose the country of your address",
    errors: { value_not_allowed: "Only US addresses are supported" },
  },
  purposeOfAccount: { label: "Purpose of account", focus: "purposeOfAccount", todo: "Choose the purpose of the account" },
  sourceOfFunds: { label: "Source of funds", focus: "sourceOfFunds", todo: "Choose your source of funds" },
  employmentStatus: { label: "Employment status", focus: "employmentStatus", todo: "Choose your employment status" },
  occupation: { label: "Occupation", focus: "occupation", todo: "Choose your occupation (industry)" },
  expectedVolume: { label: "Expected volume", focus: "expectedVolume", todo: "Choose your expected annual volume" },
  tos: {
    label: "Terms of Service", focus: "tosAccept", todo: "Accept the Terms of Service",
    errors: {
      unsupported_tos_language: "Accept the Terms of Service in a language they are published in",
      accepted_after_at: "The Terms of Service acceptance is dated after the evaluation time",
    },
  },
  taxAttestation: {
    label: "W\u20119 attestation", focus: "w9Sign", todo: "Sign the IRS Form W\u20119 attestation",
    errors: { accepted_after_at: "The W\u20119 attestation is dated after the evaluation time" },
  },
};
const REQUIREMENT_ORDER = Object.keys(REQUIREMENTS);

/** Messages for field error codes, when a requirement has no specific one. */
const ERROR_TEXT = {
  empty: (label) => `${label} cannot be blank`,
  invalid_type: (label) => `${label} has the wrong type`,
  invalid_format: (label) => `${label} is not in the expected format`,
  value_not_allowed: (label) => `Choose one of the listed options for ${label.toLowerCase()}`,
  too_short: (label) => `${label} is too short`,
  too_long: (label) => `${label} is too long`,
  incomplete_date: () => "Complete the date: month, day and year",
  invalid_date: () => "That date does not exist",
  date_in_future: () => "The date cannot be in the future",
  invalid_ip_address: () => "Enter a valid IPv4 or IPv6 address",
  unsupported_tos_language: () => "Accept in a language the document is published in",
  accepted_after_at: () => "Dated after the evaluation time",
};

const STATUS_TEXT = {
  unrequested: "not requested",
  pending: "pending",
  active: "active",
  inactive: "inactive",
  due: "due",
  past_due: "past due",
  rejected: "rejected",
  eventually_due: "eventually due",
};

/** The built-in provider example: two ToS/W-9 deadlines in the future of 2026-11-22. */
const PROVIDER_EXAMPLE = {
  customerId: "customer_3f6c2a91-7d4e-4b8a-a1c5-92e07b4d6f18",
  type: "individual",
  individual: { firstName: "Jane", lastName: "Doe", email: "jane.doe@example.com" },
  capabilities: {
    custodyCrypto: { requested: true, status: "active" },
    custodyFiat: { requested: true, status: "active" },
    custodyStablecoin: { requested: true, status: "active" },
    tradeCrypto: { requested: true, status: "pending" },
    tradeStablecoin: { requested: false, status: "unrequested" },
    transferCrypto: { requested: true, status: "active" },
    transferFiat: { requested: true, status: "active" },
    transferStablecoin: { requested: false, status: "unrequested" },
  },
  requirements: {
    occupation: { status: "due", impact: ["tradeCrypto"] },
    taxAttestation: { status: "due", deadline: "2026-12-31T23:59:59Z", impact: ["transferFiat"], taxForms: ["us_w9"] },
    tos: {
      status: "due",
      deadline: "2027-01-31T23:59:59Z",
      impact: ["custodyCrypto", "custodyFiat", "custodyStablecoin", "tradeCrypto", "transferCrypto", "transferFiat"],
      tosVersions: [{
        versionId: "us_individual_2027-01-01",
        languages: ["en"],
        url: "https://docs.cdp.coinbase.com/legal/terms/us_individual_2027-01-01",
        deadline: "2027-01-31T23:59:59Z",
      }],
    },
  },
  projectIds: ["5b7f0c1e-3d2a-4e8b-9f61-0a4c7d2e9b35"],
  tosAcceptances: [{ versionId: "us_individual_2026-05-29", language: "en", acceptedAt: "2026-06-03T09:12:44Z" }],
  createdAt: "2026-03-02T16:41:07Z",
  updatedAt: "2026-11-18T10:22:31Z",
};

/** Sandbox sample data (the magic SSN 000-00-0000 approves instantly in Sandbox). */
const SAMPLE = {
  firstName: "Jane", lastName: "Doe", dobMonth: "1", dobDay: "15", dobYear: "1987", fullSsn: "000-00-0000",
  citizenship: "US", email: "jane.doe@example.com", phoneNumber: "+16175551212",
  addressLine1: "500 Main St", addressLine2: "", addressCity: "Boston", addressSubdivision: "MA",
  addressPostalCode: "02108", addressCountryCode: "US", purposeOfAccount: "investing", sourceOfFunds: "salary",
  employmentStatus: "employed_fulltime", occupation: "technology", expectedVolume: "1k_to_10k",
};

// ------------------------------------------------------------------------------------------
// Small helpers
// ------------------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const DAY_MS = 86_400_000;

/** Creates an element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

const capLabel = (name) => CAPABILITIES[name]?.label ?? name;
const reqLabel = (key) => REQUIREMENTS[key]?.label ?? key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());

const DATE_FORMAT = new Intl.DateTimeFormat("en-US", {
  timeZone: "UTC", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});

/** "Jan 31, 2027, 23:59 UTC" (always UTC, so the page reads the same everywhere). */
function formatTime(rfc3339) {
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? rfc3339 : `${DATE_FORMAT.format(ms)} UTC`;
}

/** A `datetime-local` value ("2026-11-22T12:00") for an instant, in UTC. */
const toLocalInput = (ms) => new Date(ms).toISOString().slice(0, 16);

function badge(status, text = STATUS_TEXT[status] ?? status) {
  return h("span", { class: `badge badge-${status}` }, text);
}

/** The message for one requirement: what to do, or what is wrong with the value given. */
function requirementMessage(key, requirement) {
  const info = REQUIREMENTS[key];
  const label = reqLabel(key);
  const error = requirement.errors?.[0];
  if (error) return info?.errors?.[error.code] ?? ERROR_TEXT[error.code]?.(label) ?? `${label}: ${error.code}`;
  return info?.todo ?? `Provide ${label.toLowerCase()}`;
}

function errorMessage(key, code) {
  return REQUIREMENTS[key]?.errors?.[code] ?? ERROR_TEXT[code]?.(reqLabel(key)) ?? code;
}

/** Text with its format examples (123-45-6789, +15551234567) kept on one line. */
function keepTogether(text) {
  return text.split(/(\d{3}-\d{2}-\d{4}|\+\d{6,15})/).map((part, i) => (i % 2 ? h("span", { class: "nowrap" }, part) : part)).filter((part) => part !== "");
}

/** Masks a value for display: letters and digits become dots, the shape stays. */
function mask(value) {
  if (typeof value === "string") return value.replace(/[0-9A-Za-z]/g, "•");
  if (Array.isArray(value)) return value.map(mask);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  return value;
}

/** A copy of `snapshot` with the values at the engine's sensitive JSON pointers masked. */
function redact(snapshot, pointers) {
  const copy = structuredClone(snapshot);
  for (const pointer of pointers) {
    const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = parts.pop();
    let node = copy;
    for (const part of parts) node = node && typeof node === "object" ? node[part] : undefined;
    if (node && typeof node === "object" && last !== undefined && node[last] !== undefined) node[last] = mask(node[last]);
  }
  return copy;
}

// ------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------

let engine;
const state = {
  /** The evaluation time, RFC 3339 in UTC with minutes ("2026-11-22T12:00:00Z"). */
  at: "",
  /** Requirement keys each capability needs (from evaluating an empty draft requesting it). */
  needs: {},
  /** The ToS versions to accept, from the `tos` requirement's `tosVersions`. */
  tosVersions: [],
  /** Whether the focus is inside the date-of-birth group (an incomplete date is not flagged then). */
  dobFocused: false,
};

// ------------------------------------------------------------------------------------------
// Set-up
// ------------------------------------------------------------------------------------------

function fillSelects() {
  for (const [id, [options, placeholder]] of Object.entries(SELECTS)) {
    const select = $(id);
    select.replaceChildren(
      h("option", { value: "" }, placeholder),
      ...options.map(([value, label]) => h("option", { value }, label)),
    );
  }
}

function buildCapabilityChoices() {
  const container = $("capability-choices");
  container.replaceChildren(...engine.capabilities.map((name) => {
    const info = CAPABILITIES[name] ?? { label: name, description: "" };
    return h("label", { class: "cap-choice", "data-capability": name },
      h("input", { type: "checkbox", name: "capability", value: name }),
      h("span", { class: "cap-choice-text" },
        h("span", { class: "cap-choice-title" }, info.label, h("code", {}, name)),
        h("span", { class: "cap-choice-desc" }, info.description)));
  }));
}

/** Learns what each capability needs, and the current ToS versions, from the rules themselves. */
function learnRules() {
  state.needs = {};
  for (const name of engine.capabilities) {
    const evaluation = engine.evaluate({ capabilities: { [name]: { requested: true } } }, state.at);
    const keys = new Set(Object.keys(evaluation.requirements));
    // addressLine2 is optional, so an empty draft never lists it; it belongs with the address.
    if (keys.has("addressLine1")) keys.add("addressLine2");
    state.needs[name] = keys;
    const versions = evaluation.requirements.tos?.tosVersions;
    if (versions?.length) state.tosVersions = versions;
  }
}

// ------------------------------------------------------------------------------------------
// Onboarding form
// ------------------------------------------------------------------------------------------

function requestedCapabilities() {
  return [...document.querySelectorAll('input[name="capability"]:checked')].map((input) => input.value);
}

/** The draft snapshot the form describes (the shape of a POST /v2/customers body). */
function buildSnapshot() {
  const value = (id) => $(id).value.trim();
  const individual = {};
  const put = (target, key, id) => {
    const v = value(id);
    if (v !== "") target[key] = v;
  };
  put(individual, "firstName", "firstName");
  put(individual, "lastName", "lastName");
  const dateOfBirth = {};
  put(dateOfBirth, "day", "dobDay");
  put(dateOfBirth, "month", "dobMonth");
  put(dateOfBirth, "year", "dobYear");
  if (Object.keys(dateOfBirth).length) individual.dateOfBirth = dateOfBirth;
  put(individual, "fullSsn", "fullSsn");
  put(individual, "citizenship", "citizenship");
  put(individual, "email", "email");
  put(individual, "phoneNumber", "phoneNumber");
  const address = {};
  put(address, "line1", "addressLine1");
  put(address, "line2", "addressLine2");
  put(address, "city", "addressCity");
  put(address, "state", "addressSubdivision");
  put(address, "postCode", "addressPostalCode");
  put(address, "countryCode", "addressCountryCode");
  if (Object.keys(address).length) individual.address = address;
  for (const key of ["purposeOfAccount", "sourceOfFunds", "employmentStatus", "occupation", "expectedVolume"]) {
    put(individual, key, key);
  }

  const snapshot = {
    type: "individual",
    individual,
    capabilities: Object.fromEntries(requestedCapabilities().map((name) => [name, { requested: true }])),
  };
  if ($("tosAccept").checked && state.tosVersions.length) {
    snapshot.tosAcceptances = state.tosVersions.map((version) => ({
      versionId: version.versionId,
      language: version.languages.includes("en") ? "en" : version.languages[0],
      acceptedAt: state.at,
    }));
  }
  if ($("w9Sign").checked) {
    snapshot.taxAttestations = [{
      form: "us_w9",
      isExemptBackupWithholding: $("w9Exempt").checked,
      edeliveryConsent: $("w9Edelivery").checked,
      acceptedAt: state.at,
    }];
  }
  return snapshot;
}

/** The form elements that carry a JSON pointer, longest pointer first. */
let pathTargets = [];

/** The `.field` an error's JSON pointer belongs to (the longest `data-path` prefix). */
function fieldForPath(pointer) {
  const target = pathTargets.find(({ path }) => pointer === path || pointer.startsWith(`${path}/`));
  return target?.field ?? null;
}

function clearFieldErrors() {
  for (const field of document.querySelectorAll("#onboarding-form .field.invalid")) {
    field.classList.remove("invalid");
    field.querySelector(".field-error")?.remove();
    for (const input of field.querySelectorAll("input, select")) {
      input.removeAttribute("aria-invalid");
      const described = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && !id.startsWith("error-"));
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    }
  }
}

function flagField(field, key, message) {
  if (field.classList.contains("invalid")) return; // the first error wins
  const id = `error-${field.dataset.requirement ?? key}`;
  field.classList.add("invalid");
  field.append(h("p", { class: "field-error", id }, h("span", {}, ...keepTogether(message))));
  for (const input of field.querySelectorAll("input, select")) {
    input.setAttribute("aria-invalid", "true");
    const described = (input.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    input.setAttribute("aria-describedby", [...described, id].join(" "));
  }
}

function renderOnboarding() {
  const requested = requestedCapabilities();
  const snapshot = buildSnapshot();
  let evaluation;
  try {
    evaluation = engine.evaluate(snapshot, state.at);
  } catch (error) {
    showFatal(`The form could not be evaluated (${error.code ?? "error"}: ${error.message}).`);
    return;
  }
  const versions = evaluation.requirements.tos?.tosVersions;
  if (versions?.length) state.tosVersions = versions;

  const outstanding = evaluation.requirements;
  const needed = new Set(requested.flatMap((name) => [...(state.needs[name] ?? [])]));

  // Fields: de-emphasise what no requested capability needs; tick what is done.
  for (const field of document.querySelectorAll("#onboarding-form .field[data-requirement]")) {
    const key = field.dataset.requirement;
    const isNeeded = needed.has(key);
    field.classList.toggle("unneeded", !isNeeded);
    field.classList.toggle("is-done", isNeeded && key !== "addressLine2" && !(key in outstanding));
  }
  for (const section of document.querySelectorAll("#onboarding-form fieldset[data-section]")) {
    const anyNeeded = [...section.querySelectorAll(".field[data-requirement]")].some((f) => !f.classList.contains("unneeded"));
    section.classList.toggle("unneeded", !anyNeeded);
  }

  // Invalid values, flagged on their field from the errors' JSON pointers.
  clearFieldErrors();
  for (const [key, requirement] of Object.entries(outstanding)) {
    for (const error of requirement.errors ?? []) {
      if (error.code === "incomplete_date" && state.dobFocused) continue;
      const field = fieldForPath(error.path) ?? document.querySelector(`#onboarding-form .field[data-requirement="${key}"]`);
      if (field) flagField(field, key, errorMessage(key, error.code));
    }
  }

  // ToS link and versions.
  const link = $("tos-link");
  const first = state.tosVersions[0];
  if (first?.url) link.href = first.url;
  $("tos-versions").textContent = state.tosVersions.length
    ? ` (version ${state.tosVersions.map((v) => v.versionId).join(", ")})`
    : "";
  const w9 = $("w9Sign").checked;
  for (const id of ["w9Exempt", "w9Edelivery"]) $(id).disabled = !w9;

  renderCapabilityStatus($("onboarding-capabilities"), evaluation);

  // What is still needed, in the form's order.
  const keys = Object.keys(outstanding).sort((a, b) => orderOf(a) - orderOf(b) || a.localeCompare(b));
  $("onboarding-requirements").replaceChildren(...keys.map((key) => {
    const requirement = outstanding[key];
    const focusId = REQUIREMENTS[key]?.focus;
    const invalid = Boolean(requirement.errors?.length);
    return h("li", { "data-requirement": key, "data-status": requirement.status, class: invalid ? "todo-invalid" : "" },
      h("button", { type: "button", class: "todo-link", "data-focus": focusId },
        h("span", { class: "todo-icon", "aria-hidden": "true" }, invalid ? "!" : ""),
        h("span", { class: "todo-text" },
          h("span", { class: "todo-message" }, ...keepTogether(requirementMessage(key, requirement))),
          h("span", { class: "todo-meta" }, `${reqLabel(key)} · for ${requirement.impact.map(capLabel).join(", ") || "no requested capability"}`))));
  }));

  const empty = $("onboarding-empty");
  if (requested.length === 0) {
    empty.textContent = "Choose at least one capability to see what the customer needs to provide.";
    empty.className = "empty-state";
  } else if (keys.length === 0) {
    empty.textContent = "All set. Submit the customer: Coinbase verifies the information before it activates the capabilities.";
    empty.className = "empty-state empty-state-ok";
  } else {
    empty.textContent = "";
    empty.className = "empty-state";
  }
  empty.hidden = empty.textContent === "";

  // Progress: the needed requirements (without the optional second address line) that are met.
  const total = [...needed].filter((key) => key !== "addressLine2").length;
  const open = keys.filter((key) => needed.has(key)).length;
  const done = total - open;
  $("progress-label").textContent = total ? `${done} of ${total} complete` : "";
  $("progress-bar").style.width = total ? `${Math.round((done / total) * 100)}%` : "0%";

  $("snapshot-json").textContent = JSON.stringify(redact(snapshot, engine.sensitivePaths), null, 2);
}

const orderOf = (key) => {
  const i = REQUIREMENT_ORDER.indexOf(key);
  return i === -1 ? REQUIREMENT_ORDER.length : i;
};

/** Whether a pending capability waits only for the provider's verification. */
function waitsOnlyForProvider(waiting) {
  return Boolean(waiting?.provider) && waiting.requirements.length === 0 && waiting.capabilities.length === 0;
}

function renderCapabilityStatus(list, evaluation) {
  list.replaceChildren(...Object.entries(evaluation.capabilities).map(([name, capability]) => {
    const waiting = evaluation.waitingOn[name];
    const onlyProvider = capability.status === "pending" && waitsOnlyForProvider(waiting);
    let detail = "";
    if (capability.status === "pending" && !onlyProvider && waiting) {
      const count = waiting.requirements.length;
      detail = count ? `${count} item${count === 1 ? "" : "s"} to complete` : "";
    }
    return h("li", {
      "data-capability": name,
      "data-status": capability.status,
      "data-waiting": onlyProvider ? "provider" : undefined,
      class: capability.requested ? "" : "is-unrequested",
    },
    h("span", { class: "cap-name" },
      capLabel(name),
      detail && h("span", { class: "cap-detail" }, detail),
      onlyProvider && h("span", { class: "cap-detail" }, badge("waiting", "waiting for verification"))),
    h("span", { class: "cap-badges" }, badge(capability.status)));
  }));
}

// ------------------------------------------------------------------------------------------
// Provider snapshot panel
// ------------------------------------------------------------------------------------------

function renderProvider() {
  const text = $("provider-json").value;
  const errorBox = $("provider-error");
  const result = $("provider-result");
  const summary = $("provider-summary");
  errorBox.hidden = true;
  errorBox.replaceChildren();
  errorBox.removeAttribute("data-code");
  $("provider-json").classList.remove("invalid");

  if (text.trim() === "") {
    result.hidden = true;
    summary.textContent = "Paste a snapshot or load the example.";
    return;
  }
  let evaluation;
  try {
    evaluation = engine.evaluate(text, state.at);
  } catch (error) {
    result.hidden = true;
    summary.textContent = `The snapshot could not be read (${typeof error?.code === "string" ? error.code : "error"}).`;
    showProviderError(error);
    return;
  }
  result.hidden = false;

  const pendingCount = Object.values(evaluation.capabilities).filter((c) => c.status === "pending").length;
  summary.textContent = `${evaluation.allowed.length} active, ${pendingCount} pending, ${Object.keys(evaluation.requirements).length} requirement${Object.keys(evaluation.requirements).length === 1 ? "" : "s"} outstanding.`;
  $("provider-at").textContent = formatTime(evaluation.at);
  $("provider-allowed").replaceChildren(...(evaluation.allowed.length
    ? evaluation.allowed.map((name) => h("span", { class: "chip", "data-allowed": name }, capLabel(name)))
    : [h("span", { class: "muted" }, "nothing yet")]));
  const next = $("provider-next");
  if (evaluation.nextTransitionAt) {
    next.replaceChildren(
      h("span", { "data-next": evaluation.nextTransitionAt }, formatTime(evaluation.nextTransitionAt)),
      h("button", { type: "button", class: "btn btn-link", id: "jump-next", "data-at": evaluation.nextTransitionAt }, "Jump there"));
  } else {
    next.replaceChildren(h("span", { class: "muted" }, "nothing scheduled"));
  }

  // Capabilities: the provider's status next to capgate's.
  let provided = {};
  try {
    provided = JSON.parse(text)?.capabilities ?? {};
  } catch {
    provided = {};
  }
  const tbody = $("provider-capabilities").tBodies[0];
  tbody.replaceChildren(...Object.entries(evaluation.capabilities).map(([name, capability]) => {
    const waiting = evaluation.waitingOn[name];
    const reported = typeof provided?.[name]?.status === "string" ? provided[name].status : null;
    const parts = [];
    if (waiting) {
      if (waiting.requirements.length) parts.push(waiting.requirements.map(reqLabel).join(", "));
      if (waiting.capabilities.length) parts.push(waiting.capabilities.map(capLabel).join(", "));
      if (waiting.provider) parts.push("provider verification");
    }
    return h("tr", {
      "data-capability": name,
      "data-status": capability.status,
      class: capability.requested ? "" : "is-unrequested",
    },
    h("th", { scope: "row" }, capLabel(name), h("code", {}, name)),
    h("td", {}, reported ? badge(reported) : h("span", { class: "muted" }, "—")),
    h("td", {}, badge(capability.status)),
    h("td", { class: "small" }, parts.join(" · ") || h("span", { class: "muted" }, "—")));
  }));

  // Outstanding requirements.
  const blocking = new Set(Object.values(evaluation.waitingOn).flatMap((w) => w.requirements));
  const keys = Object.keys(evaluation.requirements).sort((a, b) => orderOf(a) - orderOf(b) || a.localeCompare(b));
  const reqBody = $("provider-requirements").tBodies[0];
  reqBody.replaceChildren(...keys.map((key) => {
    const requirement = evaluation.requirements[key];
    const isBlocking = blocking.has(key);
    const versions = requirement.tosVersions ?? [];
    return h("tr", { "data-requirement": key, "data-status": requirement.status, "data-blocking": String(isBlocking) },
      h("th", { scope: "row" },
        reqLabel(key), h("code", {}, key),
        h("span", { class: "req-action" }, providerAction(key, requirement, isBlocking)),
        versions.length > 0 && h("span", { class: "req-versions" },
          ...versions.map((v) => h("span", {}, v.url
            ? h("a", { href: v.url, target: "_blank", rel: "noopener noreferrer" }, v.versionId)
            : v.versionId, v.deadline ? ` (by ${formatTime(v.deadline)})` : "")))),
      h("td", {}, badge(requirement.status), h("span", { class: isBlocking ? "flag flag-blocking" : "flag" }, isBlocking ? "blocking" : "not blocking")),
      h("td", { class: "small" }, requirement.deadline ? formatTime(requirement.deadline) : h("span", { class: "muted" }, "—")),
      h("td", { class: "small" }, requirement.impact.map(capLabel).join(", ") || h("span", { class: "muted" }, "—")));
  }));
  $("provider-requirements").hidden = keys.length === 0;
  $("provider-requirements-empty").hidden = keys.length !== 0;

  const warnings = $("provider-warnings");
  warnings.hidden = evaluation.warnings.length === 0;
  warnings.replaceChildren(...evaluation.warnings.map((w) => h("li", {}, w)));
}

function providerAction(key, requirement, isBlocking) {
  const todo = requirementMessage(key, requirement);
  switch (requirement.status) {
    case "past_due":
      return `Overdue: ${lowerFirst(todo)}`;
    case "rejected":
      return `Rejected by the provider: ${lowerFirst(todo)} again`;
    case "pending":
      return "Being verified by the provider";
    case "eventually_due":
      return `Needed later: ${lowerFirst(todo)}`;
    default:
      if (!isBlocking && requirement.deadline) return `${todo} before the deadline (grace period)`;
      return todo;
  }
}

const lowerFirst = (text) => text.charAt(0).toLowerCase() + text.slice(1);

function showProviderError(error) {
  const box = $("provider-error");
  const code = typeof error?.code === "string" ? error.code : "error";
  const where = [];
  if (typeof error?.line === "number") where.push(`line ${error.line}, column ${error.column ?? "?"}`);
  if (typeof error?.path === "string") where.push(`path ${error.path === "" ? "(document root)" : error.path}`);
  box.dataset.code = code;
  box.replaceChildren(...[
    h("span", { class: "error-code" }, code),
    h("span", { class: "error-message" }, String(error?.message ?? error)),
    where.length > 0 && h("span", { class: "error-where" }, where.join(" · ")),
    typeof error?.help === "string" && h("span", { class: "error-where" }, error.help),
  ].filter(Boolean));
  box.hidden = false;
  $("provider-json").classList.add("invalid");
  if (typeof error?.line === "number") {
    box.append(h("button", { type: "button", class: "btn btn-link", id: "goto-error", "data-line": error.line, "data-column": error.column ?? 1 }, "Show in the text"));
  }
}

/** Puts the caret at `line`:`column` (1-based) of the snapshot text. */
function gotoPosition(line, column) {
  const textarea = $("provider-json");
  const lines = textarea.value.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i += 1) offset += lines[i].length + 1;
  offset = Math.min(offset + Math.max(column - 1, 0), textarea.value.length);
  textarea.focus();
  textarea.setSelectionRange(offset, Math.min(offset + 1, textarea.value.length));
}

// ------------------------------------------------------------------------------------------
// Time, tabs, wiring
// ------------------------------------------------------------------------------------------

function setAt(ms) {
  const value = toLocalInput(ms);
  $("at").value = value;
  state.at = `${value}:00Z`;
  $("at-error").hidden = true;
  renderAll();
}

function onTimeInput() {
  const value = $("at").value;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? Date.parse(`${value}Z`) : Number.NaN;
  if (Number.isNaN(ms)) {
    $("at-error").hidden = false;
    return;
  }
  $("at-error").hidden = true;
  state.at = new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  renderAll();
}

function renderAll() {
  renderOnboarding();
  renderProvider();
}

function selectTab(which) {
  for (const name of ["onboarding", "provider"]) {
    const selected = name === which;
    const tab = $(`tab-${name}`);
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`panel-${name}`).hidden = !selected;
  }
}

function fillSample() {
  for (const [id, value] of Object.entries(SAMPLE)) $(id).value = value;
  $("tosAccept").checked = true;
  renderOnboarding();
}

function resetForm() {
  $("onboarding-form").reset();
  renderOnboarding();
}

function wire() {
  const form = $("onboarding-form");
  form.addEventListener("input", renderOnboarding);
  form.addEventListener("change", renderOnboarding);

  const dob = form.querySelector(".dob");
  dob.addEventListener("focusin", () => {
    state.dobFocused = true;
  });
  dob.addEventListener("focusout", (event) => {
    if (dob.contains(event.relatedTarget)) return;
    state.dobFocused = false;
    renderOnboarding();
  });

  $("onboarding-requirements").addEventListener("click", (event) => {
    const button = event.target.closest("[data-focus]");
    const target = button && $(button.dataset.focus);
    if (!target) return;
    target.scrollIntoView({ block: "center", behavior: "smooth" });
    target.focus({ preventScroll: true });
  });

  $("fill-sample").addEventListener("click", fillSample);
  $("reset-form").addEventListener("click", resetForm);

  $("at").addEventListener("input", onTimeInput);
  $("at").addEventListener("change", onTimeInput);
  $("at-now").addEventListener("click", () => setAt(Math.floor(Date.now() / 60_000) * 60_000));
  for (const button of document.querySelectorAll("[data-shift-days]")) {
    button.addEventListener("click", () => setAt(Date.parse(state.at) + Number(button.dataset.shiftDays) * DAY_MS));
  }

  const tabs = [$("tab-onboarding"), $("tab-provider")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab.id.replace("tab-", "")));
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const other = tabs.find((t) => t !== tab);
      other.focus();
      selectTab(other.id.replace("tab-", ""));
    });
  }

  $("provider-json").addEventListener("input", renderProvider);
  $("load-example").addEventListener("click", () => {
    $("provider-json").value = JSON.stringify(PROVIDER_EXAMPLE, null, 2);
    renderProvider();
  });
  $("clear-provider").addEventListener("click", () => {
    $("provider-json").value = "";
    renderProvider();
    $("provider-json").focus();
  });
  document.getElementById("panel-provider").addEventListener("click", (event) => {
    const jump = event.target.closest("#jump-next");
    if (jump) setAt(Date.parse(jump.dataset.at));
    const goto = event.target.closest("#goto-error");
    if (goto) gotoPosition(Number(goto.dataset.line), Number(goto.dataset.column));
  });
}

function showFatal(message) {
  const banner = $("fatal");
  banner.textContent = message;
  banner.hidden = false;
}

async function main() {
  try {
    await init();
    engine = Engine.default();
  } catch (error) {
    $("loading").hidden = true;
    showFatal(`The rules engine could not be loaded: ${error?.message ?? error}`);
    return;
  }
  fillSelects();
  buildCapabilityChoices();
  pathTargets = [...document.querySelectorAll("#onboarding-form [data-path]")]
    .map((el) => ({ path: el.dataset.path, field: el.closest(".field") }))
    .filter((t) => t.field)
    .sort((a, b) => b.path.length - a.path.length);

  const nowMinute = Math.floor(Date.now() / 60_000) * 60_000;
  $("at").value = toLocalInput(nowMinute);
  state.at = `${$("at").value}:00Z`;
  learnRules();
  wire();
  $("ruleset").textContent = `Rules: ${engine.id} ${engine.version} · ${engine.hash.slice(0, 19)}…`;
  $("loading").hidden = true;
  const topbar = document.querySelector(".topbar");
  const measure = () => document.documentElement.style.setProperty("--topbar-height", `${topbar.offsetHeight}px`);
  new ResizeObserver(measure).observe(topbar);
  measure();
  document.body.dataset.ready = "true";
  renderAll();
}

main();
