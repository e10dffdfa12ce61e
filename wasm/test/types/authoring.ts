// Compiled (not run) by types.test.mjs: the `capgate/authoring` declarations, as a rule
// editor would use them.
import { Engine, type ChangeClass, type RuleDiff, type RuleTestReport } from "../../pkg/authoring-node.js";
import { Engine as RuntimeEngine } from "../../pkg/node.js";

const older = Engine.default();
const newer = Engine.fromSources([{ name: "policy.toml", text: "" }]);
const diff: RuleDiff = older.diff(newer);
for (const change of diff.changes) {
  const cls: ChangeClass = change.class;
  console.log(change.subject, change.name, change.change, change.detail, cls, diff.summary[cls]);
}
const report: RuleTestReport = older.runTests([{ name: "t.toml", text: "" }]);
const failures: string[] = report.results.flatMap((r) => (r.passed ? [] : r.failures.map((f) => `${r.location}: ${f}`)));
const percent: number = report.coverage.percent;
console.log(failures, percent, report.coverage.uncovered.map((gap) => `${gap.kind} ${gap.name} ${gap.met}/${gap.unmet}`));

// @ts-expect-error the runtime module has no authoring methods
RuntimeEngine.default().diff(older);
// @ts-expect-error classes are a closed union
const notAClass: ChangeClass = "breaking";
// @ts-expect-error runTests takes sources, not text
older.runTests("[[test]]");
console.log(notAClass);
