/** A capability status, as the provider names them. */
export type CapabilityStatus = "unrequested" | "pending" | "active" | "inactive";

/** A requirement status, as the provider names them (`eventually_due` from older snapshots). */
export type RequirementStatus = "due" | "past_due" | "pending" | "rejected" | "eventually_due";

/** Why the snapshot's own value does not meet a requirement. */
export type FieldErrorCode =
  | "empty"
  | "invalid_type"
  | "invalid_format"
  | "value_not_allowed"
  | "too_short"
  | "too_long"
  | "incomplete_date"
  | "invalid_date"
  | "date_in_future"
  | "invalid_ip_address"
  | "unsupported_tos_language"
  | "accepted_after_at";

/** A stable error code (see the README's table). */
export type ErrorCode =
  | "CG101" | "CG102" | "CG103" | "CG104" | "CG105" | "CG106" | "CG107" | "CG108" | "CG109" | "CG110"
  | "CG201" | "CG202" | "CG203" | "CG204" | "CG205" | "CG206" | "CG207" | "CG208"
  | "CG301" | "CG302";

/** A capability's state, in the provider's shape. */
export interface CapabilityState {
  requested: boolean;
  status: CapabilityStatus;
}

/** A Terms of Service version still to accept. */
export interface TosVersion {
  versionId: string;
  languages: string[];
  url?: string;
  deadline?: string;
}

/** A machine-readable reason, with the JSON pointer of the offending value. */
export interface FieldError {
  code: FieldErrorCode;
  path: string;
}

/** An outstanding requirement, in the provider's shape plus field errors. */
export interface Requirement {
  status: RequirementStatus;
  impact: string[];
  deadline?: string;
  tosVersions?: TosVersion[];
  taxForms?: string[];
  errors?: FieldError[];
}

/** What a pending capability is waiting on. */
export interface WaitingOn {
  requirements: string[];
  capabilities: string[];
  provider: boolean;
}

/** Which rules produced a result. */
export interface RulesetStamp {
  id: string;
  version: string;
  hash: string;
}

/** Limits on the snapshots an engine reads (`Engine.withLimits`); each member optional. */
export interface Limits {
  /** Largest snapshot, in bytes of JSON text (default 1 MiB); over it: CG207. */
  maxSnapshotBytes?: number;
  /** Deepest nesting of arrays and objects (default 32, at most 127); over it: CG205. */
  maxDepth?: number;
  /** Most entries of one array or object (default 10,000); over it: CG208. */
  maxItems?: number;
}

/** A requested capability as the customer sees it. */
export interface UserCapability {
  name: string;
  state: "available" | "action_needed" | "in_review" | "unavailable";
}

/** Terms to read and accept. */
export interface UserTosVersion {
  versionId: string;
  url?: string;
  languages: string[];
}

/** One thing the customer has to do. */
export interface Task {
  /** The requirement key (pick your own label or form field by it). */
  requirement: string;
  /** What to provide, in words, when the rules say. */
  description?: string;
  action: "provide" | "correct" | "resubmit" | "accept" | "attest";
  /** Where the value goes in the customer object (`individual.fullSsn`). */
  field?: string;
  overdue: boolean;
  deadline?: string;
  /** The requested capabilities it unlocks (or helps unlock). */
  unlocks: string[];
  tosVersions?: UserTosVersion[];
  taxForms?: string[];
}

/** The result of `Engine.evaluateEndUser`: exactly the JSON `capgate eval --view end-user` prints. */
export interface EndUserView {
  capabilities: UserCapability[];
  tasks: Task[];
  at: string;
}

/** The result of `Engine.evaluate`: exactly the JSON `capgate eval` prints. */
export interface Evaluation {
  capabilities: Record<string, CapabilityState>;
  requirements: Record<string, Requirement>;
  allowed: string[];
  waitingOn: Record<string, WaitingOn>;
  nextTransitionAt: string | null;
  at: string;
  ruleset: RulesetStamp;
  warnings: string[];
}

/** A request-context requirement that is not met. */
export interface ContextProblem {
  field: string;
  code: FieldErrorCode | "missing";
  path: string;
}

/** The result of `Engine.check`: exactly the JSON `capgate check` prints. */
export interface Decision {
  operation: string;
  allowed: boolean;
  errorType?: "customer_not_authorized" | "invalid_request";
  errorMessage?: string;
  unauthorizedCapabilities?: string[];
  invalidContext?: ContextProblem[];
  requirements: Record<string, Requirement>;
  at: string;
  ruleset: RulesetStamp;
}

/** A problem: a rule-file problem carries `file`/`line`/`column`/`span`, a snapshot one `path`. */
export interface Problem {
  code: ErrorCode;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  span?: [number, number];
  path?: string;
  help?: string;
  errors?: Problem[];
}

/** What every method throws: an `Error` carrying a `Problem`'s fields. */
export interface CapgateError extends Error, Problem {
  name: "CapgateError";
  message: string;
}

/** A named TOML rule source. */
export interface RuleSource {
  name: string;
  text: string;
}

/** A customer snapshot: the provider's Customer object, or its JSON text. */
export type SnapshotInput = object | string;

/** An evaluation time: a `Date`, or an RFC 3339 string with a zone. */
export type At = Date | string;

/** What `Engine.explain` explains. */
export type ExplainTarget = { capability: string } | { operation: string };

/** One node of an explanation tree. */
export interface ExplanationNode {
  kind: "operation" | "capability" | "request" | "activation" | "requirement" | "check" | "version" | "form" | "any_of" | "alternative" | "context";
  name: string;
  state: "met" | "unmet" | "unknown";
  code?: string;
  path?: string;
  resolvedBy?: "customer" | "platform" | "provider";
  children?: ExplanationNode[];
}

/** One step of an unlock plan. */
export interface UnlockStep {
  action: "request_capability" | "provide" | "correct" | "resubmit" | "accept_tos" | "sign_attestation" | "provide_context";
  key: string;
  paths?: string[];
  code?: string;
  resolvedBy: "customer" | "platform" | "provider";
  tosVersions?: TosVersion[];
  taxForms?: string[];
}

/** The result of `Engine.explain`: exactly the JSON `capgate explain --format json` prints. */
export interface Explanation {
  target: ExplanationNode;
  plan: {
    available: boolean;
    steps: UnlockStep[];
    awaitingVerification: string[];
    pendingRequirements: string[];
  };
  at: string;
  ruleset: RulesetStamp;
}

/** A requirement status in a change event: a `RequirementStatus`, or `cleared` (no longer outstanding). */
export type RequirementChangeStatus = RequirementStatus | "cleared";

/** A capability's new status, as in `customers.capability.changed`. */
export interface CapabilityChange {
  code: string;
  status: CapabilityStatus;
}

/** A requirement's new status and impact, as in `customers.requirement.changed` (`impact` is omitted when cleared). */
export type RequirementChange =
  | { field: string; status: Exclude<RequirementChangeStatus, "cleared">; impact: string[] }
  | { field: string; status: "cleared"; impact?: never };

/** `customers.capability.changed`: the capabilities whose status changed (never empty). */
export interface CapabilityChangedEvent {
  eventType: "customers.capability.changed";
  data: { customerId: string | null; capabilities: CapabilityChange[] };
}

/** `customers.requirement.changed`: the requirements that appeared, changed or cleared (never empty). */
export interface RequirementChangedEvent {
  eventType: "customers.requirement.changed";
  data: { customerId: string | null; requirements: RequirementChange[] };
}

/**
 * A change event of `Engine.changes`, in the provider's webhook shapes, discriminated on
 * `eventType`. No `eventId` or `timestamp`: the host adds its own envelope.
 */
export type ChangeEvent = CapabilityChangedEvent | RequirementChangedEvent;

/** Whether a rule change makes things harder for customers, easier, or neither. */
export type ChangeClass = "stricter" | "looser" | "neutral";

/** One change between two rulesets (`Engine.diff`). */
export interface RuleChange {
  subject: "capability" | "operation" | "requirement" | "context";
  name: string;
  change: string;
  detail: string;
  class: ChangeClass;
}

/** The result of `Engine.diff`: exactly the JSON `capgate diff --format json` prints. */
export interface RuleDiff {
  changes: RuleChange[];
  summary: Record<ChangeClass, number>;
}

/** One rule test's outcome (`Engine.runTests`). */
export interface RuleTestResult {
  name: string;
  location: string;
  passed: boolean;
  failures: string[];
}

/** A ruleset item no test exercised both ways (as far as it can be). */
export interface CoverageGap {
  kind: "capability" | "operation" | "requirement" | "check" | "context" | "alternative";
  name: string;
  met: boolean;
  unmet: boolean;
}

/** The result of `Engine.runTests`: exactly the JSON `capgate test --format json` prints. */
export interface RuleTestReport {
  results: RuleTestResult[];
  coverage: { percent: number; items: number; covered: number; uncovered: CoverageGap[] };
}
