// The console end to end, in Debian's Chromium driven by playwright-core,
// against a real weft-baas (SQLite, a fresh data directory, a free port on
// 127.0.0.1) and real weft-node processes: sign in, see the empty state,
// create a solo-1 chain through the wizard and watch its job, open it and
// see its node up and its blocks; deploy the notary contract from the
// browser, query it through the invoke form; in the notary app (apps/notary,
// at /notary/) notarize a document, verify it and a different one, and
// verify again from a fresh browser that signs in on the notary's own page;
// find the notarization among the blocks. A screenshot of each step goes to
// test-results/. WEFT_BAAS_BIN names the weft-baas to run (make passes the
// one cargo built); CHROMIUM the browser (default /usr/bin/chromium).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const PASSWORD = "a long enough password";
const bin = process.env.WEFT_BAAS_BIN ?? path.resolve("../target/debug/weft-baas");
if (!existsSync(bin)) {
  console.error(`weft-baas not found at ${bin}: build it (make build) or set WEFT_BAAS_BIN`);
  process.exit(1);
}
const shots = path.resolve("test-results");
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
const data = mkdtempSync(path.join(tmpdir(), "weft-console-e2e-"));

/** The notary contract cargo compiled (weft-contract-wasm's build output). */
function notaryWasm() {
  const build = path.join(path.dirname(bin), "build");
  const found = readdirSync(build)
    .filter((d) => d.startsWith("weft-contract-wasm-"))
    .map((d) => path.join(build, d, "out", "notary.wasm"))
    .filter((f) => existsSync(f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found.length) throw new Error(`no notary.wasm under ${build}: build the workspace first`);
  return readFileSync(found[0]);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Kills every process started from the data directory (the chain's nodes). */
function reapNodes() {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(data)) process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already
    }
  }
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const log = openSync(path.join(shots, "weft-baas.log"), "w");
const server = spawn(
  bin,
  // Disk alarms off: a nearly full CI disk is not the console's business.
  ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", data, "--console-dir", path.resolve("dist"), "--alarm-disk-pct", "101",
   // The webhook below goes to a loopback port: allowed here only (by
   // default webhooks may not reach inside).
   "--webhook-allow", "127.0.0.0/8", "--plain-http"],
  { env: { ...process.env, WEFT_BAAS_ADMIN_PASSWORD: PASSWORD }, stdio: ["ignore", log, log] },
);

async function call(method, route, token, body) {
  const r = await fetch(base + route, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

let browser;
let step = 0;
let page;
async function shot(name, on = page) {
  step += 1;
  await on.screenshot({ path: path.join(shots, `${String(step).padStart(2, "0")}-${name}.png`), fullPage: true });
  console.log(`ok ${step} - ${name}`);
}

try {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await call("GET", "/api/health");
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`weft-baas did not serve within 30 s (${e}); see ${shots}/weft-baas.log`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // A tenant and its admin, through the API.
  const admin = (await call("POST", "/api/auth/login", null, { username: "admin", password: PASSWORD })).token;
  const tenant = await call("POST", "/api/tenants", admin, { name: "e2e" });
  await call("POST", `/api/tenants/${tenant.id}/users`, admin, { username: "ann", password: PASSWORD, role: "tenant-admin" });

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30_000);

  await page.goto(base + "/");
  await page.getByLabel("Username").fill("ann@e2e");
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  await shot("a wrong password is refused");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("No chains yet").waitFor();
  await shot("signed in, no chains yet");

  await page.getByRole("link", { name: "Create a chain" }).click();
  await page.getByLabel(/^Name/).fill("e2e-chain");
  await page.getByRole("radio", { name: /solo-1/ }).check();
  await shot("the create wizard");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByRole("progressbar", { name: "Progress" }).waitFor();
  await page.getByText("Done.").waitFor({ timeout: 120_000 });
  await shot("the chain's job done");

  await page.getByRole("link", { name: "Open the chain" }).click();
  const nodes = page.getByRole("table", { name: "Nodes" });
  await nodes.getByRole("cell", { name: "node0.org1", exact: true }).waitFor();
  await nodes.locator(".badge-up").waitFor();
  await page.getByRole("table", { name: "Blocks" }).getByText("genesis").waitFor();
  await shot("the chain's overview: its node up, its genesis block");

  // A contract from the browser: the notary, uploaded and deployed.
  await page.getByRole("link", { name: "Contracts" }).click();
  await page.getByText("No contract deployed yet").waitFor();
  await page.getByLabel("Contract name").fill("notary");
  await page.getByLabel(/Compiled contract/).setInputFiles({ name: "notary.wasm", mimeType: "application/wasm", buffer: notaryWasm() });
  await page.getByRole("button", { name: "Deploy" }).click();
  await page.getByRole("status").getByText(/notary 1.0: deploy committed in block/).waitFor({ timeout: 60_000 });
  await shot("the notary contract deployed");

  // Invoke it from the form: a query for a document never notarized.
  await page.getByLabel("Function").fill("Verify");
  await page.getByLabel("Arguments, one per line").fill("0".repeat(64));
  await page.getByRole("button", { name: "Query" }).click();
  await page.getByLabel("Result").getByText('"notarized":false').waitFor();
  await shot("a query through the invoke form");

  // The demo, apps/notary at /notary/ on the console's session: notarize a
  // document, see its certificate, verify files.
  const document = { name: "contract.txt", mimeType: "text/plain", buffer: Buffer.from("Weft e2e: the signed contract\n") };
  await page.getByRole("link", { name: "Notary" }).click();
  await page.waitForURL(/\/notary\/\?chain=/);
  const chainUrl = new URL(page.url()).searchParams.get("chain");
  await page.getByRole("heading", { name: "Notarize a document" }).waitFor();
  await page.getByLabel("Document", { exact: true }).setInputFiles(document);
  await page.getByText(/SHA-256: [0-9a-f]{64}/).waitFor();
  await page.getByRole("button", { name: "Notarize" }).click();
  const certificate = page.getByRole("region", { name: "Certificate" });
  await certificate.getByRole("heading", { name: /^Certificate / }).waitFor({ timeout: 60_000 });
  await certificate.getByText(/in block \d+/).waitFor();
  await shot("the notarized document's certificate");
  await page.getByRole("link", { name: "Verify" }).click();
  await page.getByLabel("Document to check").setInputFiles(document);
  await page.getByRole("status").getByText(/contract.txt was notarized on .* as certificate/).waitFor();
  await shot("the same document verified");
  const other = { name: "forged.txt", mimeType: "text/plain", buffer: Buffer.from("Weft e2e: a different contract\n") };
  await page.getByLabel("Document to check").setInputFiles(other);
  await page.getByRole("status").getByText("forged.txt is not notarized on this chain.").waitFor();
  await shot("another document is not notarized");

  // The notary on its own: a fresh browser (no session) signs in on the
  // notary's page and verifies at the address a certificate holder is given.
  const visitor = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const alone = await visitor.newPage();
  await alone.goto(`${base}/notary/verify?chain=${chainUrl}`);
  await alone.getByRole("heading", { name: "Weft notary" }).waitFor();
  await alone.getByLabel("Username").fill("ann@e2e");
  await alone.getByLabel("Password").fill(PASSWORD);
  await alone.getByRole("button", { name: "Sign in" }).click();
  await alone.getByLabel("Document to check").setInputFiles(document);
  await alone.getByRole("status").getByText(/contract.txt was notarized on .* as certificate/).waitFor();
  await shot("the notary app on its own, on a phone", alone);
  await visitor.close();

  // Back to the console; the block explorer on the overview shows the
  // notarization.
  await page.getByRole("link", { name: "Console" }).click();
  await page.getByRole("link", { name: "Overview" }).click();
  await page.getByRole("table", { name: "Blocks" }).getByText("Notarize (VALID)").waitFor();
  await shot("the notarization in the chain's blocks");

  // Charts from the monitor's samples (they come every 5 s): throughput and
  // latency need a commit between two samples. The CPU chart means one
  // sample exists; a transaction committed after it falls before the next.
  await page.getByRole("img", { name: "CPU" }).waitFor({ timeout: 30_000 });
  await page.getByRole("img", { name: "Memory" }).waitFor({ timeout: 30_000 });
  await call("POST", `/api/chains/${chainUrl}/contracts/notary/submit`, admin, {
    function: "Notarize",
    args: ["cd".repeat(32), "between-samples.txt"],
  });
  await page.getByRole("img", { name: "Transactions per second" }).waitFor({ timeout: 30_000 });
  await page.getByRole("img", { name: /^Transaction latency/ }).waitFor({ timeout: 30_000 });
  await shot("the overview's charts");

  // The explorer: the notarization's block, its call and its writes.
  await page.getByRole("table", { name: "Blocks" }).getByRole("link", { name: "2", exact: true }).click();
  await page.getByRole("heading", { name: /Transaction 0: notary.Notarize/ }).waitFor();
  await page.getByRole("table", { name: "Writes of transaction 0" }).waitFor();
  await shot("a block in the explorer with its writes");

  // A contract's events, live: watch the notary's, notarize from the
  // invoke form, see the Notarized event arrive.
  await page.getByRole("link", { name: "Contracts" }).click();
  await page.getByRole("button", { name: "Watch notary's events" }).click();
  await page.getByText(/Watching notary: events appear here/).waitFor();
  await page.getByLabel("Function").fill("Notarize");
  await page.getByLabel("Arguments, one per line").fill(`${"ab".repeat(32)}\nfrom-the-form.txt`);
  await page.getByRole("button", { name: "Submit transaction" }).click();
  await page.getByRole("table", { name: "Events" }).getByRole("cell", { name: "Notarized", exact: true }).waitFor({ timeout: 30_000 });
  await page.getByRole("table", { name: "Events" }).getByText(/from-the-form.txt/).waitFor();
  await shot("a contract's events, live");
  await page.getByRole("button", { name: "Stop watching notary" }).click();
  await page.getByRole("link", { name: "Overview" }).click();

  // A new org (its CA made, the configuration updated), then a peer of
  // Org1 and the new org's first peer, each joining from a snapshot.
  await page.getByRole("table", { name: "Nodes" }).waitFor();
  await page.getByLabel("New org (its MSP id)").fill("Org2");
  await page.getByRole("button", { name: "Add the org" }).click();
  await page.getByText("Done.").waitFor({ timeout: 60_000 });
  await shot("an org added");
  const addNode = page.getByRole("form", { name: "Add a node" });
  for (const [org, node] of [["Org1", "node1.org1"], ["Org2", "node0.org2"]]) {
    await addNode.getByLabel("Org").selectOption(org);
    await addNode.getByLabel("Roles").selectOption("peer");
    await addNode.getByRole("button", { name: "Add a node" }).click();
    // The last job's "Done." goes when this one starts.
    await page.getByText("Done.").waitFor({ state: "hidden" });
    await page.getByText("Done.").waitFor({ timeout: 120_000 });
    await page.getByRole("table", { name: "Nodes" }).getByRole("cell", { name: node, exact: true }).waitFor();
  }
  await shot("peers added, one in the new org");

  // A channel of Org1 alone: created from the form, chosen in the
  // selector, its genesis block in the latest blocks.
  const channels = page.getByRole("region", { name: "Channels" });
  await channels.getByLabel("New channel").fill("org1-only");
  await channels.getByRole("group", { name: "Member orgs" }).getByLabel("Org1").check();
  await channels.getByRole("button", { name: "Create the channel" }).click();
  await channels.getByText("Done.").waitFor({ timeout: 60_000 });
  await channels.getByLabel("Channel", { exact: true }).selectOption("org1-only");
  await page.getByRole("heading", { name: "Latest blocks of org1-only" }).waitFor();
  // Only the new channel's genesis block: a header row and one more.
  const rows = page.getByRole("table", { name: "Blocks" }).getByRole("row");
  await rows.getByText("genesis").waitFor();
  for (let i = 0; (await rows.count()) !== 2; i++) {
    if (i > 100) throw new Error(`org1-only shows ${await rows.count()} rows, not its genesis block alone`);
    await page.waitForTimeout(100);
  }
  await shot("a channel of one org, chosen in the selector");
  // Org2 added to it: a configuration update, then its peer joins from
  // that block and a snapshot; the selector lists both orgs.
  await channels.getByLabel("Org to add to org1-only").selectOption("Org2");
  await channels.getByRole("button", { name: "Add to the channel" }).click();
  // The channel's "Done." goes when this job starts.
  await channels.getByText("Done.").waitFor({ state: "hidden" });
  await channels.getByText("Done.").waitFor({ timeout: 60_000 });
  await channels.getByRole("option", { name: "org1-only (Org1, Org2)" }).waitFor({ state: "attached" });
  await shot("an org added to the channel");
  await channels.getByLabel("Channel", { exact: true }).selectOption("weft");

  // The notary on the new channel too, from the contracts page's channel
  // selector: deployed and queried there, where the main channel's
  // notarizations are not.
  await page.getByRole("link", { name: "Contracts" }).click();
  await page.getByLabel("Channel", { exact: true }).selectOption({ label: "org1-only (Org1, Org2)" });
  await page.getByText("No contract deployed yet").waitFor();
  await page.getByLabel("Contract name").fill("notary");
  await page.getByLabel(/Compiled contract/).setInputFiles({ name: "notary.wasm", mimeType: "application/wasm", buffer: notaryWasm() });
  await page.getByRole("button", { name: "Deploy" }).click();
  await page.getByRole("status").getByText(/notary 1.0: deploy committed in block/).waitFor({ timeout: 60_000 });
  await page.getByLabel("Function").fill("Verify");
  await page.getByLabel("Arguments, one per line").fill("cd".repeat(32));
  await page.getByRole("button", { name: "Query" }).click();
  await page.getByLabel("Result").getByText('"notarized":false').waitFor();
  await shot("a contract on the new channel, without the main channel's notarizations");
  await page.getByRole("link", { name: "Overview" }).click();

  // A node's recent log, from its row.
  await page.getByRole("button", { name: "log of node0.org1" }).click();
  await page.getByRole("region", { name: "Log of node0.org1" }).getByText(/ledger opened/).waitFor();
  await shot("a node's log");

  // Chain users: ann's own, which the REST gateway enrolled when she first
  // transacted from the invoke form; then one enrolled with a downloadable
  // key (shown once), then revoked.
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByRole("table", { name: "Chain users" }).getByRole("cell", { name: "ann@e2e", exact: true }).waitFor();
  await page.getByLabel("Name").fill("shop-app");
  await page.getByLabel("Key custody").selectOption("download");
  await page.getByRole("button", { name: "Enroll" }).click();
  await page.getByRole("status").getByText("The private key of shop-app is shown this once").waitFor();
  const key = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download the key" }).click();
  if ((await key).suggestedFilename() !== "shop-app.key.pem") throw new Error("the key download is misnamed");
  await page.getByRole("button", { name: "revoke shop-app" }).click();
  await page.getByRole("table", { name: "Chain users" }).getByText("revoked").waitFor();
  await shot("a chain user enrolled, key downloaded, revoked");
  await page.getByLabel("Name").fill("api-app");
  await page.getByLabel("Key custody").selectOption("kept");
  await page.getByRole("button", { name: "Enroll" }).click();
  await page.getByRole("button", { name: "token for api-app" }).click();
  await page.getByRole("status").getByText("An API token for applications acting as api-app").waitFor();
  await shot("an API token bound to a kept chain user");

  // Operations: no alarms; a backup taken, followed and verified.
  await page.getByRole("link", { name: "Operations" }).click();
  await page.getByText(/^No alarms/).waitFor();
  await page.getByRole("button", { name: "Back up now" }).click();
  await page.getByText("Done.").waitFor({ timeout: 60_000 });
  await page.getByRole("table", { name: "Backups" }).getByText("verified").waitFor();
  await shot("a backup taken and verified");

  // Batch settings and a rolling upgrade, each a job followed to its end.
  await page.getByLabel("Transactions per block").fill("10");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByRole("region", { name: "Job" }).getByText("Done.").waitFor({ timeout: 60_000 });
  await page.getByRole("heading", { name: "Job: config-update" }).waitFor();
  await shot("batch settings applied");
  await page.getByRole("button", { name: "Upgrade node by node" }).click();
  await page.getByRole("heading", { name: "Job: upgrade" }).waitFor();
  await page.getByRole("region", { name: "Job" }).getByText("Done.").waitFor({ timeout: 120_000 });
  await shot("a rolling upgrade done");

  // A webhook: its secret is shown once.
  await page.getByLabel("Webhook URL (http:// or https://)").fill("http://127.0.0.1:9/alarms");
  await page.getByRole("button", { name: "Add webhook" }).click();
  await page.getByRole("status").getByText("The new webhook's secret, shown this once").waitFor();
  await page.getByRole("button", { name: "deliveries to http://127.0.0.1:9/alarms" }).click();
  await page.getByRole("region", { name: "Webhook deliveries" }).getByText(/No deliveries yet/).waitFor();
  // A test event to it: nothing listens there, and the delivery says so.
  await page.getByRole("button", { name: "send a test event to http://127.0.0.1:9/alarms" }).click();
  const delivery = page.getByRole("table", { name: "Deliveries" });
  await delivery.getByRole("cell", { name: "test event" }).waitFor({ timeout: 15_000 });
  await delivery.getByText(/127\.0\.0\.1:9\/alarms: could not connect to the receiver/).waitFor();
  await shot("a webhook added; its test event's failed attempt recorded");

  // Usage: this month's draft invoice; audit: refused to a tenant admin, with the reason.
  await page.getByRole("link", { name: "Usage" }).click();
  await page.getByRole("heading", { name: /^Invoice \d{4}-\d{2} \(draft\)/ }).waitFor();
  await shot("this month's invoice");
  await page.getByRole("link", { name: "Audit" }).click();
  await page.getByRole("alert").getByText(/the audit log is for platform admins and auditors/).waitFor();
  await shot("the audit log refused to a tenant admin");

  // The team: ann adds a member, then removes her (after a confirmation).
  await page.getByRole("link", { name: "Team" }).click();
  const people = page.getByRole("table", { name: "People" });
  await people.getByRole("cell", { name: "ann@e2e", exact: true }).waitFor();
  const addPerson = page.getByRole("form", { name: "Add a person" });
  await addPerson.getByLabel("Username").fill("mia");
  await addPerson.getByLabel(/^Password/).fill(PASSWORD);
  await addPerson.getByLabel("Role").selectOption("tenant-member");
  await addPerson.getByRole("button", { name: "Add" }).click();
  await page.getByRole("status").getByText("mia@e2e can sign in now, as tenant-member.", { exact: false }).waitFor();
  await people.getByRole("cell", { name: "mia@e2e", exact: true }).waitFor();
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "remove mia@e2e" }).click();
  await page.getByRole("status").getByText("mia@e2e was removed", { exact: false }).waitFor();
  await shot("a person added to the team, then removed");

  // A custom network from the wizard: a shape PBFT cannot run is refused
  // before anything is made; a one-node solo chain with its own resources
  // is created (its template saved first) and comes up.
  await page.getByRole("link", { name: "Chains", exact: true }).click();
  await page.getByRole("link", { name: "Create a chain" }).click();
  await page.getByLabel(/^Name/).fill("e2e-custom");
  await page.getByRole("radio", { name: /^Custom/ }).check();
  const custom = page.getByRole("group", { name: "Custom network" });
  await custom.getByLabel("Consensus").selectOption("pbft");
  await custom.getByText(/PBFT needs at least 4 orderers \(3f\+1\) and this network has 3/).waitFor();
  await custom.getByLabel("Consensus").selectOption("solo");
  await custom.getByLabel("Orgs").fill("1");
  await custom.getByLabel("CPU cores per node").fill("0.5");
  await custom.getByLabel("Memory per node (MB)").fill("512");
  await custom.getByText(/^1 node: 1 peer, 1 orderer, no ordering fault tolerance \(one orderer\); 0.5 cores, 512 MB/).waitFor();
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("Done.").waitFor({ timeout: 120_000 });
  await page.getByRole("link", { name: "Open the chain" }).click();
  await page.getByText(/, solo consensus/).waitFor();
  await page.getByRole("table", { name: "Nodes" }).getByText("up", { exact: true }).waitFor({ timeout: 30_000 });
  await shot("a custom solo chain created from the wizard");

  await page.getByRole("link", { name: "Chains", exact: true }).click();
  await page.getByRole("link", { name: "e2e-chain" }).waitFor();
  await page.getByRole("link", { name: "e2e-custom" }).waitFor();
  await shot("the chains in the list");

  // On a phone's width nothing runs off the side of the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("link", { name: "e2e-chain" }).click();
  await page.getByRole("table", { name: "Nodes" }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) throw new Error(`the overview is ${overflow}px wider than a phone's screen`);
  await shot("the overview on a phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  // Keyboard only: the sign-out button is reachable and works.
  await page.getByRole("button", { name: "Sign out" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await shot("signed out");

  // The platform admin's view: tenants, the host, security events.
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Platform" }).click();
  await page.getByRole("table", { name: "Tenants" }).getByText("e2e", { exact: true }).waitFor();
  await page.getByRole("table", { name: "Host local" }).waitFor();
  await page.getByRole("table", { name: "Security events" }).getByText("failed-login").waitFor();
  await shot("the platform: tenants, host, security events");
  await page.getByRole("button", { name: "settings of e2e" }).click();
  const settings = page.getByRole("region", { name: "Settings of e2e" });
  await settings.getByLabel(/^Transactions a month/).fill("100000");
  await settings.getByRole("button", { name: "Save quota" }).click();
  await settings.getByRole("status").getByText("e2e's quota saved.").waitFor();
  await settings.getByRole("button", { name: "Set plan" }).click();
  await settings.getByRole("status").getByText("e2e is on the standard plan.").waitFor();
  await page.getByLabel("Version", { exact: true }).fill("not-a-node");
  await page.getByLabel("Executable path").fill("/bin/true");
  await page.getByRole("button", { name: "Register build" }).click();
  await page.getByRole("alert").getByText(/weft-node <version>/).waitFor();
  await shot("a tenant's quota and plan set; a build that is not weft-node refused");

  // A price plan edited: amounts in, micro-units kept, amounts shown back.
  const plansForm = page.getByRole("form", { name: "Save a price plan" });
  await page.getByRole("button", { name: "edit plan standard" }).click();
  await plansForm.getByLabel("per 1000 transactions").fill("0.25");
  await plansForm.getByRole("button", { name: "Save plan" }).click();
  await page.getByRole("status").getByText("Plan standard saved").waitFor();
  await page.getByRole("table", { name: "Plans" }).getByRole("cell", { name: "0.25", exact: true }).waitFor();
  await plansForm.getByLabel("monthly base fee").fill("12.3456789");
  await plansForm.getByRole("button", { name: "Save plan" }).click();
  await page.getByRole("alert").getByText(/monthly base fee: "12.3456789" is not an amount/).waitFor();
  await shot("a price plan edited; an amount with too many decimals refused");
  console.log(`all ${step} steps passed; screenshots in ${shots}`);
} catch (e) {
  if (page) await page.screenshot({ path: path.join(shots, "failure.png"), fullPage: true }).catch(() => {});
  console.error(`console e2e failed at step ${step + 1}: ${e.stack ?? e}`);
  // What the page said (errors, job progress) and the server's last words:
  // CI keeps only this output, not test-results/.
  const said = page ? await page.locator("[role=alert], [role=status], .job").allInnerTexts().catch(() => []) : [];
  if (said.length) console.error(`the page shows:\n${said.join("\n---\n")}`);
  const serverLog = readFileSync(path.join(shots, "weft-baas.log"), "utf8").split("\n");
  console.error(`the last lines of weft-baas.log:\n${serverLog.slice(-40).join("\n")}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  reapNodes();
  rmSync(data, { recursive: true, force: true });
}
