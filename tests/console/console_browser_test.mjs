// The web console in a real browser (issue 19, part 4): Debian's chromium,
// headless, driven by playwright-core, against a real rapportd with the
// first-party modules, on 127.0.0.1 with ephemeral ports.
//
//   node tests/console/console_browser_test.mjs --rapportd BIN --console-dir DIR \
//        --plugin-dir DIR [--chromium /usr/bin/chromium]
//
// It logs in (a bad token first), turns SFA on for one team at 20%, sees
// the change in the rollout timeline, kills it and sees it off for a user
// of that team, refuses a percentage of 120 (nothing changes), reads the
// funnel report and the analytics notice, searches a Hangul customer and
// opens their timeline, creates a token whose secret is shown once and
// revokes it, switches to Korean, is sent back to the login screen when its
// own token is revoked, and checks labels, keyboard use and both screen
// sizes. What the page shows is checked against the API. Screenshots of a
// failure go to $TMPDIR/rapport-console-test/. Bounded: 150 s in all.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(join(repo, "console/package.json"));
const { chromium } = require("playwright-core");

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  throw new Error(`missing --${name}`);
}

const rapportd = flag("rapportd");
const consoleDir = flag("console-dir");
const pluginDir = flag("plugin-dir");
const chromiumPath = flag("chromium", "/usr/bin/chromium");
const shots = join(tmpdir(), "rapport-console-test");

const deadline = setTimeout(() => {
  console.error("FAIL: the test ran over 150 s");
  cleanup();
  process.exit(1);
}, 150_000);

let server = null;
let browser = null;
const dataDir = mkdtempSync(join(tmpdir(), "rapport-console-data-"));

function cleanup() {
  if (server && server.exitCode === null) server.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(rapportd, [
      "--data-dir", dataDir,
      "--listen", "127.0.0.1:0",
      "--http-listen", "127.0.0.1:0",
      "--console-dir", consoleDir,
      "--plugin-dir", pluginDir,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/console on (http:\/\/\S+)\/console\//);
      if (m) resolve({ child, base: m[1] });
    });
    const startLimit = setTimeout(() => reject(new Error(`rapportd did not start:\n${out}\n${err}`)), 30_000);
    child.stdout.on("data", () => {
      if (/console on /.test(out)) clearTimeout(startLimit);
    });
    child.on("exit", (code) => {
      clearTimeout(startLimit);
      reject(new Error(`rapportd exited (${code}):\n${out}\n${err}`));
    });
  });
}

let base = "";
async function api(token, service, method, body = {}) {
  const response = await fetch(`${base}/${service}/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) {
    const e = new Error(`${service}/${method}: ${json.code}: ${json.message}`);
    e.code = json.code;
    e.status = response.status;
    throw e;
  }
  return json;
}

const M = "rapport.v1.ModuleService";
const I = "rapport.v1.IdentityService";

let step = "start";
function log(name) {
  step = name;
  console.log(`-- ${name}`);
}

// Every control on the page has an accessible name.
async function assertLabelled(page, where) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, button, textarea")]
      .filter((el) => el.offsetParent !== null || el.closest("dialog[open]"))
      .filter((el) => {
        const labelled = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label");
        const text = el.tagName === "BUTTON" && el.textContent.trim().length > 0;
        return !labelled && !text;
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelled, [], `unlabelled controls on ${where}`);
}

async function assertFits(page, width, where) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width + 1, `${where}: the page is ${scroll}px wide at a ${width}px viewport`);
}

async function login(page, token) {
  await page.goto(`${base}/console`);
  assert.match(page.url(), /\/console\/$/, "GET /console redirects to /console/");
  const input = page.getByLabel("API token");
  await input.focus();
  await page.keyboard.type(token);
  await page.keyboard.press("Enter");
}

async function main() {
  const started = await startServer();
  server = started.child;
  base = started.base;
  const admin = readFileSync(join(dataDir, "admin.token"), "utf8").trim();

  log("seed: teams, users, SFA for the admin, a pipeline, deals and a Hangul customer");
  await api(admin, I, "CreateTeam", { team: { id: "seoul", displayName: "서울 영업" } });
  await api(admin, I, "CreateTeam", { team: { id: "busan", displayName: "부산 영업" } });
  await api(admin, I, "CreateUser", {
    user: { id: "minsu.kim", displayName: "김민수", roles: ["ROLE_REP"], teamIds: ["seoul"] },
  });
  await api(admin, I, "CreateUser", {
    user: { id: "jiyeon.park", displayName: "박지연", roles: ["ROLE_REP"], teamIds: ["busan"] },
  });
  await api(admin, M, "SetRollout", {
    rule: { module: "sfa", mode: "MODULE_MODE_ON", userIds: ["admin"] },
  });
  await api(admin, "rapport.sfa.v1.SalesService", "SetPipeline", {
    pipeline: {
      name: "new-business",
      stages: [
        { name: "lead", probability: 10, forecastCategory: "FORECAST_CATEGORY_PIPELINE" },
        { name: "qualify", probability: 30, forecastCategory: "FORECAST_CATEGORY_PIPELINE" },
        { name: "won", probability: 100, forecastCategory: "FORECAST_CATEGORY_CLOSED_WON" },
        { name: "lost", probability: 0, forecastCategory: "FORECAST_CATEGORY_CLOSED_LOST" },
      ],
    },
  });
  const customer = await api(admin, "rapport.v1.CustomerService", "CreateCustomer", {
    customer: { displayName: "주식회사 한빛", phones: ["+82 10-1234-5678"] },
  });
  const deals = [];
  for (const name of ["한빛 ERP 연동", "한빛 유지보수", "한빛 교육"]) {
    deals.push(await api(admin, "rapport.v1.OpportunityService", "CreateOpportunity", {
      opportunity: { customerId: customer.id, name },
    }));
  }
  await api(admin, "rapport.v1.OpportunityService", "UpdateOpportunity", {
    opportunity: { id: deals[0].id, stage: "qualify" },
    updateMask: "stage",
  });
  await api(admin, "rapport.v1.InteractionService", "CreateInteraction", {
    interaction: {
      customerId: customer.id,
      kind: "INTERACTION_KIND_CALL",
      subject: "도입 상담",
      occurredAt: new Date(Date.now() - 3600_000).toISOString(),
    },
  });

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // The API's refusals (401 for the bad token, 400s) are logged by the
    // browser as failed loads; anything else (a CSP violation, a script
    // error) is a defect.
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  try {
    log("log in: an empty token and a bad one are refused, the admin's works (keyboard only)");
    await page.goto(`${base}/console`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Enter a token" }).waitFor();
    await assertLabelled(page, "login");
    await page.getByLabel("API token").fill("rpt_bogus_token");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "unauthenticated" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("rapport.token")), null,
                 "a refused token is not kept");
    assert.equal(await page.getByText("Your token was refused").count(), 0,
                 "a token tried at sign-in is not reported as a revoked session");
    await login(page, admin);
    await page.getByTestId("caller").filter({ hasText: "admin" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("rapport.token")), admin);
    assert.equal(await page.evaluate(() => localStorage.getItem("rapport.token")), null,
                 "the token is kept in session storage only");

    log("modules: the list shows SFA loaded, with its version");
    const modules = (await api(admin, M, "ListModules")).modules;
    const sfa = modules.find((m) => m.name === "sfa");
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "Open sfa" }) });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${sfa.version}[\\s\\S]*loaded`));
    await assertLabelled(page, "modules");

    log("rollout: a percentage of 120 is refused and nothing changes");
    await page.getByRole("link", { name: "Open sfa" }).click();
    await page.getByRole("heading", { name: "Rollout", exact: true }).waitFor();
    const before = await api(admin, M, "GetRollout", { module: "sfa" });
    await page.getByLabel("Teams (comma-separated IDs)").fill("seoul");
    await page.getByLabel("Percentage of users (0–100)").fill("120");
    await page.getByRole("button", { name: "Review change" }).click();
    await page.getByRole("alert").filter({ hasText: "whole number from 0 to 100" }).waitFor();
    assert.equal(await page.locator("dialog[open]").count(), 0, "no confirmation for a bad percentage");
    assert.equal((await api(admin, M, "GetRollout", { module: "sfa" })).revision, before.revision);
    await assertLabelled(page, "module detail");

    log("rollout: SFA on for team seoul and 20% of users, after a confirmation");
    await page.getByLabel("Percentage of users (0–100)").fill("20");
    await page.getByRole("button", { name: "Review change" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /seoul[\s\S]*20%/);
    // Cancel first: nothing is sent.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await api(admin, M, "GetRollout", { module: "sfa" })).revision, before.revision);
    await page.getByRole("button", { name: "Review change" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("status").filter({ hasText: "Rollout saved" }).waitFor();
    const rule = await api(admin, M, "GetRollout", { module: "sfa" });
    assert.deepEqual(rule.teamIds, ["seoul"]);
    assert.equal(rule.percentage, 20);
    assert.deepEqual(rule.userIds, ["admin"], "the users already targeted are kept");

    log("timeline: the change is the newest entry, with who made it");
    const timeline = page.getByTestId("rollout-timeline");
    await timeline.locator("li").first().filter({ hasText: "0% → 20%" }).waitFor();
    const newest = await timeline.locator("> li").first().innerText();
    assert.match(newest, /admin/);
    assert.match(newest, /Teams \(comma-separated IDs\): None → seoul/);
    assert.match(newest, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST/);

    log("check: on for minsu.kim (team seoul)");
    await page.getByLabel("User ID").fill("minsu.kim");
    await page.getByRole("button", { name: "Check", exact: true }).click();
    await page.getByTestId("check-result").filter({ hasText: /^on for minsu\.kim/ }).waitFor();
    assert.equal((await api(admin, M, "CheckModule", { module: "sfa", userId: "minsu.kim" })).mode,
                 "MODULE_MODE_ON");

    log("kill switch: SFA off for everyone, minsu.kim included");
    await page.getByLabel("Kill switch (off for everyone)").check();
    await page.getByRole("button", { name: "Review change" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await timeline.locator("> li").first().filter({ hasText: "Kill switch on" }).waitFor();
    await page.getByLabel("User ID").fill("minsu.kim");
    await page.getByRole("button", { name: "Check", exact: true }).click();
    await page.getByTestId("check-result").filter({ hasText: /^off for minsu\.kim/ }).waitFor();
    const killed = await api(admin, M, "CheckModule", { module: "sfa", userId: "minsu.kim" });
    assert.equal(killed.mode, "MODULE_MODE_OFF");
    assert.match(await page.getByTestId("check-result").innerText(), new RegExp(killed.reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    assert.equal(await timeline.locator("> li").count(), 3, "three changes: seed, 20%, kill");

    log("kill switch off again, so the funnel can be read");
    await page.getByLabel("Kill switch (off for everyone)").uncheck();
    await page.getByRole("button", { name: "Review change" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await timeline.locator("> li").first().filter({ hasText: "Kill switch off" }).waitFor();

    log("results: the analytics notice and the SFA funnel as a chart and a table");
    await page.getByRole("link", { name: "Results" }).click();
    await page.getByTestId("analytics-status").filter({ hasText: "not loaded" }).waitFor();
    const table = page.getByTestId("funnel-table");
    await table.waitFor();
    const funnel = await api(admin, "rapport.sfa.v1.SalesService", "GetFunnel", { pipeline: "new-business" });
    for (const stage of funnel.stages) {
      const cells = await table.getByRole("row").filter({ hasText: stage.name }).first().innerText();
      assert.match(cells, new RegExp(`^${stage.name}\\s+${stage.count ?? 0}\\b`), `funnel row ${stage.name}`);
    }
    assert.match(await table.innerText(), /lead\s+2/);
    assert.match(await table.innerText(), /qualify\s+1/);
    assert.equal(await page.getByRole("img", { name: /Opportunities per stage/ }).count(), 1);
    await assertLabelled(page, "results");

    log("data: a Hangul search and the customer's timeline");
    await page.getByRole("link", { name: "Data" }).click();
    await page.getByLabel("Search customers").fill("한빛");
    await page.keyboard.press("Enter");
    await page.getByRole("link", { name: "주식회사 한빛" }).click();
    const customerTimeline = page.getByTestId("customer-timeline");
    await customerTimeline.filter({ hasText: "도입 상담" }).waitFor();
    const entries = await customerTimeline.innerText();
    for (const deal of ["한빛 ERP 연동", "한빛 유지보수", "한빛 교육"]) assert.ok(entries.includes(deal), deal);
    assert.match(await page.locator("dl.facts").innerText(), /\+82/);
    await assertLabelled(page, "customer");

    log("people: a token for minsu.kim, its secret shown once, then revoked");
    await page.getByRole("link", { name: "People" }).click();
    await page.getByRole("row").filter({ hasText: "jiyeon.park" }).waitFor();
    await page.getByLabel("Tokens of user").selectOption("minsu.kim");
    await page.getByLabel("Token name").fill("laptop");
    await page.getByLabel("Purpose").fill("console test");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = (await page.getByTestId("token-secret").innerText()).trim();
    assert.match(secret, /^rpt_/);
    assert.equal((await api(secret, I, "GetCaller")).user.id, "minsu.kim", "the shown secret works");
    const tokens = (await api(admin, I, "ListTokens", { userId: "minsu.kim" })).tokens;
    assert.equal(tokens.length, 1);
    assert.ok(!JSON.stringify(tokens).includes(secret.split("_").pop()), "the list never has the secret");
    await page.getByRole("button", { name: `Revoke ${tokens[0].id}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await page.getByTestId("tokens").getByRole("row").filter({ hasText: "revoked" }).waitFor();
    await assert.rejects(api(secret, I, "GetCaller"), (e) => e.status === 401);
    await assertLabelled(page, "people");

    log("bad input from People: a user with an invalid id gets the server's field error");
    await page.getByRole("form", { name: "Create user" }).getByLabel("ID").fill("Bad Id!");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("alert").filter({ hasText: "invalid_argument" }).waitFor();
    const users = (await api(admin, I, "ListUsers")).users.map((u) => u.id);
    assert.ok(!users.includes("Bad Id!"));

    log("language: Korean, then back to English");
    await page.getByLabel("Language").selectOption("ko");
    await page.getByRole("link", { name: "모듈" }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "ko");
    await page.getByLabel("언어").selectOption("en");
    await page.getByRole("link", { name: "Modules" }).waitFor();

    log("a revoked session goes back to the login screen");
    const second = await api(admin, I, "CreateToken", { token: { userId: "admin", name: "second" } });
    const other = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "ko-KR" });
    const phone = await other.newPage();
    phone.on("pageerror", (e) => problems.push(`page error (phone): ${e.message}`));
    phone.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
        problems.push(`console (phone): ${m.text()}`);
      }
    });
    await phone.goto(`${base}/console`);
    await phone.getByLabel("API 토큰").fill(second.secret);
    await phone.getByRole("button", { name: "로그인" }).click();
    await phone.getByRole("link", { name: "모듈" }).waitFor();

    log("phone width: modules and a module's page fit 390 px");
    await phone.getByRole("link", { name: "sfa 열기" }).click();
    await phone.getByRole("heading", { name: "롤아웃 이력" }).waitFor();
    await assertFits(phone, 390, "module page (phone)");
    await assertFits(page, 1280, "people page (desktop)");
    await api(admin, I, "RevokeToken", { id: second.token.id });
    await phone.getByRole("link", { name: "사용자" }).click();
    await phone.getByRole("alert").filter({ hasText: "토큰이 거부되었습니다" }).waitFor();
    await phone.getByLabel("API 토큰").waitFor();
    assert.equal(await phone.evaluate(() => sessionStorage.getItem("rapport.token")), null);

    log("log out forgets the token");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("API token").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("rapport.token")), null);

    log("the console's files carry the security headers");
    const index = await fetch(`${base}/console/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.equal(index.headers.get("cache-control"), "no-cache");
    assert.equal(index.headers.get("x-content-type-options"), "nosniff");
    assert.equal(index.headers.get("referrer-policy"), "no-referrer");
    const bundle = (await index.text()).match(/assets\/[^"]+\.js/);
    assert.ok(bundle, "index.html names its bundle");
    const script = await fetch(`${base}/console/${bundle[0]}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get("cache-control") ?? "", /immutable/);
    assert.match(script.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.equal((await fetch(`${base}/console/nope.js`)).status, 404);
    // Escapes from the console directory: console_site_test sends them raw
    // (fetch would normalise the path first).

    assert.deepEqual(problems, [], "no script errors or CSP violations");
  } catch (e) {
    mkdirSync(shots, { recursive: true });
    for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) {
      await p.screenshot({ path: join(shots, `page${i}.png`), fullPage: true }).catch(() => {});
    }
    console.error(`FAIL at step "${step}" (screenshots in ${shots}); problems: ${JSON.stringify(problems)}`);
    throw e;
  }
}

main()
  .then(async () => {
    await browser?.close();
    cleanup();
    clearTimeout(deadline);
    console.log("console browser test: all passed");
  })
  .catch(async (e) => {
    console.error(e);
    await browser?.close().catch(() => {});
    cleanup();
    process.exit(1);
  });
