//! The engines: capgate itself and its four peers, behind one interface.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use crate::corpus::Case;

pub mod capgate;
pub mod cedar;
pub mod jsonlogic;
pub mod rego;
pub mod zen;

/// The decision every engine must reproduce: the capabilities whose status is `active`
/// (sorted), and for each `pending` capability the sorted keys of the requirements that block
/// it (capgate's `Evaluation::allowed` and `Evaluation::waiting_on[..].requirements`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Answer {
    pub allowed: Vec<String>,
    pub blocked_by: BTreeMap<String, Vec<String>>,
}

/// An engine with its policy: loaded once, then asked for the decision on prepared inputs.
pub trait Peer: Sized {
    /// Its name in the table.
    const NAME: &'static str;
    /// What the translation leaves to the host, and what the language cannot express.
    const NOTES: &'static str;
    /// Corpus cases this engine is not asked about, each with the reason.
    const EXCLUDED: &'static [(&'static str, &'static str)] = &[];

    /// The policy as read from disk (reading is not timed).
    type Source;
    /// A snapshot converted into the engine's input shape.
    type Input;
    /// The engine's own answer, before it is read into an [`Answer`].
    type Output;

    /// Reads the policy files under `root` (the package directory).
    fn read(root: &Path) -> Result<Self::Source>;
    /// Parses and compiles the policy: the "load" time.
    fn load(source: &Self::Source) -> Result<Self>;
    /// Converts one snapshot into the engine's input (not timed).
    fn prepare(&self, case: &Case) -> Result<Self::Input>;
    /// The decision on a prepared input: the "warm decision" time.
    fn evaluate(&self, input: &Self::Input) -> Result<Self::Output>;
    /// Reads the engine's output as an [`Answer`] (not timed).
    fn answer(&self, output: Self::Output) -> Result<Answer>;
}
