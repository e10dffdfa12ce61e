//! `--format human`: readable tables of capabilities and what each still needs.

use std::fmt::Write;

use capgate::{
    CapabilityStatus, Decision, EndUserView, Evaluation, Explanation, Node, NodeState, Outstanding,
    TaskAction, UserState,
};

/// Renders an evaluation as two tables: capabilities, then outstanding requirements.
pub(crate) fn evaluation(evaluation: &Evaluation, customer_id: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "customer {}  at {}  rules {} {}",
        customer_id.unwrap_or("(no id)"),
        evaluation.at,
        evaluation.ruleset.id,
        evaluation.ruleset.version
    );
    out.push('\n');
    let mut rows = vec![[
        "CAPABILITY".to_owned(),
        "REQUESTED".to_owned(),
        "STATUS".to_owned(),
        "WAITING ON".to_owned(),
    ]];
    for (name, state) in &evaluation.capabilities {
        let waiting = match (state.status, evaluation.waiting_on.get(name)) {
            (CapabilityStatus::Pending, Some(waiting)) => {
                let mut items: Vec<String> = waiting.requirements.clone();
                items.extend(
                    waiting
                        .capabilities
                        .iter()
                        .map(|c| format!("capability {c}")),
                );
                if waiting.provider && items.is_empty() {
                    items.push("provider verification".to_owned());
                }
                items.join(", ")
            }
            (CapabilityStatus::Inactive, _) => "no resolution available".to_owned(),
            _ => String::new(),
        };
        rows.push([
            name.clone(),
            if state.requested { "yes" } else { "no" }.to_owned(),
            state.status.as_str().to_owned(),
            waiting,
        ]);
    }
    table(&mut out, &rows);
    out.push('\n');
    requirements(&mut out, evaluation.requirements.iter());
    let _ = writeln!(
        out,
        "\nallowed: {}",
        if evaluation.allowed.is_empty() {
            "(none)".to_owned()
        } else {
            evaluation.allowed.join(", ")
        }
    );
    if let Some(next) = evaluation.next_transition_at {
        let _ = writeln!(out, "next change: {next}");
    }
    for warning in &evaluation.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// Renders a decision: the verdict, then the requirements that would unlock it.
pub(crate) fn decision(decision: &Decision) -> String {
    let mut out = String::new();
    if decision.allowed {
        let _ = writeln!(out, "{}: allowed at {}", decision.operation, decision.at);
    } else {
        let _ = writeln!(
            out,
            "{}: denied at {} ({})",
            decision.operation,
            decision.at,
            decision.error_type.map_or("denied", |e| e.as_str())
        );
        if let Some(message) = &decision.error_message {
            let _ = writeln!(out, "  {message}");
        }
        for problem in &decision.invalid_context {
            let _ = writeln!(
                out,
                "  context {}: {} at {}",
                problem.field, problem.code, problem.path
            );
        }
    }
    if !decision.requirements.is_empty() {
        out.push('\n');
        requirements(&mut out, decision.requirements.iter());
    }
    out
}

/// Renders an explanation: the tree with a mark per node, then the unlock plan.
pub(crate) fn explanation(explanation: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} `{}` at {}  (rules {} {})",
        explanation.tree.kind.as_str(),
        explanation.tree.name,
        explanation.at,
        explanation.ruleset.id,
        explanation.ruleset.version
    );
    out.push('\n');
    tree(&mut out, &explanation.tree, "", true, true);
    let plan = &explanation.plan;
    out.push_str("\nunlock plan:\n");
    if !plan.available {
        out.push_str("  no resolution is available\n");
        return out;
    }
    if plan.steps.is_empty() {
        out.push_str("  nothing to do\n");
    }
    for (idx, step) in plan.steps.iter().enumerate() {
        let mut line = format!("  {}. {} {}", idx + 1, step.action.as_str(), step.key);
        if let Some(code) = &step.code {
            let _ = write!(line, " ({code})");
        }
        if !step.paths.is_empty() {
            let _ = write!(line, " at {}", step.paths.join(", "));
        }
        for version in &step.tos_versions {
            let _ = write!(
                line,
                " {} {}",
                version.version_id,
                version.url.as_deref().unwrap_or("")
            );
        }
        if !step.tax_forms.is_empty() {
            let _ = write!(line, " {}", step.tax_forms.join(", "));
        }
        let _ = writeln!(out, "{}  [{}]", line.trim_end(), step.resolved_by.as_str());
    }
    if !plan.pending_requirements.is_empty() {
        let _ = writeln!(
            out,
            "  then the provider finishes verifying: {}",
            plan.pending_requirements.join(", ")
        );
    }
    if !plan.awaiting_verification.is_empty() {
        let _ = writeln!(
            out,
            "  then the provider activates: {}",
            plan.awaiting_verification.join(", ")
        );
    }
    out
}

fn tree(out: &mut String, node: &Node, prefix: &str, last: bool, root: bool) {
    let mark = match node.state {
        NodeState::Met => "ok",
        NodeState::Unmet => "NO",
        NodeState::Unknown => "??",
    };
    let mut line = String::new();
    if !root {
        line.push_str(prefix);
        line.push_str(if last { "`- " } else { "|- " });
    }
    let _ = write!(line, "[{mark}] {} {}", node.kind.as_str(), node.name);
    if let Some(code) = &node.code {
        let _ = write!(line, ": {code}");
    }
    if let Some(path) = &node.path {
        let _ = write!(line, " ({path})");
    }
    if let Some(resolver) = node.resolved_by {
        let _ = write!(line, " [{}]", resolver.as_str());
    }
    out.push_str(&line);
    out.push('\n');
    let child_prefix = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "   " } else { "|  " })
    };
    for (idx, child) in node.children.iter().enumerate() {
        tree(
            out,
            child,
            &child_prefix,
            idx + 1 == node.children.len(),
            false,
        );
    }
}

fn requirements<'a>(out: &mut String, items: impl Iterator<Item = (&'a String, &'a Outstanding)>) {
    let mut rows = vec![[
        "REQUIREMENT".to_owned(),
        "STATUS".to_owned(),
        "DEADLINE".to_owned(),
        "IMPACT".to_owned(),
        "DETAILS".to_owned(),
    ]];
    for (key, requirement) in items {
        let mut details: Vec<String> = requirement
            .errors
            .iter()
            .map(|e| format!("{} at {}", e.code, e.path))
            .collect();
        details.extend(
            requirement
                .tos_versions
                .iter()
                .map(|v| format!("accept {}", v.version_id)),
        );
        details.extend(requirement.tax_forms.iter().map(|f| format!("sign {f}")));
        if !requirement.blocking {
            details.push("not blocking yet".to_owned());
        }
        rows.push([
            key.clone(),
            requirement.status.as_str().to_owned(),
            requirement
                .deadline
                .map(|d| d.to_string())
                .unwrap_or_default(),
            requirement.impact.join(", "),
            details.join("; "),
        ]);
    }
    if rows.len() == 1 {
        out.push_str("no outstanding requirements\n");
        return;
    }
    table(out, &rows);
}

fn table<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (idx, (cell, width)) in row.iter().zip(widths).enumerate() {
            if idx + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Renders the end-user view: the requested capabilities, then a numbered to-do list.
pub(crate) fn end_user(view: &EndUserView) -> String {
    let mut out = String::new();
    for capability in &view.capabilities {
        let state = match capability.state {
            UserState::Available => "available",
            UserState::ActionNeeded => "needs something from you",
            UserState::InReview => "in review",
            _ => "not available",
        };
        let _ = writeln!(out, "{}: {state}", capability.name);
    }
    if view.tasks.is_empty() {
        out.push_str("\nNothing to do.\n");
        return out;
    }
    out.push_str("\nTo do:\n");
    for (n, task) in view.tasks.iter().enumerate() {
        let what = task.description.as_deref().unwrap_or(&task.requirement);
        let verb = match task.action {
            TaskAction::Provide => "Provide",
            TaskAction::Correct => "Correct",
            TaskAction::Resubmit => "Provide again",
            _ => "",
        };
        if matches!(task.action, TaskAction::Accept | TaskAction::Attest) {
            let _ = write!(out, "{:>3}. {what}", n + 1);
        } else {
            let _ = write!(out, "{:>3}. {verb}: {what}", n + 1);
        }
        if let Some(field) = &task.field {
            let _ = write!(out, " ({field})");
        }
        if task.overdue {
            out.push_str(", overdue");
        } else if let Some(deadline) = task.deadline {
            let _ = write!(out, ", by {deadline}");
        }
        if !task.unlocks.is_empty() {
            let _ = write!(out, "; unlocks {}", task.unlocks.join(", "));
        }
        out.push('\n');
        for version in &task.tos_versions {
            let _ = writeln!(
                out,
                "       {} {}",
                version.version_id,
                version.url.as_deref().unwrap_or("")
            );
        }
        for form in &task.tax_forms {
            let _ = writeln!(out, "       form {form}");
        }
    }
    out
}
