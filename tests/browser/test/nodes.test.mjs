// The Nodes view: a bundle of three nodes (or three node files dropped at once) is compared in the
// worker (the disagreeing Service first, the eTP=Local black hole naming its nodes, names editable),
// "Compare with…" diffs two moments of one node, and twenty nodes of 2,000 Services compare without
// freezing the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { open, explained, explainedAfter, generation, screenshot, tar, ROOT } from "../harness.mjs";

const FIXTURES = join(ROOT, "tests", "fixtures", "nodes");
const THREE = ["node-a", "node-b", "node-c"].map((n) => join(FIXTURES, "etp-black-hole-stale", `${n}.txt`));

/** Drops files (name and text) on the page as a user's drag and drop would. */
async function drop(page, files) {
  await page.evaluate((files) => {
    const data = new DataTransfer();
    for (const f of files) data.items.add(new File([f.text], f.name, { type: "text/plain" }));
    document.querySelector(".page").dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: data }));
  }, files);
}

async function filesOf(paths) {
  return Promise.all(paths.map(async (p) => ({ name: p.split("/").pop(), text: await readFile(p, "utf8") })));
}

async function findings(page) {
  return page.$$eval("#node-findings li.node-finding", (l) => l.map((x) => ({ code: x.dataset.code, nodes: x.querySelector(".nodes-named").textContent, text: x.innerText })));
}

/** The three nodes' comparison as the Nodes view shows it: the disagreeing Service first, the black
 * hole and the odd node out named. */
async function seesTheThreeNodes(page) {
  await page.click("a.tab:has-text('Nodes')");
  await page.waitForSelector(".node-service");
  const names = await page.$$eval(".node-names .node-name", (l) => l.map((x) => x.value));
  assert.deepEqual(names, ["node-a", "node-b", "node-c"]);
  const rows = await page.$$eval(".node-service", (l) => l.map((x) => ({ id: x.dataset.service, disagree: x.classList.contains("disagree") })));
  assert.equal(rows.length, 9, JSON.stringify(rows));
  assert.ok(rows[0].disagree, "a disagreeing Service comes first");
  const firstAgreeing = rows.findIndex((r) => !r.disagree);
  assert.equal(rows[firstAgreeing].id, "shop/empty:http");
  assert.ok(rows.slice(firstAgreeing).every((r) => !r.disagree), "the agreeing rows come last");
  const listed = await findings(page);
  const hole = listed.find((f) => f.code === "nodes-etp-local-black-hole" && f.text.includes("shop/remote:http"));
  assert.ok(hole, JSON.stringify(listed));
  assert.equal(hole.nodes, "node-a, node-c");
  assert.ok(listed.some((f) => f.code === "nodes-odd-node-out" && f.nodes === "node-c"), JSON.stringify(listed));
  // The drop cells of the black hole are marked.
  const remoteCells = await page.$$eval(".node-service[data-service='shop/remote:http'] .cell.drops", (l) => l.length);
  assert.equal(remoteCells, 2);
}

test("a bundle of three nodes: the disagreeing Service first, the black hole naming its nodes, names editable", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const before = await generation(s.page);
    const files = await filesOf(THREE);
    const bundle = gzipSync(tar(files.map((f) => [`capture/${f.name}`, Buffer.from(f.text)])));
    await s.page.setInputFiles("#files", { name: "cluster.tar.gz", mimeType: "application/gzip", buffer: bundle });
    await explainedAfter(s.page, before);
    await seesTheThreeNodes(s.page);
    await screenshot(s.page, "90-nodes", { fullPage: true });

    // The comparison copied as Markdown for a ticket; not while Redact is on (it does not cover this view).
    await s.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.origin });
    await s.page.click("#copy-nodes-markdown");
    await s.page.waitForSelector("text=The comparison of the nodes copied as Markdown.");
    const copied = await s.page.evaluate(() => navigator.clipboard.readText());
    assert.ok(copied.includes("nodes-etp-local-black-hole") && copied.includes("shop/remote:http"), copied.slice(0, 400));
    await s.page.check("#redact");
    await s.page.waitForSelector("#nodes-not-redacted");
    assert.ok(await s.page.isDisabled("#copy-nodes-markdown"));
    await s.page.uncheck("#redact");
    await s.page.waitForSelector("#nodes-not-redacted", { state: "detached" });

    // A node renamed: the findings name it by its new name.
    await s.page.fill(".node-names .node-name >> nth=0", "worker-a");
    await s.page.press(".node-names .node-name >> nth=0", "Enter");
    await s.page.dispatchEvent(".node-names .node-name >> nth=0", "change");
    await s.page.waitForFunction(() => [...document.querySelectorAll("#node-findings .nodes-named")].some((x) => x.textContent === "worker-a, node-c"));
    assert.deepEqual(s.errors, []);

    await s.page.setViewportSize({ width: 390, height: 844 });
    await screenshot(s.page, "91-nodes-phone", { fullPage: true });
  } finally {
    await s.close();
  }
});

test("three node files dropped at once are three nodes, compared", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const before = await generation(s.page);
    await drop(s.page, await filesOf(THREE));
    await explainedAfter(s.page, before);
    await seesTheThreeNodes(s.page);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("compare with…: the same node re-synced diffs empty, the stale capture names its changes", async () => {
  const s = await open();
  try {
    await explained(s.page);
    let before = await generation(s.page);
    await s.page.setInputFiles("#files", join(FIXTURES, "resync", "before.txt"));
    await explainedAfter(s.page, before);
    await s.page.setInputFiles("#compare-with", join(FIXTURES, "resync", "after.txt"));
    await s.page.waitForSelector("#moments #diff-empty");
    assert.match(await s.page.textContent("#moments-title"), /from before\.txt to after\.txt/);

    await s.page.click("a.tab:has-text('Overview')");
    await s.page.setInputFiles("#compare-with", THREE[2]);
    await s.page.waitForSelector("#moments #diff-list");
    const items = await s.page.$$eval("#diff-list li", (l) => l.map((x) => x.textContent));
    assert.ok(items.includes("removed shop/lb:http"), items.join("\n"));
    assert.ok(items.some((t) => t.startsWith("changed shop/web:http: endpoints added 172.31.255.1:8080; endpoints removed 172.16.2.11:8080")), items.join("\n"));
    assert.ok(items.some((t) => t.startsWith("changed shop/local:http:") && t.includes("drops external traffic: false -> true")), items.join("\n"));
    await screenshot(s.page, "92-nodes-diff", { fullPage: true });
    await s.page.setViewportSize({ width: 390, height: 844 });
    await screenshot(s.page, "93-nodes-diff-phone", { fullPage: true });
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

const GEN = join(ROOT, "target", "debug", "svcpath-gen");

test("twenty nodes of 2,000 Services compare in the worker: the page answers meanwhile and draws only visible rows", async () => {
  if (!existsSync(GEN)) execFileSync("cargo", ["build", "-p", "svcpath-gen"], { cwd: ROOT, stdio: "inherit" });
  const files = [];
  for (let node = 0; node < 20; node++) {
    const args = ["--mode", "iptables", "--services", "2000", "--endpoints", "3", "--seed", "7", "--node", String(node)];
    if (node === 13) args.push("--stale");
    files.push({ name: `node-${node}.txt`, text: execFileSync(GEN, args, { maxBuffer: 1 << 28 }).toString() });
  }
  const s = await open();
  try {
    await explained(s.page);
    await drop(s.page, files);
    await s.page.click("a.tab:has-text('Nodes')");
    // While the worker compares, the page's own thread stays free: a timer fires on time.
    const lateness = await s.page.evaluate(() => new Promise((done) => {
      const start = performance.now();
      setTimeout(() => done(performance.now() - start - 50), 50);
    }));
    assert.ok(lateness < 1000, `a 50 ms timer fired ${lateness.toFixed(0)} ms late`);
    await s.page.waitForSelector(".node-service", { timeout: 600_000 });
    const drawn = await s.page.$$eval(".node-service", (l) => l.length);
    const total = Number((await s.page.textContent("#nodes h3:nth-of-type(2)")).match(/Service ports: (\d+)/)[1]);
    assert.ok(total >= 2000, `total ${total}`);
    assert.ok(drawn < 60, `${drawn} rows drawn of ${total}`);
    const listed = await findings(s.page);
    assert.ok(listed.some((f) => f.code === "nodes-odd-node-out" && f.nodes === "node-13"), JSON.stringify(listed.slice(0, 3)));
    await screenshot(s.page, "94-nodes-twenty", { fullPage: false });
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
