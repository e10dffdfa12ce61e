// Every export of the package, including its error paths.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";

import { Engine } from "../pkg/node.js";
import { root, runCli } from "./helpers.mjs";

const AT = "2026-11-22T12:00:00Z";
const builtinRules = readFileSync(join(root, "rules", "coinbase-customers.toml"), "utf8");
const tosAccepted = [{ versionId: "us_individual_2026-05-29", language: "en", acceptedAt: "2026-06-01T00:00:00Z" }];

/** Calls `fn`, expecting a CapgateError; returns it. */
function thrown(fn) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Error, "errors are Error objects");
    assert.equal(error.name, "CapgateError");
    assert.match(error.code, /^CG\d{3}$/);
    return error;
  }
  assert.fail("expected a CapgateError");
}

describe("Engine.default", () => {
  test("loads the embedded rules once and exposes their metadata", () => {
    const engine = Engine.default();
    assert.equal(engine.id, "coinbase-customers");
    assert.equal(engine.version, "2026-10-22");
    assert.match(engine.hash, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(engine.capabilities, [
      "custodyCrypto", "custodyFiat", "custodyStablecoin", "tradeCrypto",
      "tradeStablecoin", "transferCrypto", "transferFiat", "transferStablecoin",
    ]);
    assert.ok(engine.operations.includes("createCustomerAccount"));
    assert.ok(engine.requirementKeys.includes("tos"));
    assert.ok(engine.sensitivePaths.includes("/individual/fullSsn"));
  });
});

describe("Engine.fromSources", () => {
  test("combines the provider rules with a platform policy", () => {
    const policy = '[requirements.employerName]\npath = "individual.employerName"\nverified_by = "platform"\n[extend.capabilities.tradeCrypto]\nrequirements = ["employerName"]\n';
    const engine = Engine.fromSources([
      { name: "rules/coinbase-customers.toml", text: builtinRules },
      { name: "policy.toml", text: policy },
    ]);
    assert.equal(engine.hash === Engine.default().hash, false);
    const evaluation = engine.evaluate({ capabilities: { tradeCrypto: { requested: true } } }, AT);
    assert.deepEqual(evaluation.requirements.employerName, { status: "due", impact: ["tradeCrypto"] });
  });

  test("the same text gives the same hash as the embedded rules", () => {
    const engine = Engine.fromSources([{ name: "elsewhere.toml", text: builtinRules }]);
    assert.equal(engine.hash, Engine.default().hash);
  });

  test("a broken rule file throws every problem, located", () => {
    const error = thrown(() =>
      Engine.fromSources([{ name: "broken.toml", text: '[capabilities.x]\nrequirments = []\ndepends_on = ["y"]\n' }]),
    );
    assert.equal(error.code, "CG102");
    assert.equal(error.file, "broken.toml");
    assert.equal(error.line, 2);
    assert.equal(error.column, 1);
    assert.deepEqual(error.span, [17, 28]);
    assert.equal(error.help, "did you mean `requirements`?");
    assert.deepEqual(error.errors.map((e) => e.code), ["CG102", "CG106"]);
    assert.match(error.message, /unknown key `requirments` in capability `x`/);
  });

  test("a syntax error is CG101", () => {
    assert.equal(thrown(() => Engine.fromSources([{ name: "a.toml", text: "[x" }])).code, "CG101");
  });

  test("sources must be an array of {name, text}", () => {
    assert.equal(thrown(() => Engine.fromSources("rules")).code, "CG302");
    assert.equal(thrown(() => Engine.fromSources([{ name: "a.toml" }])).code, "CG302");
  });
});

describe("Engine.lint", () => {
  test("returns every problem without throwing", () => {
    const problems = Engine.lint([{ name: "a.toml", text: '[capabilities.a]\ndepends_on = ["a"]\ngroups = ["g"]\n' }]);
    assert.deepEqual(problems.map((p) => [p.code, p.line, p.column]), [["CG107", 2, 15], ["CG106", 3, 11]]);
  });

  test("returns [] for rules that load", () => {
    assert.deepEqual(Engine.lint([{ name: "rules.toml", text: builtinRules }]), []);
  });
});

describe("engine.evaluate", () => {
  const engine = Engine.default();
  const draft = { capabilities: { tradeCrypto: { requested: true } }, individual: { email: "not an email" } };

  test("accepts an object or JSON text, a Date or an RFC 3339 string", () => {
    const fromObject = engine.evaluate(draft, AT);
    const fromText = engine.evaluate(JSON.stringify(draft), new Date(AT));
    assert.deepEqual(fromObject, fromText);
    assert.equal(fromObject.capabilities.tradeCrypto.status, "pending");
    assert.deepEqual(fromObject.requirements.email.errors, [{ code: "invalid_format", path: "/individual/email" }]);
    assert.deepEqual(fromObject.requirements.occupation, { status: "due", impact: ["tradeCrypto"] });
    assert.ok(fromObject.waitingOn.tradeCrypto.requirements.includes("tos"));
    assert.equal(fromObject.at, AT);
  });

  test("without a time, evaluates now", () => {
    const before = Date.now();
    const at = Date.parse(engine.evaluate(draft).at);
    assert.ok(at >= Math.floor(before / 1000) * 1000 && at <= Date.now());
  });

  test("allows a provider-active capability with nothing blocking", () => {
    const snapshot = { capabilities: { custodyCrypto: { requested: true, status: "active" } }, requirements: {}, tosAcceptances: tosAccepted };
    assert.deepEqual(engine.evaluate(snapshot, AT).allowed, ["custodyCrypto"]);
  });

  test("evaluateJson returns the CLI's exact text", () => {
    const text = engine.evaluateJson(draft, AT);
    assert.equal(typeof text, "string");
    assert.deepEqual(JSON.parse(text), engine.evaluate(draft, AT));
  });

  test("malformed JSON throws CG201 with a position", () => {
    const error = thrown(() => engine.evaluate('{"individual": {"fullSsn": "123-45-6789"', AT));
    assert.equal(error.code, "CG201");
    assert.equal(error.line, 1);
    assert.ok(!error.message.includes("123-45-6789"));
  });

  test("a wrong type throws CG202 with its JSON pointer and no value", () => {
    const error = thrown(() => engine.evaluate({ individual: { fullSsn: 123456789 } }, AT));
    assert.equal(error.code, "CG202");
    assert.equal(error.path, "/individual/fullSsn");
    assert.ok(!JSON.stringify(error).includes("123456789"));
  });

  test("a duplicate key throws CG203", () => {
    const error = thrown(() => engine.evaluate('{"capabilities": {"custodyFiat": {"requested": false, "requested": true}}}', AT));
    assert.equal(error.code, "CG203");
    assert.equal(error.path, "/capabilities/custodyFiat/requested");
  });

  test("a bad time throws CG302", () => {
    assert.equal(thrown(() => engine.evaluate({}, "2026-11-22T12:00:00")).code, "CG302");
    assert.equal(thrown(() => engine.evaluate({}, new Date("not a date"))).code, "CG302");
    assert.equal(thrown(() => engine.evaluate({}, 42)).code, "CG302");
  });

  test("a snapshot that is neither an object nor text throws CG201", () => {
    assert.equal(thrown(() => engine.evaluate(42, AT)).code, "CG201");
    assert.equal(thrown(() => engine.evaluate(undefined, AT)).code, "CG201");
  });
});

describe("engine.check", () => {
  const engine = Engine.default();
  const active = { requested: true, status: "active" };

  test("denies like the provider's 403, listing what would unlock it", () => {
    const decision = engine.check({ capabilities: { custodyFiat: { requested: true } } }, "createFiatDepositDestination", AT);
    assert.equal(decision.allowed, false);
    assert.equal(decision.errorType, "customer_not_authorized");
    assert.deepEqual(decision.unauthorizedCapabilities, ["custodyFiat"]);
    assert.deepEqual(decision.requirements.fullSsn.impact, ["custodyFiat"]);
  });

  test("denies like the provider's 400 when the request context is missing", () => {
    const snapshot = { capabilities: { custodyFiat: active }, requirements: {}, tosAcceptances: tosAccepted };
    const decision = engine.check(snapshot, "createFiatDepositDestination", AT);
    assert.equal(decision.errorType, "invalid_request");
    assert.deepEqual(decision.invalidContext, [{ field: "requesterIpAddress", code: "missing", path: "/compliance/requesterIpAddress" }]);
    const allowed = engine.check({ ...snapshot, compliance: { requesterIpAddress: "203.0.113.10" } }, "createFiatDepositDestination", AT);
    assert.equal(allowed.allowed, true);
    assert.equal(allowed.errorType, undefined);
  });

  test("checkJson returns the CLI's exact text", () => {
    assert.deepEqual(JSON.parse(engine.checkJson({}, "createCustomerAccount", AT)), engine.check({}, "createCustomerAccount", AT));
  });

  test("an unknown operation throws CG301, never allows", () => {
    const error = thrown(() => engine.check({}, "launchRocket", AT));
    assert.equal(error.code, "CG301");
    assert.equal(error.message, "unknown operation `launchRocket`");
  });
});

describe("engine.explain", () => {
  const engine = Engine.default();

  test("explains a capability as a tree with an unlock plan", () => {
    const explanation = engine.explain({ capabilities: { tradeCrypto: { requested: true } }, individual: { fullSsn: "123456789" } }, { capability: "tradeCrypto" }, AT);
    assert.equal(explanation.target.kind, "capability");
    assert.equal(explanation.target.state, "unmet");
    const ssn = explanation.target.children.find((n) => n.name === "fullSsn");
    assert.deepEqual([ssn.state, ssn.code, ssn.path], ["unmet", "invalid_format", "/individual/fullSsn"]);
    const step = explanation.plan.steps.find((s) => s.key === "fullSsn");
    assert.deepEqual([step.action, step.code], ["correct", "invalid_format"]);
    assert.deepEqual(explanation.plan.awaitingVerification, ["tradeCrypto"]);
  });

  test("explains an operation, and rejects bad targets", () => {
    const explanation = engine.explain({}, { operation: "createFiatDepositDestination" }, AT);
    assert.equal(explanation.plan.steps[0].action, "request_capability");
    assert.equal(explanation.plan.steps.at(-1).action, "provide_context");
    assert.equal(thrown(() => engine.explain({}, { capability: "nope" }, AT)).code, "CG303");
    assert.equal(thrown(() => engine.explain({}, { operation: "nope" }, AT)).code, "CG301");
    assert.equal(thrown(() => engine.explain({}, {}, AT)).code, "CG302");
  });
});

describe("engine.changes", () => {
  const engine = Engine.default();
  const customerId = "customer_123";
  const before = {
    customerId,
    capabilities: { custodyFiat: { requested: true, status: "pending" } },
    requirements: { fullSsn: { status: "pending", impact: ["custodyFiat"] } },
    tosAcceptances: tosAccepted,
  };
  const after = { ...before, capabilities: { custodyFiat: { requested: true, status: "active" } }, requirements: {} };

  test("returns the provider's webhook shapes, capability event first", () => {
    assert.deepEqual(engine.changes(before, after, AT), [
      { eventType: "customers.capability.changed", data: { customerId, capabilities: [{ code: "custodyFiat", status: "active" }] } },
      { eventType: "customers.requirement.changed", data: { customerId, requirements: [{ field: "fullSsn", status: "cleared" }] } },
    ]);
  });

  test("lists new requirements with their impact, and moves with time", () => {
    const due = { ...after, requirements: { taxAttestation: { status: "due", deadline: "2026-12-31T23:59:59Z", impact: ["custodyFiat"] } } };
    assert.deepEqual(engine.changes(JSON.stringify(after), due, new Date(AT)), [
      { eventType: "customers.requirement.changed", data: { customerId, requirements: [{ field: "taxAttestation", status: "due", impact: ["custodyFiat"] }] } },
    ]);
    // The deadline has passed at this time: past_due, blocking.
    const [capability, requirement] = engine.changes(after, due, "2027-01-01T00:00:00Z");
    assert.deepEqual(capability.data.capabilities, [{ code: "custodyFiat", status: "pending" }]);
    assert.equal(requirement.data.requirements[0].status, "past_due");
  });

  test("nothing changed: no events; no customer id: null", () => {
    assert.deepEqual(engine.changes(after, after, AT), []);
    const { customerId: _, ...anonymous } = before;
    const [event] = engine.changes(anonymous, { ...anonymous, capabilities: {} }, AT);
    assert.equal(event.data.customerId, null);
  });

  test("matches the CLI's output", () => {
    const dir = mkdtempSync(join(tmpdir(), "capgate-changes-"));
    writeFileSync(join(dir, "old.json"), JSON.stringify(before));
    writeFileSync(join(dir, "new.json"), JSON.stringify(after));
    const cli = runCli(["changes", "--at", AT, join(dir, "old.json"), join(dir, "new.json")], "");
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout), engine.changes(before, after, AT));
  });

  test("a malformed snapshot or time throws", () => {
    assert.equal(thrown(() => engine.changes(before, { capabilities: [] }, AT)).code, "CG202");
    assert.equal(thrown(() => engine.changes("{", after, AT)).code, "CG201");
    assert.equal(thrown(() => engine.changes(42, after, AT)).code, "CG201");
    assert.equal(thrown(() => engine.changes(before, after, "tomorrow")).code, "CG302");
  });
});

describe("engine.evaluateEndUser", () => {
  const engine = Engine.default();
  const corpus = ["examples/draft.json", "examples/provider.json", "examples/blocked.json", "benches/data/incomplete.json"];

  test("prints what `capgate eval --view end-user` prints, for every example", () => {
    for (const file of corpus) {
      const text = readFileSync(join(root, file), "utf8");
      const cli = runCli(["eval", "--view", "end-user", "--at", AT, "-"], text);
      assert.equal(cli.status, 0, cli.stderr);
      assert.deepEqual(engine.evaluateEndUser(text, AT), JSON.parse(cli.stdout), file);
      assert.deepEqual(engine.evaluateEndUser(JSON.parse(text), new Date(AT)), JSON.parse(cli.stdout), file);
    }
  });

  test("shows the customer what to do and how, and nothing internal", () => {
    const view = engine.evaluateEndUser({ capabilities: { tradeCrypto: { requested: true }, custodyFiat: { requested: false } } }, AT);
    assert.deepEqual(view.capabilities, [{ name: "tradeCrypto", state: "action_needed" }]);
    const ssn = view.tasks.find((task) => task.requirement === "fullSsn");
    assert.deepEqual(ssn, {
      requirement: "fullSsn",
      description: "Full US Social Security number",
      action: "provide",
      field: "individual.fullSsn",
      overdue: false,
      unlocks: ["tradeCrypto"],
    });
    const tos = view.tasks.find((task) => task.requirement === "tos");
    assert.equal(tos.action, "accept");
    assert.ok(tos.tosVersions.every((version) => version.url.startsWith("https://")));
    const text = JSON.stringify(view);
    for (const internal of ["status", "errors", "resolvedBy", "ruleset", "warnings", "waitingOn", "due", "CG"]) {
      assert.ok(!text.includes(`"${internal}"`), `no ${internal}`);
    }
  });

  test("an invalid value is to correct, a rejected one to provide again, overdue first", () => {
    const view = engine.evaluateEndUser({
      capabilities: { custodyFiat: { requested: true } },
      individual: { email: "not an email" },
      requirements: {
        fullSsn: { status: "rejected", impact: ["custodyFiat"] },
        tos: { status: "past_due", impact: ["custodyFiat"] },
        occupation: { status: "pending", impact: ["custodyFiat"] },
      },
    }, AT);
    assert.equal(view.tasks[0].requirement, "tos");
    assert.equal(view.tasks[0].overdue, true);
    assert.equal(view.tasks.find((task) => task.requirement === "fullSsn").action, "resubmit");
    assert.ok(!view.tasks.some((task) => task.requirement === "occupation"), "awaiting review is not a task");
  });

  test("a malformed snapshot or time throws", () => {
    assert.equal(thrown(() => engine.evaluateEndUser("{", AT)).code, "CG201");
    assert.equal(thrown(() => engine.evaluateEndUser({}, "tomorrow")).code, "CG302");
  });
});

describe("engine.withLimits", () => {
  const engine = Engine.default();

  test("refuses snapshots over each limit with its code, and leaves the original engine alone", () => {
    const tight = engine.withLimits({ maxSnapshotBytes: 64, maxDepth: 3, maxItems: 2 });
    const big = { capabilities: { tradeCrypto: { requested: true } }, note: "x".repeat(100) };
    assert.equal(thrown(() => tight.evaluate(big, AT)).code, "CG207");
    assert.equal(engine.evaluate(big, AT).capabilities.tradeCrypto.requested, true);
    const deep = engine.withLimits({ maxDepth: 2 });
    const error = thrown(() => deep.evaluate({ individual: { address: {} } }, AT));
    assert.equal(error.code, "CG205");
    assert.equal(error.path, "/individual/address");
    const few = engine.withLimits({ maxItems: 2 });
    assert.equal(thrown(() => few.check({ a: 1, b: 2, c: 3 }, "createCustomerAccount", AT)).code, "CG208");
    assert.equal(thrown(() => few.evaluateEndUser({ a: 1, b: 2, c: 3 }, AT)).code, "CG208");
  });

  test("rejects limits that are not non-negative integers", () => {
    for (const limits of [{ maxDepth: -1 }, { maxItems: 1.5 }, { maxSnapshotBytes: "big" }]) {
      assert.equal(thrown(() => engine.withLimits(limits)).code, "CG302");
    }
    assert.equal(engine.withLimits({}).evaluate({}, AT).at, AT);
  });
});
