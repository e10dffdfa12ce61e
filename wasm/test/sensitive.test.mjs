// Canaries through the JS API: sensitive snapshot values never appear in a result, a
// `*Json` text, a thrown error (`message`, `String(err)`, `stack`, its fields, `inspect`),
// on success and on every error path. The same canaries as the Rust sweeps
// (tests/sensitive.rs, cli/tests/sensitive.rs).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { inspect } from "node:util";

import { Engine as AuthoringEngine } from "../pkg/authoring-node.js";
import { Engine } from "../pkg/node.js";
import { root } from "./helpers.mjs";

const AT = "2026-11-22T12:00:00Z";
const builtinRules = readFileSync(join(root, "rules", "coinbase-customers.toml"), "utf8");

// Anything spelling `canary` (any case); four-digit ones only between non-alphanumerics.
const NEEDLES = [
  ["canary", false], ["873-19-4062", false], ["873194062", false], ["4062", true],
  ["1931", true], ["1931-07-23", false], ["1947", true], ["5813", true],
  ["73-9184206", false], ["198.51.100.223", false], ["2961", true], ["9183746655", false],
  ["2987", true], ["2987-09-17", false], ["2979", true], ["2979-06-21", false],
];
const alnum = /[a-z0-9]/;

function canariesIn(text) {
  const lower = String(text).toLowerCase();
  return NEEDLES.filter(([needle, bounded]) => {
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) {
      if (!bounded) return true;
      const before = lower[at - 1] ?? " ";
      const after = lower[at + needle.length] ?? " ";
      if (!alnum.test(before) && !alnum.test(after)) return true;
    }
    return false;
  }).map(([needle]) => needle);
}

/** Collects every text the API hands back and the canaries found in it. */
class Sweep {
  constructor() {
    this.texts = 0;
    this.leaks = [];
  }

  text(what, text) {
    this.texts += 1;
    const found = canariesIn(text);
    if (found.length > 0) this.leaks.push(`${what}: ${found.join(", ")} in:\n${String(text).slice(0, 600)}`);
  }

  /** A result: its JSON, its inspection, and the text itself when it is one. */
  value(what, value) {
    if (typeof value === "string") this.text(what, value);
    this.text(`${what} JSON`, JSON.stringify(value));
    this.text(`${what} inspect`, inspect(value, { depth: null }));
  }

  /** A thrown error: every way a host might print or log it. */
  error(what, error) {
    assert.ok(error instanceof Error, `${what}: throws an Error`);
    this.text(`${what} message`, error.message);
    this.text(`${what} String`, String(error));
    this.text(`${what} stack`, error.stack);
    this.text(`${what} JSON`, JSON.stringify(error));
    this.text(`${what} fields`, JSON.stringify(Object.entries(error)));
    this.text(`${what} inspect`, inspect(error, { depth: null, showHidden: true }));
    for (const nested of error.errors ?? []) this.text(`${what} nested`, JSON.stringify(nested));
  }

  /** Calls `fn`; sweeps its result or its error. */
  call(what, fn) {
    try {
      this.value(what, fn());
    } catch (error) {
      this.error(what, error);
    }
  }

  assertClean() {
    assert.deepEqual(this.leaks, [], `${this.leaks.length} leak(s) in ${this.texts} texts:\n${this.leaks.join("\n")}`);
  }
}

// The policy of the Rust sweeps: its own fields, all `sensitive = true`.
const POLICY = `
[requirements.taxpayerId]
path = "individual.taxpayerId"
verified_by = "platform"
sensitive = true
checks = [{ kind = "non_empty" }, { kind = "length", max = 10 }, { kind = "pattern", pattern = '^[0-9]{2}-[0-9]{7}$' }]

[requirements.securityAnswer]
path = "individual.security.answer"
verified_by = "platform"
sensitive = true
optional = true
when = { path = "individual.taxpayerId", present = true }
checks = [{ kind = "one_of", values = ["blue", "green"] }]

[requirements.passportNumber]
path = "individual.passport.number"
verified_by = "platform"
sensitive = true
checks = [{ kind = "length", min = 6, max = 20 }]

[requirements.passportExpiry]
path = "individual.passport.expiry"
verified_by = "platform"
sensitive = true
checks = [{ kind = "date_parts", allow_future = true }]

[requirements.spouseDateOfBirth]
path = "individual.spouse.dateOfBirth"
verified_by = "platform"
sensitive = true
optional = true
checks = [{ kind = "date_parts" }]

[requirements.nationalId]
path = ["individual.nationalId", "nationalId"]
verified_by = "platform"
sensitive = true
checks = [{ kind = "length", min = 8, max = 12 }]

[groups.governmentId]
any_of = [["passportNumber", "passportExpiry"], ["nationalId"]]

[context.deviceIp]
path = "compliance.deviceIpAddress"
sensitive = true
checks = [{ kind = "ip_address" }]

[extend.capabilities.tradeCrypto]
requirements = ["taxpayerId", "securityAnswer", "spouseDateOfBirth"]
groups = ["governmentId"]

[extend.operations.placeCryptoTrade]
context = ["deviceIp"]
`;

const sources = [{ name: "rules/coinbase-customers.toml", text: builtinRules }, { name: "policy.toml", text: POLICY }];

/** The default rules, and the default rules plus the sensitive policy. */
const engines = () => [["default", Engine.default()], ["policy", Engine.fromSources(sources)]];

function base() {
  const capabilities = Object.fromEntries(Engine.default().capabilities.map((name) => [name, { requested: true }]));
  return {
    customerId: "customer_5b0c1a2e",
    capabilities,
    individual: {
      firstName: "Jane", lastName: "Doe", email: "jane@example.com", phoneNumber: "+15555550100",
      address: { line1: "1 Main St", city: "Springfield", state: "IL", postCode: "62701", countryCode: "US" },
      citizenship: "US", purposeOfAccount: "investing", sourceOfFunds: "salary",
      employmentStatus: "employed", occupation: "engineer", expectedVolume: "0_10k",
    },
    tosAcceptances: [{ versionId: "us_individual_2026-05-29", language: "en", acceptedAt: "2026-06-01T10:00:00Z" }],
    compliance: { requesterIpAddress: "192.0.2.10" },
  };
}

function withFields(fields) {
  const value = base();
  for (const [key, field] of Object.entries(fields)) {
    if (key === "deviceIpAddress") value.compliance[key] = field;
    else value.individual[key] = field;
  }
  return value;
}

const clean = () => withFields({
  fullSsn: "123-45-6789", ssnLast4: "6789", dateOfBirth: { day: "01", month: "02", year: "1990" },
  taxpayerId: "12-3456789", passport: { number: "X1234567", expiry: { day: "01", month: "01", year: "2030" } },
  deviceIpAddress: "192.0.2.1",
});

/** Snapshots that parse (as objects). */
function parsingCases() {
  const valid = withFields({
    fullSsn: "873-19-4062", ssnLast4: "4062", dateOfBirth: { day: "23", month: "07", year: "1931" },
    taxpayerId: "73-9184206", security: { answer: "blue" },
    passport: { number: "CANARYPASS8812", expiry: { day: "11", month: "03", year: "2961" } },
    nationalId: "CANARYNID55", deviceIpAddress: "198.51.100.223",
  });
  const provider = structuredClone(valid);
  provider.capabilities.custodyFiat.status = "active";
  provider.capabilities.tradeCrypto.status = "CANARYSTATUS-4062";
  provider.requirements = { fullSsn: { status: "rejected" }, dateOfBirth: { status: "CANARYREQSTATUS-1931" } };
  const unknown = withFields({ fullSsn: "873-19-4062", mothersMaidenName: "CANARYMAIDEN" });
  unknown.notes = { ssn: "873-19-4062", n: 9183746655 };
  return [
    ["valid", valid],
    ["provider", provider],
    ["invalid formats", withFields({
      fullSsn: "873194062", ssnLast4: "CANARYL4",
      dateOfBirth: { day: "CANARYDAY58", month: "07", year: "CANARYYEAR7319" },
      taxpayerId: "CANARYTIN7", security: { answer: "CANARYANSWER31" },
      passport: { number: "CANARYPASSPORT-NUMBER-TOO-LONG", expiry: { day: "30", month: "02", year: "2961" } },
      nationalId: "CANARYNATIONALID-TOO-LONG", deviceIpAddress: "CANARYIP-999.1",
      spouse: { dateOfBirth: { day: "31", month: "02", year: "1947" } },
    })],
    ["wrong types the rules check", withFields({
      dateOfBirth: { day: "31", month: "02", year: "1947" },
      taxpayerId: 9183746655, security: { answer: ["CANARYANSWERARRAY"] },
      passport: { number: { value: "CANARYPASSOBJ" }, expiry: "CANARYEXPIRYSTRING" },
      nationalId: { value: "CANARYNIDOBJ" }, deviceIpAddress: ["198.51.100.223"],
      spouse: { dateOfBirth: { day: 5813, month: "1", year: "1931" } },
    })],
    ["unknown fields", unknown],
  ];
}

/** Snapshot texts that do not parse, with their codes. */
function failingCases() {
  const deep = `{"individual": {"fullSsn": "873-19-4062", "x": ${"[".repeat(130)}"CANARYDEEP"${"]".repeat(130)}}}`;
  return [
    ["ssn number", '{"individual": {"fullSsn": 873194062}}', "CG202"],
    ["ssn object", '{"individual": {"fullSsn": {"value": "873-19-4062"}}}', "CG202"],
    ["dob string", '{"individual": {"dateOfBirth": "CANARYDOB-1931-07-23"}}', "CG202"],
    ["dob day number", '{"individual": {"dateOfBirth": {"day": 5813, "year": "1931"}}}', "CG202"],
    ["last4 number", '{"individual": {"ssnLast4": 4062}}', "CG202"],
    ["duplicate ssn", '{"individual": {"fullSsn": "873-19-4062", "fullSsn": "CANARYDUP"}}', "CG203"],
    ["duplicate year", '{"individual": {"dateOfBirth": {"year": "1931", "year": "1947"}}}', "CG203"],
    ["syntax after value", '{"individual": {"fullSsn": "873-19-4062" "CANARYAFTER"}}', "CG201"],
    ["trailing comma", '{"individual": {"fullSsn": "873-19-4062",}}', "CG201"],
    ["trailing characters", '{"individual": {"fullSsn": "873-19-4062"}} CANARYTRAIL', "CG201"],
    ["bare word", '{"individual": {"fullSsn": CANARYBARE}}', "CG201"],
    ["unquoted ssn", '{"individual": {"fullSsn": 873-19-4062}}', "CG201"],
    ["invalid escape", '{"individual": {"fullSsn": "873-19-4062\\q"}}', "CG201"],
    ["control character", '{"individual": {"fullSsn": "873-19-4062\u0001"}}', "CG201"],
    ["lone surrogate", '{"individual": {"fullSsn": "873-19-4062\\ud800"}}', "CG201"],
    ["truncated after value", '{"individual": {"fullSsn": "873-19-4062"', "CG201"],
    ["truncated in value", '{"individual": {"fullSsn": "CANARYTRUNC', "CG201"],
    ["string document", '"873-19-4062"', "CG202"],
    ["too deep", deep, "CG205"],
    ["invalid timestamp", '{"tosAcceptances": [{"versionId": "v", "language": "en", "acceptedAt": "1931-07-23"}]}', "CG204"],
    ["missing status", '{"individual": {"fullSsn": "873-19-4062"}, "requirements": {"fullSsn": {"note": "CANARYNOTE"}}}', "CG206"],
  ];
}

/** Inputs only JS can give: they never reach the engine as JSON text. */
function jsOnlyInputs() {
  const circular = { individual: { fullSsn: "873-19-4062" } };
  circular.self = circular;
  const throwing = { individual: { fullSsn: "873-19-4062" }, toJSON() { throw new Error("CANARYTOJSON 873-19-4062"); } };
  return [
    ["a BigInt", { individual: { fullSsn: 873194062n } }, "CG201"],
    ["a circular object", circular, "CG201"],
    ["a throwing toJSON", throwing, "CG201"],
    ["a number", 873194062, "CG201"],
    ["a boxed string", new String('{"individual": {"fullSsn": 873194062}}'), "CG202"],
    ["an array", ["873-19-4062", "CANARYARRAY"], "CG202"],
    // JSON.stringify gives `{}`: the entries never reach the engine.
    ["a Map", new Map([["fullSsn", "873-19-4062"]]), null],
  ];
}

const methods = {
  evaluate: (engine, input) => engine.evaluate(input, AT),
  evaluateJson: (engine, input) => engine.evaluateJson(input, AT),
  evaluateEndUser: (engine, input) => engine.evaluateEndUser(input, AT),
};

/** Every call of the runtime API that takes a snapshot. */
function sweepInput(sweep, what, engine, input) {
  for (const [name, call] of Object.entries(methods)) {
    if (typeof engine[name] === "function") sweep.call(`${what} ${name}`, () => call(engine, input));
  }
  for (const operation of [...engine.operations, "noSuchOperation"]) {
    sweep.call(`${what} check ${operation}`, () => engine.check(input, operation, AT));
    sweep.call(`${what} checkJson ${operation}`, () => engine.checkJson(input, operation, AT));
    sweep.call(`${what} explain operation ${operation}`, () => engine.explain(input, { operation }, AT));
  }
  for (const capability of [...engine.capabilities, "noSuchCapability"]) {
    sweep.call(`${what} explain ${capability}`, () => engine.explain(input, { capability }, AT));
  }
  sweep.call(`${what} explain bad target`, () => engine.explain(input, { feature: "tradeCrypto" }, AT));
  sweep.call(`${what} changes from clean`, () => engine.changes(clean(), input, AT));
  sweep.call(`${what} changes to clean`, () => engine.changes(input, clean(), AT));
  sweep.call(`${what} changes to itself`, () => engine.changes(input, input, AT));
  if (typeof engine.withLimits === "function") {
    for (const limits of [{ maxSnapshotBytes: 48 }, { maxDepth: 2 }, { maxItems: 2 }]) {
      const limited = engine.withLimits(limits);
      sweep.call(`${what} ${JSON.stringify(limits)} evaluate`, () => limited.evaluate(input, AT));
      sweep.call(`${what} ${JSON.stringify(limits)} check`, () => limited.check(input, "placeCryptoTrade", AT));
      sweep.call(`${what} ${JSON.stringify(limits)} changes`, () => limited.changes(clean(), input, AT));
    }
  }
}

/** A rule test file embedding `snapshot`, with expectations that all fail. */
function failingTests(snapshot) {
  return `[[test]]
name = "a customer"
at = "${AT}"
snapshot = '''${snapshot}'''
operation = "placeCryptoTrade"
[test.expect]
allowed = ["transferStablecoin"]
capabilities = { custodyCrypto = "inactive", tradeCrypto = "active" }
requirements = { fullSsn = "rejected", dateOfBirth = "rejected", taxpayerId = "rejected" }
errors = { fullSsn = "too_long", dateOfBirth = "too_long", nationalId = "empty" }
decision = "allowed"

[[test]]
name = "an unknown operation"
snapshot = '''${snapshot}'''
operation = "noSuchOperation"
`;
}

const ssn = '{"individual": {"fullSsn": "873-19-4062", "ssnLast4": "4062"}}';
const brokenTests = [
  `[[test]]\nname = "x"\nsnapshot = '${ssn}' CANARYJUNK\n`,
  `[[test]]\nname = "x"\nsnapshot = '${ssn.slice(0, 40)}\n`,
  '[[test]]\nname = "x"\nsnapshot = "{\\"fullSsn\\": \\"873-19-4062\\q\\"}"\n',
  '[[test]]\nname = "x"\nsnapshot = { fullSsn = "873-19-4062" }\n',
  '[[test]]\nname = "x"\nsnapshot = 1931-07-23\n',
  '[[test]]\nname = "x"\nsnapshot = 873-19-4062\n',
  `[[test]]\nname = "x"\nsnapshot = '${ssn}'\nsnapshot = 'CANARYDUP'\n`,
  `[[test]]\nname = "x"\nsnapshot = '{}'\nsnapshott = '${ssn}'\n`,
  `[[test]]\nname = "x"\nat = "CANARYAT-1931-07-23"\nsnapshot = '${ssn}'\n`,
  `[[test]]\nname = "x"\nsnapshot = '${ssn}'\n[test.expect]\nerrors = { fullSsn = 873194062 }\n`,
];

// Every method of the runtime and authoring modules, each swept below.
const COVERED = new Set([
  "default", "fromSources", "lint", "evaluate", "evaluateJson", "evaluateEndUser", "check",
  "checkJson", "explain", "changes", "withLimits", "diff", "runTests",
  // getters: rule metadata only, no snapshot input
  "id", "version", "hash", "capabilities", "operations", "requirementKeys", "sensitivePaths",
]);
const INTERNAL = new Set(["constructor", "free", "__destroy_into_raw", "__wrap", "__wbg_ptr"]);

describe("sensitive values never leak through the JS API", () => {
  test("the sweep covers every method of both modules", () => {
    for (const klass of [Engine, AuthoringEngine]) {
      const names = [...Object.getOwnPropertyNames(klass), ...Object.getOwnPropertyNames(klass.prototype)]
        .filter((name) => typeof name === "string" && !INTERNAL.has(name) && !["length", "name", "prototype"].includes(name));
      const missing = names.filter((name) => !COVERED.has(name));
      assert.deepEqual(missing, [], "methods the sensitive sweep does not cover");
    }
  });

  test("the detector finds every canary (each assertion can fail)", () => {
    const sweep = new Sweep();
    for (const [name, value] of parsingCases()) {
      assert.ok(canariesIn(JSON.stringify(value)).length > 0, name);
      sweep.value(name, value);
    }
    for (const [name, text] of failingCases()) {
      assert.ok(canariesIn(text).length > 0, name);
      sweep.error(name, new Error(text));
    }
    // A value: its JSON and inspection; an Error: message, String, stack, inspect (its JSON
    // and own fields are empty).
    assert.equal(sweep.leaks.length, 2 * parsingCases().length + 4 * failingCases().length);
    for (const [needle, bounded] of NEEDLES) {
      assert.ok(canariesIn(`x ${needle.toUpperCase()} x`).includes(needle), needle);
      if (bounded) assert.ok(!canariesIn(`a${needle}b`).includes(needle), needle);
    }
    assert.deepEqual(canariesIn(JSON.stringify(clean())), []);
    assert.deepEqual(canariesIn(POLICY), []);
  });

  test("the control customer finds no canary", () => {
    const sweep = new Sweep();
    for (const [name, engine] of engines()) {
      sweepInput(sweep, `[${name}] control`, engine, clean());
      sweepInput(sweep, `[${name}] control text`, engine, JSON.stringify(clean()));
    }
    sweep.assertClean();
  });

  test("evaluate, check, explain, changes and their errors, on every case", () => {
    const sweep = new Sweep();
    for (const [rulesName, engine] of engines()) {
      for (const [name, value] of parsingCases()) {
        const what = `[${rulesName}] ${name}`;
        assert.ok(engine.evaluate(value, AT).capabilities);
        sweepInput(sweep, `${what} object`, engine, value);
        sweepInput(sweep, `${what} text`, engine, JSON.stringify(value, null, 2));
      }
      for (const [name, text, code] of failingCases()) {
        const what = `[${rulesName}] ${name}`;
        assert.throws(() => engine.evaluate(text, AT), (error) => error.code === code, what);
        sweepInput(sweep, what, engine, text);
      }
      for (const [name, input, code] of jsOnlyInputs()) {
        if (code) assert.throws(() => engine.evaluate(input, AT), (error) => error.code === code, name);
        sweepInput(sweep, `[${rulesName}] ${name}`, engine, input);
      }
    }
    sweep.assertClean();
    assert.ok(sweep.texts > 20000, `the sweep shrank: ${sweep.texts} texts`);
  });

  test("rule tests, rule diff and lint (authoring module)", () => {
    const sweep = new Sweep();
    const engines = [["default", AuthoringEngine.default()], ["policy", AuthoringEngine.fromSources(sources)]];
    const files = [
      ...parsingCases().map(([, value]) => failingTests(JSON.stringify(value))),
      ...failingCases().map(([, text]) => failingTests(text)),
      ...brokenTests,
    ];
    for (const [rulesName, engine] of engines) {
      for (const [idx, text] of files.entries()) {
        sweep.call(`[${rulesName}] runTests ${idx}`, () => engine.runTests([{ name: "tests.toml", text }]));
      }
      sweep.call(`[${rulesName}] runTests all`, () => engine.runTests(files.slice(0, 5).map((text, idx) => ({ name: `t${idx}.toml`, text }))));
      for (const [otherName, other] of engines) {
        sweep.call(`diff ${rulesName} -> ${otherName}`, () => engine.diff(other));
      }
      // A test file where rules are expected.
      for (const text of files.slice(0, 8)) {
        sweep.call(`[${rulesName}] fromSources of a test file`, () => AuthoringEngine.fromSources([{ name: "t.toml", text }]));
        sweep.call(`[${rulesName}] lint of a test file`, () => Engine.lint([{ name: "t.toml", text }]));
      }
      const report = engine.runTests([{ name: "tests.toml", text: files[0] }]);
      assert.equal(report.results[0].passed, false);
    }
    // Snapshot text where rule text is expected.
    for (const [, text] of failingCases()) {
      sweep.call("fromSources of a snapshot", () => Engine.fromSources([{ name: "s.toml", text }]));
      sweep.call("lint of a snapshot", () => Engine.lint([{ name: "s.toml", text }]));
    }
    for (const engine of [Engine.default(), engines[1][1]]) {
      for (const name of ["id", "version", "hash", "capabilities", "operations", "requirementKeys", "sensitivePaths"]) {
        sweep.value(name, engine[name]);
      }
    }
    sweep.assertClean();
  });

  // Regression (see tests/sensitive.rs, a_future_date_of_birth_is_not_echoed_as_next_transition_at):
  // a date of birth after the evaluation time used to be returned as `nextTransitionAt`.
  test("a future date of birth is not echoed", () => {
    const sweep = new Sweep();
    const future = withFields({
      fullSsn: "873-19-4062",
      dateOfBirth: { day: "17", month: "09", year: "2987" },
      spouse: { dateOfBirth: { day: "21", month: "06", year: "2979" } },
    });
    for (const [name, engine] of engines()) sweepInput(sweep, `[${name}] future`, engine, future);
    sweep.assertClean();
  });
});
