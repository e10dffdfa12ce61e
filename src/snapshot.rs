//! The customer snapshot: the provider's Customer object (or a platform's draft of one),
//! parsed once and type-checked where the provider's schema is known.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{ErrorCode, SnapshotError};
use crate::json::{Json, JsonObject, Path, place, printable};
use crate::limits::Limits;
use crate::time::Timestamp;

/// A customer snapshot, parsed and type-checked.
///
/// It accepts both documented shapes of the provider's Customer object (older: top-level
/// `email`/`phone`; newer: `individual.email`/`individual.phoneNumber`), drafts a platform
/// builds before sending (no `requirements` map, capabilities as `{"requested": true}`), and
/// the ingestion-only fields a platform collected itself (`individual.fullSsn`, ...).
///
/// Unknown extra fields and unknown capability names are tolerated; a known field of the
/// wrong type is an error. `Debug` shows the document's shape, never its values.
///
/// # Example
///
/// ```
/// let snapshot = capgate::Snapshot::from_json(r#"{
///     "individual": {"firstName": "Jane", "fullSsn": "123-45-6789"},
///     "capabilities": {"custodyCrypto": {"requested": true}}
/// }"#)?;
/// assert!(!snapshot.has_provider_requirements());
/// assert!(!format!("{snapshot:?}").contains("123-45-6789"));
/// # Ok::<(), capgate::SnapshotError>(())
/// ```
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) root: Json,
    pub(crate) customer_id: Option<String>,
    pub(crate) capabilities: BTreeMap<String, SnapshotCapability>,
    pub(crate) requirements: Option<BTreeMap<String, ProviderRequirement>>,
    pub(crate) tos_acceptances: Vec<TosAcceptance>,
    pub(crate) tax_attestations: Vec<TaxAttestation>,
    pub(crate) warnings: Vec<String>,
}

/// A capability entry of the snapshot.
#[derive(Clone, Debug)]
pub(crate) struct SnapshotCapability {
    pub(crate) requested: bool,
    pub(crate) status: Option<ProviderCapabilityStatus>,
}

/// A capability status as the provider reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProviderCapabilityStatus {
    Unrequested,
    Pending,
    Active,
    Inactive,
    /// A status this engine does not know; never treated as active.
    Unknown,
}

/// A requirement status as the provider reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProviderRequirementStatus {
    Due,
    PastDue,
    Pending,
    Rejected,
    /// Gen A: possible future requirement, never blocking.
    EventuallyDue,
    /// A status this engine does not know; treated as blocking.
    Unknown,
}

/// An entry of the provider's `requirements` map.
#[derive(Clone, Debug)]
pub(crate) struct ProviderRequirement {
    pub(crate) status: ProviderRequirementStatus,
    pub(crate) deadline: Option<Timestamp>,
    pub(crate) impact: Vec<String>,
    pub(crate) tos_versions: Vec<ProviderTosVersion>,
    pub(crate) tax_forms: Vec<String>,
}

/// A `ToS` version listed by the provider under `requirements.tos.tosVersions`.
#[derive(Clone, Debug)]
pub(crate) struct ProviderTosVersion {
    pub(crate) version_id: String,
    pub(crate) languages: Vec<String>,
    pub(crate) url: Option<String>,
    pub(crate) deadline: Option<Timestamp>,
}

/// An entry of `tosAcceptances`.
#[derive(Clone, Debug)]
pub(crate) struct TosAcceptance {
    pub(crate) version_id: String,
    pub(crate) language: String,
    pub(crate) accepted_at: Timestamp,
}

/// An entry of `taxAttestations`.
#[derive(Clone, Debug)]
pub(crate) struct TaxAttestation {
    pub(crate) form: String,
    pub(crate) accepted_at: Timestamp,
}

/// Fields of `individual` that the provider's schema types as strings.
const INDIVIDUAL_STRING_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "email",
    "phoneNumber",
    "fullSsn",
    "ssnLast4",
    "citizenship",
    "purposeOfAccount",
    "sourceOfFunds",
    "employmentStatus",
    "occupation",
    "expectedVolume",
];
const ADDRESS_STRING_FIELDS: &[&str] =
    &["line1", "line2", "city", "state", "postCode", "countryCode"];
const DATE_OF_BIRTH_FIELDS: &[&str] = &["day", "month", "year"];

impl Snapshot {
    /// Parses a snapshot from JSON text.
    ///
    /// # Errors
    ///
    /// Malformed JSON (CG201), a duplicate key (CG203), a known field of the wrong type
    /// (CG202), an invalid timestamp in a known field (CG204), a missing required field in an
    /// entry (CG206), or a document over the default [`Limits`]: larger than 1 MiB (CG207),
    /// nested deeper than 32 levels (CG205), more than 10,000 entries in one array or object
    /// (CG208). The error names the JSON pointer and never contains a value from the snapshot.
    ///
    /// A leading byte-order mark (U+FEFF) is skipped.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::Snapshot::from_json(r#"{"tosAcceptances": [{"versionId": "v1", "language": "en"}]}"#)
    ///     .unwrap_err();
    /// assert_eq!(err.path(), "/tosAcceptances/0/acceptedAt");
    /// assert_eq!(err.code().as_str(), "CG206");
    /// ```
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        Snapshot::from_json_with(text, &Limits::DEFAULT)
    }

    /// Parses a snapshot from JSON text, within `limits` (see [`Snapshot::from_json`] for
    /// the errors; the limits' errors are CG205, CG207 and CG208).
    ///
    /// # Errors
    ///
    /// As [`Snapshot::from_json`], with `limits` in place of the defaults.
    ///
    /// # Example
    ///
    /// ```
    /// use capgate::{Limits, Snapshot};
    ///
    /// let big = format!(r#"{{"note": "{}"}}"#, "x".repeat(2 << 20));
    /// assert_eq!(Snapshot::from_json(&big).unwrap_err().code().as_str(), "CG207");
    /// let roomy = Limits::default().with_max_snapshot_bytes(4 << 20);
    /// assert!(Snapshot::from_json_with(&big, &roomy).is_ok());
    /// ```
    pub fn from_json_with(text: &str, limits: &Limits) -> Result<Snapshot, SnapshotError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let root = Json::parse(text, limits)?;
        Snapshot::from_tree(root)
    }

    fn from_tree(root: Json) -> Result<Snapshot, SnapshotError> {
        let root_path = Path::Root;
        let top = expect_object(&root, &root_path)?;
        let mut warnings = Vec::new();

        let customer_id = optional_string(top, "customerId", &root_path)?.map(str::to_owned);
        optional_string(top, "type", &root_path)?;
        optional_string(top, "email", &root_path)?;
        optional_string(top, "phone", &root_path)?;

        // Paths are rendered only for an error or a warning.
        let individual_path = Path::Key(&root_path, "individual");
        if let Some(individual) = optional_object(top, "individual", &root_path)? {
            for field in INDIVIDUAL_STRING_FIELDS {
                optional_string(individual, field, &individual_path)?;
            }
            if let Some(address) = optional_object(individual, "address", &individual_path)? {
                let address_path = Path::Key(&individual_path, "address");
                for field in ADDRESS_STRING_FIELDS {
                    optional_string(address, field, &address_path)?;
                }
            }
            if let Some(dob) = optional_object(individual, "dateOfBirth", &individual_path)? {
                let dob_path = Path::Key(&individual_path, "dateOfBirth");
                for field in DATE_OF_BIRTH_FIELDS {
                    optional_string(dob, field, &dob_path)?;
                }
            }
        }
        if let Some(compliance) = optional_object(top, "compliance", &root_path)? {
            let compliance_path = Path::Key(&root_path, "compliance");
            optional_string(compliance, "requesterIpAddress", &compliance_path)?;
        }

        let mut capabilities = BTreeMap::new();
        let capabilities_path = Path::Key(&root_path, "capabilities");
        if let Some(map) = optional_object(top, "capabilities", &root_path)? {
            for (name, value) in map.iter() {
                let path = Path::Key(&capabilities_path, name);
                let Some(entry) = nullable(value) else {
                    continue;
                };
                let entry = expect_object(entry, &path)?;
                let requested = optional_bool(entry, "requested", &path)?.unwrap_or(false);
                let status = optional_string(entry, "status", &path)?.map(|text| match text {
                    "unrequested" => ProviderCapabilityStatus::Unrequested,
                    "pending" => ProviderCapabilityStatus::Pending,
                    "active" => ProviderCapabilityStatus::Active,
                    "inactive" => ProviderCapabilityStatus::Inactive,
                    _ => {
                        warnings.push(format!(
                            "unknown capability status at {}/status is treated as not active",
                            printable(&path.render())
                        ));
                        ProviderCapabilityStatus::Unknown
                    }
                });
                capabilities.insert(name.to_owned(), SnapshotCapability { requested, status });
            }
        }

        let requirements_path = Path::Key(&root_path, "requirements");
        let requirements = match optional_object(top, "requirements", &root_path)? {
            None => None,
            Some(map) => {
                let mut requirements = BTreeMap::new();
                for (key, value) in map.iter() {
                    let path = Path::Key(&requirements_path, key);
                    // `null` is the same as absent: the provider does not list it.
                    let Some(value) = nullable(value) else {
                        continue;
                    };
                    let requirement = parse_provider_requirement(value, &path, &mut warnings)?;
                    requirements.insert(key.to_owned(), requirement);
                }
                Some(requirements)
            }
        };

        let mut tos_acceptances = Vec::new();
        let acceptances_path = Path::Key(&root_path, "tosAcceptances");
        for (idx, entry) in optional_array(top, "tosAcceptances", &root_path)?
            .iter()
            .enumerate()
        {
            let path = Path::Index(&acceptances_path, idx);
            let entry = expect_object(entry, &path)?;
            tos_acceptances.push(TosAcceptance {
                version_id: required_string(entry, "versionId", &path)?.to_owned(),
                language: required_string(entry, "language", &path)?.to_owned(),
                accepted_at: required_timestamp(entry, "acceptedAt", &path)?,
            });
        }

        let mut tax_attestations = Vec::new();
        let attestations_path = Path::Key(&root_path, "taxAttestations");
        for (idx, entry) in optional_array(top, "taxAttestations", &root_path)?
            .iter()
            .enumerate()
        {
            let path = Path::Index(&attestations_path, idx);
            let entry = expect_object(entry, &path)?;
            optional_bool(entry, "isExemptBackupWithholding", &path)?;
            optional_bool(entry, "edeliveryConsent", &path)?;
            tax_attestations.push(TaxAttestation {
                form: required_string(entry, "form", &path)?.to_owned(),
                accepted_at: required_timestamp(entry, "acceptedAt", &path)?,
            });
        }

        Ok(Snapshot {
            root,
            customer_id,
            capabilities,
            requirements,
            tos_acceptances,
            tax_attestations,
            warnings,
        })
    }

    /// Whether the snapshot carries the provider's `requirements` map (even an empty one),
    /// that is, whether it was read from the provider rather than drafted by the platform.
    ///
    /// # Example
    ///
    /// ```
    /// let from_provider = capgate::Snapshot::from_json(r#"{"requirements": {}}"#)?;
    /// assert!(from_provider.has_provider_requirements());
    /// let draft = capgate::Snapshot::from_json(r#"{"capabilities": {}}"#)?;
    /// assert!(!draft.has_provider_requirements());
    /// # Ok::<(), capgate::SnapshotError>(())
    /// ```
    pub fn has_provider_requirements(&self) -> bool {
        self.requirements.is_some()
    }

    /// The `customerId`, when the snapshot has one.
    ///
    /// # Example
    ///
    /// ```
    /// let snapshot = capgate::Snapshot::from_json(r#"{"customerId": "customer_123"}"#)?;
    /// assert_eq!(snapshot.customer_id(), Some("customer_123"));
    /// assert_eq!(capgate::Snapshot::from_json("{}")?.customer_id(), None);
    /// # Ok::<(), capgate::SnapshotError>(())
    /// ```
    pub fn customer_id(&self) -> Option<&str> {
        self.customer_id.as_deref()
    }

    /// The value at a pre-parsed path, treating `null` as absent.
    pub(crate) fn lookup(&self, segments: &[String]) -> Option<&Json> {
        let mut cursor = &self.root;
        for segment in segments {
            cursor = cursor.as_object()?.get(segment)?;
        }
        nullable(cursor)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("shape", &self.root)
            .field("provider_requirements", &self.requirements.is_some())
            .finish_non_exhaustive()
    }
}

fn parse_provider_requirement(
    value: &Json,
    path: &Path<'_>,
    warnings: &mut Vec<String>,
) -> Result<ProviderRequirement, SnapshotError> {
    let entry = expect_object(value, path)?;
    let status = match required_string(entry, "status", path)? {
        "due" => ProviderRequirementStatus::Due,
        "past_due" | "overdue" => ProviderRequirementStatus::PastDue,
        "pending" => ProviderRequirementStatus::Pending,
        "rejected" => ProviderRequirementStatus::Rejected,
        "eventually_due" => ProviderRequirementStatus::EventuallyDue,
        _ => {
            warnings.push(format!(
                "unknown requirement status at {}/status is treated as blocking",
                printable(&path.render())
            ));
            ProviderRequirementStatus::Unknown
        }
    };
    let deadline = optional_timestamp(entry, "deadline", path)?;
    let impact = string_array(entry, "impact", path)?;
    let tax_forms = string_array(entry, "taxForms", path)?;
    let mut tos_versions = Vec::new();
    for (idx, version) in optional_array(entry, "tosVersions", path)?
        .iter()
        .enumerate()
    {
        let versions_path = Path::Key(path, "tosVersions");
        let version_path = Path::Index(&versions_path, idx);
        let version = expect_object(version, &version_path)?;
        tos_versions.push(ProviderTosVersion {
            version_id: required_string(version, "versionId", &version_path)?.to_owned(),
            languages: string_array(version, "languages", &version_path)?,
            url: optional_string(version, "url", &version_path)?.map(str::to_owned),
            deadline: optional_timestamp(version, "deadline", &version_path)?,
        });
    }
    Ok(ProviderRequirement {
        status,
        deadline,
        impact,
        tos_versions,
        tax_forms,
    })
}

/// `None` for `null`, the value otherwise.
fn nullable(value: &Json) -> Option<&Json> {
    match value {
        Json::Null => None,
        other => Some(other),
    }
}

#[cold]
fn type_error(expected: &str, path: &str, found: &Json) -> SnapshotError {
    SnapshotError::at(
        ErrorCode::SnapshotType,
        path.to_owned(),
        format!(
            "expected {expected} at {}, found {}",
            place(path),
            found.type_name()
        ),
    )
}

fn expect_object<'a>(value: &'a Json, path: &Path<'_>) -> Result<&'a JsonObject, SnapshotError> {
    value
        .as_object()
        .ok_or_else(|| type_error("an object", &path.render(), value))
}

fn field<'a>(object: &'a JsonObject, key: &str) -> Option<&'a Json> {
    object.get(key).and_then(nullable)
}

fn optional_object<'a>(
    object: &'a JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<Option<&'a JsonObject>, SnapshotError> {
    field(object, key)
        .map(|value| expect_object(value, &Path::Key(parent, key)))
        .transpose()
}

fn optional_array<'a>(
    object: &'a JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<&'a [Json], SnapshotError> {
    match field(object, key) {
        None => Ok(&[]),
        Some(Json::Array(items)) => Ok(items),
        Some(other) => Err(type_error(
            "an array",
            &Path::Key(parent, key).render(),
            other,
        )),
    }
}

fn optional_string<'a>(
    object: &'a JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<Option<&'a str>, SnapshotError> {
    match field(object, key) {
        None => Ok(None),
        Some(Json::String(text)) => Ok(Some(text)),
        Some(other) => Err(type_error(
            "a string",
            &Path::Key(parent, key).render(),
            other,
        )),
    }
}

fn optional_bool(
    object: &JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<Option<bool>, SnapshotError> {
    match field(object, key) {
        None => Ok(None),
        Some(Json::Bool(flag)) => Ok(Some(*flag)),
        Some(other) => Err(type_error(
            "a boolean",
            &Path::Key(parent, key).render(),
            other,
        )),
    }
}

fn required_string<'a>(
    object: &'a JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<&'a str, SnapshotError> {
    optional_string(object, key, parent)?.ok_or_else(|| missing(key, parent))
}

#[cold]
fn missing(key: &str, parent: &Path<'_>) -> SnapshotError {
    let path = Path::Key(parent, key).render();
    SnapshotError::at(
        ErrorCode::MissingField,
        path.clone(),
        format!("missing required field {}", printable(&path)),
    )
}

fn optional_timestamp(
    object: &JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<Option<Timestamp>, SnapshotError> {
    let Some(text) = optional_string(object, key, parent)? else {
        return Ok(None);
    };
    Timestamp::parse(text).map(Some).map_err(|err| {
        let path = Path::Key(parent, key).render();
        SnapshotError::at(
            ErrorCode::InvalidTimestamp,
            path.clone(),
            format!(
                "invalid RFC 3339 timestamp at {}: {}",
                printable(&path),
                err.reason()
            ),
        )
    })
}

fn required_timestamp(
    object: &JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<Timestamp, SnapshotError> {
    optional_timestamp(object, key, parent)?.ok_or_else(|| missing(key, parent))
}

fn string_array(
    object: &JsonObject,
    key: &str,
    parent: &Path<'_>,
) -> Result<Vec<String>, SnapshotError> {
    let items = optional_array(object, key, parent)?;
    let mut out = Vec::with_capacity(items.len());
    for (idx, item) in items.iter().enumerate() {
        match item {
            Json::String(text) => out.push(text.as_str().to_owned()),
            other => {
                return Err(type_error(
                    "a string",
                    &Path::Index(&Path::Key(parent, key), idx).render(),
                    other,
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_error(text: &str, code: &str, path: &str) {
        let err = Snapshot::from_json(text).unwrap_err();
        assert_eq!((err.code().as_str(), err.path()), (code, path), "{err}");
    }

    #[test]
    fn known_fields_are_type_checked_with_paths() {
        check_error("[]", "CG202", "");
        check_error(r#"{"individual": []}"#, "CG202", "/individual");
        check_error(
            r#"{"individual": {"dateOfBirth": {"day": 7}}}"#,
            "CG202",
            "/individual/dateOfBirth/day",
        );
        check_error(
            r#"{"individual": {"address": {"state": 5}}}"#,
            "CG202",
            "/individual/address/state",
        );
        check_error(
            r#"{"capabilities": {"custodyFiat": {"requested": "yes"}}}"#,
            "CG202",
            "/capabilities/custodyFiat/requested",
        );
        check_error(
            r#"{"requirements": {"tos": {}}}"#,
            "CG206",
            "/requirements/tos/status",
        );
        check_error(
            r#"{"requirements": {"tos": {"status": "due", "impact": [1]}}}"#,
            "CG202",
            "/requirements/tos/impact/0",
        );
        check_error(
            r#"{"requirements": {"tos": {"status": "due", "deadline": "2026-01-01"}}}"#,
            "CG204",
            "/requirements/tos/deadline",
        );
        check_error(
            r#"{"tosAcceptances": [{"versionId": "v", "language": "en", "acceptedAt": "2026-01-01T00:00:00"}]}"#,
            "CG204",
            "/tosAcceptances/0/acceptedAt",
        );
        check_error(r#"{"taxAttestations": {}}"#, "CG202", "/taxAttestations");
        check_error(
            r#"{"compliance": {"requesterIpAddress": 10}}"#,
            "CG202",
            "/compliance/requesterIpAddress",
        );
        check_error(r#"{"email": false}"#, "CG202", "/email");
    }

    #[test]
    fn unknown_fields_and_names_are_tolerated() {
        let snapshot = Snapshot::from_json(
            r#"{"futureField": {"x": 1}, "capabilities": {"stakeCrypto": {"requested": true, "status": "active"}},
               "individual": {"middleName": 3}}"#,
        )
        .unwrap();
        assert!(snapshot.capabilities.contains_key("stakeCrypto"));
        assert!(snapshot.warnings.is_empty());
    }

    #[test]
    fn unknown_statuses_are_kept_conservatively_with_a_warning() {
        let snapshot = Snapshot::from_json(
            r#"{"capabilities": {"custodyFiat": {"requested": true, "status": "suspended"}},
               "requirements": {"fullSsn": {"status": "needs_review"}, "tos": {"status": "overdue"}}}"#,
        )
        .unwrap();
        let capability = &snapshot.capabilities["custodyFiat"];
        assert_eq!(capability.status, Some(ProviderCapabilityStatus::Unknown));
        let requirements = snapshot.requirements.as_ref().unwrap();
        assert_eq!(
            requirements["fullSsn"].status,
            ProviderRequirementStatus::Unknown
        );
        assert_eq!(
            requirements["tos"].status,
            ProviderRequirementStatus::PastDue
        );
        assert_eq!(snapshot.warnings.len(), 2);
    }

    #[test]
    fn null_is_absent() {
        let snapshot =
            Snapshot::from_json(r#"{"individual": {"firstName": null}, "requirements": null}"#)
                .unwrap();
        assert!(
            snapshot
                .lookup(&["individual".into(), "firstName".into()])
                .is_none()
        );
        assert!(!snapshot.has_provider_requirements());
    }
}
