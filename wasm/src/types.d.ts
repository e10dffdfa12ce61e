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
  | "CG201" | "CG202" | "CG203" | "CG204" | "CG205" | "CG206"
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
