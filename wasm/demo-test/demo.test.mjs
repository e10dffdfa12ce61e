// Headless-browser test of the onboarding demo (wasm/demo/), run with `node --test demo-test/`.
//
// Drives the page in Chromium via playwright-core (no browser download: CHROMIUM or
// /usr/bin/chromium), at a fixed evaluation time set through the page's own time control.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import serve from "../scripts/serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, "screenshots");
const rulesFile = join(here, "..", "..", "rules", "coinbase-customers.toml");

/** The fixed evaluation time (UTC), as the page's datetime-local control takes it. */
const AT = "2026-11-22T12:00";

const BASE_FIELDS = [
  "firstName", "lastName", "dateOfBirth", "fullSsn",
  // addressLine2 is in the base group but optional: a missing value meets it.
  "addressLine1", "addressCity", "addressSubdivision", "addressPostalCode", "addressCountryCode",
  "purposeOfAccount", "sourceOfFunds",
];
const TRADE_CRYPTO_EXTRAS = ["citizenship", "employmentStatus", "occupation", "expectedVolume", "email", "phoneNumber"];

/** The `one_of` values of each requirement in the default rules, read from the TOML text. */
function enumerations() {
  const text = readFileSync(rulesFile, "utf8");
  const result = {};
  const section = /^\[requirements\.(\w+)\]\s*$([\s\S]*?)(?=^\[)/gm;
  for (const [, key, body] of text.matchAll(section)) {
    const oneOf = /kind\s*=\s*"one_of"\s*,\s*values\s*=\s*\[([\s\S]*?)\]/.exec(body);
    if (oneOf) result[key] = [...oneOf[1].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  }
  return result;
}

describe("onboarding demo", () => {
  let server;
  let browser;
  let page;
  const problems = [];

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    server = await serve(0);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: "en-US", timezoneId: "UTC" });
    page = await context.newPage();
    page.setDefaultTimeout(5_000);
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`));
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(`${server.url}/`) && !url.startsWith("data:")) problems.push(`external request: ${url}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });

    await page.goto(`${server.url}/demo/`);
    await page.waitForSelector("body[data-ready='true']");
    await page.fill("#at", AT);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Saves a screenshot of the whole page, from the top, with the sticky parts in place. */
  async function shot(name) {
    const viewport = page.viewportSize();
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: viewport.width, height: Math.max(height, viewport.height) });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(screenshots, name) });
    await page.setViewportSize(viewport);
  }

  /** The requirement keys listed in the onboarding panel's "still needed" list, sorted. */
  const listed = () => page.$$eval("#onboarding-requirements [data-requirement]", (items) => items.map((li) => li.dataset.requirement).sort());
  const has = (key) => page.locator(`#onboarding-requirements [data-requirement="${key}"]`);
  const field = (key) => page.locator(`#onboarding-form .field[data-requirement="${key}"]`);

  /** Runs `action`, then checks `key` is no longer listed (and was before). */
  async function fulfil(key, action) {
    assert.equal(await has(key).count(), 1, `${key} is listed before it is filled`);
    await action();
    await assert.doesNotReject(has(key).waitFor({ state: "detached" }), `${key} disappears once filled`);
    assert.equal(await field(key).evaluate((el) => el.classList.contains("invalid")), false, `${key} is not flagged`);
  }

  test("the selects offer exactly the enumerations of the default rules", async () => {
    const expected = enumerations();
    for (const key of ["purposeOfAccount", "sourceOfFunds", "employmentStatus", "occupation", "expectedVolume", "citizenship", "addressCountryCode"]) {
      assert.ok(expected[key]?.length, `the rules list values for ${key}`);
      const values = await page.$$eval(`#${key} option`, (options) => options.map((o) => o.value).filter(Boolean));
      assert.deepEqual(values, expected[key], `options of ${key}`);
      const labels = await page.$$eval(`#${key} option`, (options) => options.filter((o) => o.value).map((o) => o.textContent.trim()));
      assert.ok(labels.every((label) => label && !/^[a-z0-9_]+$/.test(label)), `${key} options have human labels`);
    }
  });

  test("requesting tradeCrypto lists its requirements, which disappear as the form is filled", async () => {
    assert.equal(await page.locator("#onboarding-requirements [data-requirement]").count(), 0, "nothing requested, nothing listed");
    assert.equal(await page.getAttribute('#onboarding-capabilities [data-capability="tradeCrypto"]', "data-status"), "unrequested");
    // Nothing requested: every field is de-emphasised.
    assert.equal(await field("fullSsn").evaluate((el) => el.classList.contains("unneeded")), true);

    await page.check('input[name="capability"][value="tradeCrypto"]');
    assert.deepEqual(await listed(), [...BASE_FIELDS, ...TRADE_CRYPTO_EXTRAS, "tos"].sort());
    assert.equal(await page.getAttribute('#onboarding-capabilities [data-capability="tradeCrypto"]', "data-status"), "pending");
    assert.equal(await page.getAttribute('#onboarding-capabilities [data-capability="custodyCrypto"]', "data-status"), "unrequested");
    // Needed fields are emphasised, the W-9 (transferFiat only) is not.
    assert.equal(await field("fullSsn").evaluate((el) => el.classList.contains("unneeded")), false);
    assert.equal(await field("taxAttestation").evaluate((el) => el.classList.contains("unneeded")), true);
    // A human message, not a key.
    assert.match(await has("sourceOfFunds").innerText(), /Choose your source of funds/);
    assert.match(await has("fullSsn").innerText(), /Enter your Social Security number as 123-45-6789/);

    await fulfil("firstName", () => page.fill("#firstName", "Jane"));
    await fulfil("lastName", () => page.fill("#lastName", "Doe"));
    await fulfil("dateOfBirth", async () => {
      await page.selectOption("#dobMonth", "7");
      await page.fill("#dobDay", "4");
      assert.equal(await has("dateOfBirth").count(), 1, "an incomplete date is still outstanding");
      await page.fill("#dobYear", "1990");
    });

    // An invalid SSN is flagged on its field, with the format to use; then corrected.
    await page.fill("#fullSsn", "123456789");
    await page.locator('.field.invalid[data-requirement="fullSsn"]').waitFor();
    assert.equal(await page.getAttribute("#fullSsn", "aria-invalid"), "true");
    assert.match(await field("fullSsn").locator(".field-error").innerText(), /123-45-6789/);
    assert.equal(await has("fullSsn").getAttribute("class"), "todo-invalid");
    await shot("onboarding.png");
    await fulfil("fullSsn", () => page.fill("#fullSsn", "529-31-4807"));
    assert.equal(await page.getAttribute("#fullSsn", "aria-invalid"), null);

    await fulfil("citizenship", () => page.selectOption("#citizenship", "US"));
    await fulfil("email", () => page.fill("#email", "jane.doe@example.com"));
    await fulfil("phoneNumber", () => page.fill("#phoneNumber", "+15551234567"));
    await fulfil("addressLine1", () => page.fill("#addressLine1", "500 Main St"));
    await fulfil("addressCity", () => page.fill("#addressCity", "Boston"));
    await fulfil("addressSubdivision", () => page.selectOption("#addressSubdivision", "MA"));
    await fulfil("addressPostalCode", () => page.fill("#addressPostalCode", "02108"));
    await fulfil("addressCountryCode", () => page.selectOption("#addressCountryCode", "US"));
    await fulfil("purposeOfAccount", () => page.selectOption("#purposeOfAccount", "investing"));
    await fulfil("sourceOfFunds", () => page.selectOption("#sourceOfFunds", "salary"));
    await fulfil("employmentStatus", () => page.selectOption("#employmentStatus", "employed_fulltime"));
    await fulfil("occupation", () => page.selectOption("#occupation", "technology"));
    await fulfil("expectedVolume", () => page.selectOption("#expectedVolume", "1k_to_10k"));

    // The ToS link comes from the rules' `tos` requirement.
    assert.equal(await page.getAttribute("#tos-link", "href"), "https://docs.cdp.coinbase.com/legal/terms/us_individual_2026-05-29");
    await fulfil("tos", () => page.check("#tosAccept"));

    assert.deepEqual(await listed(), []);
    const status = page.locator('#onboarding-capabilities [data-capability="tradeCrypto"]');
    assert.equal(await status.getAttribute("data-status"), "pending");
    assert.equal(await status.getAttribute("data-waiting"), "provider");
    assert.match(await status.innerText(), /waiting for verification/);
    assert.match(await status.innerText(), /pending/);

    // The snapshot JSON shows the draft, with the SSN and date of birth masked.
    const json = await page.locator("#snapshot-json").innerText();
    const shown = JSON.parse(json);
    assert.deepEqual(shown.capabilities, { tradeCrypto: { requested: true } });
    assert.equal(shown.individual.firstName, "Jane");
    assert.deepEqual(shown.tosAcceptances, [{ versionId: "us_individual_2026-05-29", language: "en", acceptedAt: "2026-11-22T12:00:00Z" }]);
    assert.equal(shown.individual.fullSsn, "•••-••-••••");
    assert.deepEqual(shown.individual.dateOfBirth, { day: "•", month: "•", year: "••••" });
    assert.ok(!json.includes("4807") && !json.includes("1990"), "no SSN or date of birth in the JSON preview");
    const pageText = await page.locator("body").innerText();
    assert.ok(!pageText.includes("529-31-4807") && !pageText.includes("4807"), "no SSN in the page text");

    // transferFiat adds only the W-9, which the attestation checkbox meets.
    await page.check('input[name="capability"][value="transferFiat"]');
    assert.deepEqual(await listed(), ["taxAttestation"]);
    assert.equal(await field("taxAttestation").evaluate((el) => el.classList.contains("unneeded")), false);
    await fulfil("taxAttestation", async () => {
      await page.check("#w9Sign");
      await page.check("#w9Edelivery");
    });
    assert.equal(await page.getAttribute('#onboarding-capabilities [data-capability="transferFiat"]', "data-waiting"), "provider");
    assert.match(await page.locator("#onboarding-empty").innerText(), /All set/);

    await shot("onboarding-complete.png");
  });

  test("the provider-snapshot panel evaluates the example, follows the time, and shows parse errors", async () => {
    await page.click("#tab-provider");
    await page.locator("#panel-provider").waitFor();
    await page.click("#load-example");
    const cap = (name) => page.locator(`#provider-capabilities [data-capability="${name}"]`);
    const req = (key) => page.locator(`#provider-requirements [data-requirement="${key}"]`);

    assert.equal(await cap("custodyCrypto").getAttribute("data-status"), "active");
    assert.equal(await cap("tradeCrypto").getAttribute("data-status"), "pending");
    assert.equal(await req("tos").getAttribute("data-status"), "due");
    assert.equal(await req("tos").getAttribute("data-blocking"), "false", "a future ToS deadline is a grace period");
    assert.match(await req("tos").innerText(), /Jan 31, 2027/);
    assert.match(await page.locator("#provider-allowed").innerText(), /Crypto custody/);
    assert.equal(await page.getAttribute("#provider-next [data-next]", "data-next"), "2026-12-31T23:59:59Z");
    await shot("provider.png");

    // Past the ToS deadline (2027-01-31T23:59:59Z): the capabilities are withdrawn.
    await page.fill("#at", "2027-02-01T00:00");
    await page.locator('#provider-capabilities [data-capability="custodyCrypto"][data-status="pending"]').waitFor();
    assert.equal(await req("tos").getAttribute("data-status"), "past_due");
    assert.equal(await req("tos").getAttribute("data-blocking"), "true");
    assert.match(await page.locator("#provider-allowed").innerText(), /nothing yet/);
    assert.match(await page.locator("#provider-summary").innerText(), /0 active/);
    await shot("provider-past-deadline.png");

    // Back before the deadline: active again.
    await page.fill("#at", AT);
    assert.equal(await cap("custodyCrypto").getAttribute("data-status"), "active");

    // Malformed JSON: the error is shown with its code, never thrown.
    await page.fill("#provider-json", '{"capabilities": {"custodyCrypto": ');
    const error = page.locator("#provider-error");
    await error.waitFor();
    assert.equal(await error.getAttribute("data-code"), "CG201");
    assert.match(await error.innerText(), /CG201/);
    assert.match(await error.innerText(), /line 1/);
    assert.equal(await page.locator("#provider-result").isHidden(), true);

    // A known field of the wrong type: CG202 with its JSON pointer.
    await page.fill("#provider-json", '{"capabilities": 5}');
    await page.locator('#provider-error[data-code="CG202"]').waitFor();
    assert.match(await error.innerText(), /\/capabilities/);

    // Fixed again: the error goes away.
    await page.click("#load-example");
    assert.equal(await error.isHidden(), true);
  });

  test("no console errors or warnings, page errors, failed or external requests", () => {
    assert.deepEqual(problems, []);
  });
});
