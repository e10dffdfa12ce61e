// Compiled (not run) by types.test.mjs: uses the package's declarations the way an app would.
import {
  Engine,
  type CapabilityStatus,
  type CapgateError,
  type Decision,
  type EndUserView,
  type Evaluation,
  type Limits,
  type Problem,
  type RequirementStatus,
  type Task,
  type UserCapability,
} from "../../pkg/node.js";

const engine: Engine = Engine.default();
const evaluation: Evaluation = engine.evaluate({ capabilities: {} }, new Date());
const decision: Decision = engine.check("{}", "createCustomerAccount", "2026-11-22T12:00:00Z");
const problems: Problem[] = Engine.lint([{ name: "a.toml", text: "" }]);

function label(status: CapabilityStatus): string {
  switch (status) {
    case "unrequested": return "not requested";
    case "pending": return "in progress";
    case "active": return "ready";
    case "inactive": return "unavailable";
  }
}

function blocking(status: RequirementStatus): boolean {
  return status !== "eventually_due";
}

for (const [name, state] of Object.entries(evaluation.capabilities)) {
  const requested: boolean = state.requested;
  console.log(name, requested, label(state.status));
}
for (const [key, requirement] of Object.entries(evaluation.requirements)) {
  const impact: string[] = requirement.impact;
  const codes: string[] = (requirement.errors ?? []).map((e) => e.code + e.path);
  const versions: string[] = (requirement.tosVersions ?? []).map((v) => v.versionId + (v.url ?? ""));
  console.log(key, blocking(requirement.status), impact, codes, versions, requirement.deadline?.length);
}
const next: string | null = evaluation.nextTransitionAt;
const waiting: boolean = evaluation.waitingOn["tradeCrypto"]?.provider ?? false;
const errorType: "customer_not_authorized" | "invalid_request" | undefined = decision.errorType;
const unauthorized: string[] | undefined = decision.unauthorizedCapabilities;
const firstLine: number | undefined = problems[0]?.line;
const text: string = engine.evaluateJson("{}", "2026-11-22T12:00:00Z") + engine.checkJson({}, "x", new Date());
const names: string[] = [...engine.capabilities, ...engine.operations, ...engine.requirementKeys, ...engine.sensitivePaths];
console.log(next, waiting, errorType, unauthorized, firstLine, text, names, engine.id, engine.version, engine.hash);

try {
  Engine.fromSources([{ name: "r.toml", text: "[x" }]).free();
} catch (caught) {
  const error = caught as CapgateError;
  const where: string = `${error.file}:${error.line}:${error.column}`;
  const span: [number, number] | undefined = error.span;
  console.log(error.code, error.message, where, span, error.errors?.length);
}

// Nothing is `any`: each of these is a type error (and an unused @ts-expect-error fails).
// @ts-expect-error allowed holds strings
evaluation.allowed.push(1);
// @ts-expect-error statuses are a closed union
const wrong: CapabilityStatus = "enabled";
// @ts-expect-error requirements are objects, not strings
const notString: string = evaluation.requirements["tos"];
// @ts-expect-error a decision has no capabilities map
console.log(decision.capabilities, wrong, notString);
// @ts-expect-error operations are named by strings
engine.check({}, 42, new Date());

// The end-user view and limits.
const limited: Engine = engine.withLimits({ maxSnapshotBytes: 1 << 20, maxDepth: 16 });
const view: EndUserView = limited.evaluateEndUser({ capabilities: {} }, new Date());
const firstTask: Task | undefined = view.tasks[0];
const action: Task["action"] | undefined = firstTask?.action;
const state: UserCapability["state"] | undefined = view.capabilities[0]?.state;
console.log(action, state, firstTask?.field, firstTask?.tosVersions?.[0]?.url);
// @ts-expect-error limits are numbers
engine.withLimits({ maxDepth: "deep" });
// @ts-expect-error states are a closed union
const badState: UserCapability["state"] = "locked";
console.log(badState);
// A limits object is all optional.
const noLimits: Limits = {};
console.log(noLimits);
