#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]

mod changes;
mod checks;
mod compact;
mod compile;
mod diff;
mod end_user;
mod error;
mod eval;
mod evaluation;
mod evaluation_ref;
mod explain;
mod json;
mod limits;
mod pattern;
mod ruleset;
mod ruletest;
mod schema;
mod snapshot;
mod time;
pub mod wire;

pub use crate::changes::{
    CapabilityChange, ChangeEvent, RequirementChange, RequirementChangeStatus, changes,
};
pub use crate::diff::{ChangeClass, RuleChange, RuleDiff, SubjectKind};
pub use crate::end_user::{
    EndUserView, Task, TaskAction, UserCapability, UserState, UserTosVersion,
};
pub use crate::error::{CheckError, ErrorCode, LoadError, LoadErrors, SnapshotError};
pub use crate::evaluation::{
    CapabilityState, CapabilityStatus, ContextProblem, Decision, DenialType, Evaluation,
    FieldError, Outstanding, RequirementStatus, RulesetStamp, TosVersion, WaitingOn,
};
pub use crate::evaluation_ref::EvaluationRef;
pub use crate::explain::{
    Explanation, Node, NodeKind, NodeState, Step, StepAction, Target, UnlockPlan,
};
pub use crate::limits::Limits;
pub use crate::ruleset::{
    BUILTIN_RULES, BUILTIN_RULES_NAME, MAX_CAPABILITIES, Resolver, RuleSet, Source,
};
pub use crate::ruletest::{Coverage, CoverageItem, RuleTestReport, RuleTestResult};
pub use crate::schema::rule_file_schema;
pub use crate::snapshot::Snapshot;
pub use crate::time::{Timestamp, TimestampError};
