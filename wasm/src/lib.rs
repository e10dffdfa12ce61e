//! WebAssembly bindings for capgate: a compile-once [`Engine`] handle for JavaScript.
//!
//! This crate holds no rule logic. Every call goes through `capgate::wire`, the JSON contract
//! the CLI prints, so the two cannot drift apart: results are that JSON, parsed into plain
//! JavaScript objects (or returned as the string itself by the `*Json` methods), and errors
//! are `Error` objects carrying the wire error's fields (`code`, `file`, `line`, ...).

use capgate::wire::{self, WireError};
use capgate::{RuleSet, Source, Timestamp};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

/// A compiled ruleset, ready to evaluate snapshots. Compile once, evaluate many times.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
}

#[wasm_bindgen]
impl Engine {
    /// The embedded default rules (the provider's documented rules).
    #[wasm_bindgen(js_name = "default")]
    pub fn builtin() -> Engine {
        Engine {
            rules: RuleSet::builtin(),
        }
    }

    /// Compiles TOML sources (`[{name, text}, ...]`), combined in order.
    ///
    /// # Errors
    ///
    /// Throws an `Error` with the first problem's `code`, `file`, `line`, `column`, `span`,
    /// and every problem in `errors`.
    #[wasm_bindgen(js_name = "fromSources")]
    pub fn from_sources(
        #[wasm_bindgen(unchecked_param_type = "RuleSource[]")] sources: &JsValue,
    ) -> Result<Engine, JsValue> {
        with_sources(sources, |sources| {
            wire::load(sources)
                .map(|rules| Engine { rules })
                .map_err(|error| to_js_error(&error))
        })
    }

    /// Every problem in the sources, without throwing (`[]` when they load).
    ///
    /// # Errors
    ///
    /// Throws only when `sources` is not an array of `{name, text}` strings.
    #[wasm_bindgen(js_name = "lint", unchecked_return_type = "Problem[]")]
    pub fn lint(
        #[wasm_bindgen(unchecked_param_type = "RuleSource[]")] sources: &JsValue,
    ) -> Result<JsValue, JsValue> {
        with_sources(sources, |sources| parse_json(&wire::lint_json(sources)))
    }

    /// Evaluates a snapshot (an object or JSON text) at `at` (a `Date` or an RFC 3339 string;
    /// `undefined` means now, though passing the time explicitly is the point). Returns the evaluation as a plain object, the CLI's JSON shape.
    ///
    /// # Errors
    ///
    /// Throws on a malformed snapshot (`CG2xx`) or evaluation time (`CG302`).
    #[wasm_bindgen(unchecked_return_type = "Evaluation")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] snapshot: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "At")] at: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let text = snapshot_text(snapshot)?;
        let at = read_at(at)?;
        let json = wire::evaluate_json_compact(&self.rules, &text, &at)
            .map_err(|error| to_js_error(&error))?;
        parse_json(&json)
    }

    /// The end-user view of the evaluation (what `capgate eval --view end-user` prints): the
    /// capabilities the customer requested, each `available`, `action_needed`, `in_review`
    /// or `unavailable`, and the tasks that are theirs to do, most urgent first, with how
    /// (the field to fill, the terms to accept). No provider codes, validation codes or
    /// compliance reasons.
    ///
    /// # Errors
    ///
    /// As `evaluate`.
    #[wasm_bindgen(js_name = "evaluateEndUser", unchecked_return_type = "EndUserView")]
    pub fn evaluate_end_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] snapshot: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "At")] at: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let text = snapshot_text(snapshot)?;
        let at = read_at(at)?;
        let json = wire::end_user_json_compact(&self.rules, &text, &at)
            .map_err(|error| to_js_error(&error))?;
        parse_json(&json)
    }

    /// The same rules with other limits on the snapshots this engine reads (each member
    /// optional: `maxSnapshotBytes`, default 1 MiB; `maxDepth`, default 32; `maxItems` per
    /// array or object, default 10,000). A snapshot over a limit throws `CG207`, `CG205` or
    /// `CG208`.
    ///
    /// # Errors
    ///
    /// Throws `CG302` when a member is not a non-negative integer.
    #[wasm_bindgen(js_name = "withLimits")]
    pub fn with_limits(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Limits")] limits: &JsValue,
    ) -> Result<Engine, JsValue> {
        let member = |name: &str| -> Result<Option<usize>, JsValue> {
            let value = js_sys::Reflect::get(limits, &JsValue::from_str(name))?;
            if value.is_undefined() {
                return Ok(None);
            }
            match value.as_f64() {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "checked: a non-negative integer below 2^53"
                )]
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 9.0e15 => Ok(Some(n as usize)),
                _ => Err(plain_error("CG302", "limits must be non-negative integers")),
            }
        };
        let mut out = *self.rules.limits();
        if let Some(n) = member("maxSnapshotBytes")? {
            out = out.with_max_snapshot_bytes(n);
        }
        if let Some(n) = member("maxDepth")? {
            out = out.with_max_depth(n);
        }
        if let Some(n) = member("maxItems")? {
            out = out.with_max_items(n);
        }
        Ok(Engine {
            rules: self.rules.clone().with_limits(out),
        })
    }

    /// Like `evaluate`, returning the JSON text exactly as the CLI prints it.
    ///
    /// # Errors
    ///
    /// As `evaluate`.
    #[wasm_bindgen(js_name = "evaluateJson")]
    pub fn evaluate_json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] snapshot: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "At")] at: &JsValue,
    ) -> Result<String, JsValue> {
        self.evaluate_text(snapshot, at)
    }

    /// Checks whether `operation` may proceed; the decision is shaped like the provider's
    /// 403/400 body (`allowed`, `errorType`, `unauthorizedCapabilities`, ...).
    ///
    /// # Errors
    ///
    /// Throws on a malformed snapshot or time, and on an unknown operation (`CG301`).
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn check(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] snapshot: &JsValue,
        operation: &str,
        #[wasm_bindgen(unchecked_param_type = "At")] at: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let text = snapshot_text(snapshot)?;
        let at = read_at(at)?;
        let json = wire::check_json_compact(&self.rules, &text, operation, &at)
            .map_err(|error| to_js_error(&error))?;
        parse_json(&json)
    }

    /// Like `check`, returning the JSON text exactly as the CLI prints it.
    ///
    /// # Errors
    ///
    /// As `check`.
    #[wasm_bindgen(js_name = "checkJson")]
    pub fn check_json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] snapshot: &JsValue,
        operation: &str,
        #[wasm_bindgen(unchecked_param_type = "At")] at: &JsValue,
    ) -> Result<String, JsValue> {
        self.check_text(snapshot, operation, at)
    }

    /// Explains why a capability or an operation (`{capability: "tradeCrypto"}` or
    /// `{operation: "createCustomerAccount"}`) is or is not available: a tree down to each
    /// check and the snapshot path it read, and the unlock plan.
    ///
    /// # Errors
    ///
    /// Throws on a malformed snapshot or time, an unknown capability (`CG303`) or operation
    /// (`CG301`), or a target that names neither (`CG302`).
    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] snapshot: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "ExplainTarget")] target: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "At")] at: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let field = |name: &str| {
            js_sys::Reflect::get(target, &JsValue::from_str(name))
                .ok()
                .and_then(|value| value.as_string())
        };
        let (kind, name) = match (field("capability"), field("operation")) {
            (Some(name), None) => ("capability", name),
            (None, Some(name)) => ("operation", name),
            _ => {
                return Err(plain_error(
                    "CG302",
                    "the target must be {capability: name} or {operation: name}",
                ));
            }
        };
        let text = snapshot_text(snapshot)?;
        let at = read_at(at)?;
        let json = wire::explain_json(&self.rules, &text, kind, &name, &at)
            .map_err(|error| to_js_error(&error))?;
        parse_json(&json)
    }

    /// The ruleset id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.rules.id().to_owned()
    }

    /// The ruleset version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.rules.version().to_owned()
    }

    /// The ruleset content hash (`sha256:...`).
    #[wasm_bindgen(getter)]
    pub fn hash(&self) -> String {
        self.rules.hash().to_owned()
    }

    /// Capability names, sorted.
    #[wasm_bindgen(getter)]
    pub fn capabilities(&self) -> Vec<String> {
        self.rules.capability_names().map(str::to_owned).collect()
    }

    /// Operation names, sorted.
    #[wasm_bindgen(getter)]
    pub fn operations(&self) -> Vec<String> {
        self.rules.operation_names().map(str::to_owned).collect()
    }

    /// Requirement keys, sorted.
    #[wasm_bindgen(getter, js_name = "requirementKeys")]
    pub fn requirement_keys(&self) -> Vec<String> {
        self.rules.requirement_keys().map(str::to_owned).collect()
    }

    /// JSON pointers of the snapshot values the rules mark sensitive (to redact in logs).
    #[wasm_bindgen(getter, js_name = "sensitivePaths")]
    pub fn sensitive_paths(&self) -> Vec<String> {
        self.rules.sensitive_paths()
    }

    /// The change events between two snapshots of one customer, both evaluated at `at`, in
    /// the provider's webhook shapes (`{eventType, data}`, without `eventId` or `timestamp`:
    /// add your own envelope). `[]` when nothing changed.
    ///
    /// # Errors
    ///
    /// Throws on a malformed snapshot (`CG2xx`) or evaluation time (`CG302`).
    #[wasm_bindgen(unchecked_return_type = "ChangeEvent[]")]
    pub fn changes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] old_snapshot: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "SnapshotInput")] new_snapshot: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "At")] at: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let old = snapshot_text(old_snapshot)?;
        let new = snapshot_text(new_snapshot)?;
        let at = read_at(at)?;
        let json = wire::changes_json(&self.rules, &old, &new, &at)
            .map_err(|error| to_js_error(&error))?;
        parse_json(&json)
    }
}

/// Rule-authoring methods, only in the `capgate/authoring` module (feature `authoring`): rule
/// editors need them, the customer-facing runtime module does not ship them.
#[cfg(feature = "authoring")]
#[wasm_bindgen]
impl Engine {
    /// The structural diff from these rules to `newer`: every requirement, check, deadline
    /// and ToS version added, removed or changed, each classed `stricter`, `looser` or
    /// `neutral`. Exactly the JSON `capgate diff --format json` prints.
    #[wasm_bindgen(unchecked_return_type = "RuleDiff")]
    pub fn diff(&self, newer: &Engine) -> Result<JsValue, JsValue> {
        parse_json(&wire::diff_to_json(&self.rules.diff(&newer.rules)))
    }

    /// Runs rule test files (`[{name, text}, ...]`, the TOML format of `capgate test`) against
    /// these rules, with coverage. Exactly the JSON `capgate test --format json` prints.
    ///
    /// # Errors
    ///
    /// Throws when a test file does not load (`CG1xx`, located like a rule file).
    #[wasm_bindgen(js_name = "runTests", unchecked_return_type = "RuleTestReport")]
    pub fn run_tests(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RuleSource[]")] sources: &JsValue,
    ) -> Result<JsValue, JsValue> {
        with_sources(sources, |sources| {
            let report = self
                .rules
                .run_tests(sources)
                .map_err(|errors| to_js_error(&WireError::from(&errors)))?;
            parse_json(&wire::rule_tests_to_json(&report))
        })
    }
}

impl Engine {
    fn evaluate_text(&self, snapshot: &JsValue, at: &JsValue) -> Result<String, JsValue> {
        let text = snapshot_text(snapshot)?;
        let at = read_at(at)?;
        let json = wire::evaluate_json_compact(&self.rules, &text, &at)
            .map_err(|error| to_js_error(&error))?;
        pretty(&json)
    }

    fn check_text(
        &self,
        snapshot: &JsValue,
        operation: &str,
        at: &JsValue,
    ) -> Result<String, JsValue> {
        let text = snapshot_text(snapshot)?;
        let at = read_at(at)?;
        let json = wire::check_json_compact(&self.rules, &text, operation, &at)
            .map_err(|error| to_js_error(&error))?;
        pretty(&json)
    }
}

/// The CLI's pretty text of compact JSON, re-indented by the host: `JSON.stringify` with two
/// spaces prints exactly what `serde_json`'s pretty printer does for these documents (no
/// floats, the same escapes), and it saves the WASM build a second serializer of every
/// evaluation and decision type. The differential test holds it to the CLI's bytes.
fn pretty(compact: &str) -> Result<String, JsValue> {
    let value = js_sys::JSON::parse(compact)?;
    js_sys::JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &JsValue::from(2))?
        .as_string()
        .ok_or_else(|| plain_error("CG302", "the result could not be printed"))
}

/// A snapshot given as JSON text is used as is; an object is serialized with `JSON.stringify`.
fn snapshot_text(snapshot: &JsValue) -> Result<String, JsValue> {
    if let Some(text) = snapshot.as_string() {
        return Ok(text);
    }
    if snapshot.is_object() {
        if let Ok(text) = js_sys::JSON::stringify(snapshot) {
            if let Some(text) = text.as_string() {
                return Ok(text);
            }
        }
    }
    Err(plain_error(
        "CG201",
        "the snapshot must be an object or a JSON string",
    ))
}

/// The evaluation time as RFC 3339 text: a `Date`, a string, or now when omitted.
fn read_at(at: &JsValue) -> Result<String, JsValue> {
    if at.is_undefined() || at.is_null() {
        return Ok(now());
    }
    if let Some(text) = at.as_string() {
        return Ok(text);
    }
    let date = if let Some(date) = at.dyn_ref::<js_sys::Date>() {
        date.clone()
    } else {
        return Err(plain_error(
            "CG302",
            "the evaluation time must be a Date or an RFC 3339 string",
        ));
    };
    date_text(&date).ok_or_else(|| plain_error("CG302", "invalid evaluation time: invalid Date"))
}

/// The current time: the host may read the clock, the engine never does.
fn now() -> String {
    date_text(&js_sys::Date::new_0()).unwrap_or_default()
}

fn date_text(date: &js_sys::Date) -> Option<String> {
    let millis = date.get_time();
    if !millis.is_finite() {
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a finite Date is within +-8.64e15 ms"
    )]
    let seconds = (millis / 1000.0).floor() as i64;
    Some(Timestamp::from_unix_seconds(seconds).to_string())
}

/// Calls `f` with the `[{name, text}, ...]` array `sources` read as rule sources.
fn with_sources<T>(
    sources: &JsValue,
    f: impl FnOnce(&[Source<'_>]) -> Result<T, JsValue>,
) -> Result<T, JsValue> {
    let owned = read_sources(sources)?;
    let sources: Vec<Source<'_>> = owned
        .iter()
        .map(|(name, text)| Source::new(name, text))
        .collect();
    f(&sources)
}

fn read_sources(sources: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let invalid = || {
        plain_error(
            "CG302",
            "sources must be an array of {name, text} objects with string values",
        )
    };
    let array = sources.dyn_ref::<js_sys::Array>().ok_or_else(invalid)?;
    let mut out = Vec::new();
    for item in array.iter() {
        let name =
            js_sys::Reflect::get(&item, &JsValue::from_str("name")).map_err(|_| invalid())?;
        let text =
            js_sys::Reflect::get(&item, &JsValue::from_str("text")).map_err(|_| invalid())?;
        match (name.as_string(), text.as_string()) {
            (Some(name), Some(text)) => out.push((name, text)),
            _ => return Err(invalid()),
        }
    }
    Ok(out)
}

fn parse_json(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text)
}

/// A JS `Error` carrying every field of the wire error.
fn to_js_error(error: &WireError) -> JsValue {
    let js_error = js_sys::Error::new(&error.message);
    js_error.set_name("CapgateError");
    if let Ok(fields) = js_sys::JSON::parse(&error.to_json()) {
        if let Some(fields) = fields.dyn_ref::<js_sys::Object>() {
            js_sys::Object::assign(&js_error, fields);
        }
    }
    js_error.into()
}

fn plain_error(code: &str, message: &str) -> JsValue {
    let js_error = js_sys::Error::new(message);
    js_error.set_name("CapgateError");
    let _ = js_sys::Reflect::set(
        &js_error,
        &JsValue::from_str("code"),
        &JsValue::from_str(code),
    );
    js_error.into()
}
