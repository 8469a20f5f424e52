// The cluster's view beside the node's: a node dump and `kubectl get svc,endpointslices,nodes -o json`
// dropped together. The Services table gains the API column, the stale node's finding is listed, and the
// Service page shows each endpoint as the API and the node have it, with the reason they differ.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, CORPUS, explained, explainedAfter, foreign, generation, open, paste, screenshot } from "../harness.mjs";

const fixture = (c, file) => readFile(join(ROOT, "tests", "fixtures", "kube-api", c, file));

async function drop(page, c) {
  const before = await generation(page);
  await page.setInputFiles("#files", [
    { name: "node-snapshot.txt", mimeType: "text/plain", buffer: await fixture(c, "node.txt") },
    { name: "cluster.json", mimeType: "application/json", buffer: await fixture(c, "api.json") },
  ]);
  await explainedAfter(page, before);
}

/** The API cell of the Services table's row for `name`. */
async function apiCell(page, name) {
  return page.$eval(`.svc-row:has(a.svc-link[href*="${name}"]) .c-api`, (c) => c.innerText);
}

for (const viewport of [{ width: 1280, height: 900, tag: "" }, { width: 390, height: 844, tag: "-phone" }]) {
  test(`a stale node beside the cluster's API objects${viewport.tag}: the API column, the finding, the reasons`, async () => {
    const s = await open({ viewport });
    try {
      await explained(s.page);
      await drop(s.page, "stale-node");
      await s.page.waitForSelector("#api-summary");
      assert.match(await s.page.textContent("#api-summary"), /3 Service\(s\), 3 EndpointSlice\(s\)/);
      const headers = await s.page.$$eval(".svc-head [role=columnheader]", (l) => l.map((h) => h.innerText.trim()));
      assert.ok(headers.includes("API"), `headers: ${headers.join(", ")}`);
      const stale = await apiCell(s.page, "svc3");
      assert.match(stale, /stale 1/);
      assert.match(stale, /not synced 1/);
      assert.match(await apiCell(s.page, "svc1"), /in sync · 1 ready/);
      const findings = await s.page.$$eval("#findings li.finding", (l) => l.map((x) => `${x.dataset.code}: ${x.innerText}`));
      const staleFinding = findings.find((f) => f.startsWith("api-endpoint-stale-on-node"));
      assert.ok(staleFinding, `findings: ${findings.join(" | ")}`);
      assert.match(staleFinding, /10\.0\.3\.1:80/);
      await screenshot(s.page, `80-api-overview${viewport.tag}`, { fullPage: true });
      await s.page.locator("#services").screenshot({ path: join(ROOT, "tests", "browser", "artifacts", `80-api-services-only${viewport.tag}.png`) });

      await s.page.click('a.svc-link[href*="svc3"]');
      await s.page.waitForSelector("#service-api");
      const rows = await s.page.$$eval("#service-api tbody tr", (l) => l.map((r) => r.innerText.replace(/\s+/g, " ").trim()));
      assert.ok(rows.some((r) => /10\.0\.3\.2:80 ready no not synced/.test(r)), `rows: ${rows.join(" | ")}`);
      assert.ok(rows.some((r) => /10\.0\.3\.1:80 no yes stale/.test(r)), `rows: ${rows.join(" | ")}`);
      await screenshot(s.page, `81-api-service${viewport.tag}`, { fullPage: true });
      await s.page.locator("#service-api").screenshot({ path: join(ROOT, "tests", "browser", "artifacts", `81-api-panel-only${viewport.tag}.png`) });

      assert.deepEqual(foreign(s.requests, s.origin), []);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}

/** A fresh page with one case's files dropped on it. */
async function opened(c) {
  const s = await open();
  await explained(s.page);
  await drop(s.page, c);
  return s;
}

test("the reasons a node legitimately lacks an endpoint: topology, terminating, Local", async () => {
  let s = await opened("topology-other-zone");
  try {
    assert.match(await s.page.textContent("#api-summary"), /this node is node-a \(zone zone-a\)/);
    assert.match(await apiCell(s.page, "svc2"), /in sync · 2 ready · 1 topology/);
    await s.page.click('a.svc-link[href*="svc2"]');
    await s.page.waitForSelector("#service-api");
    const text = await s.page.textContent("#service-api");
    assert.match(text, /topology: hinted for zone\(s\) zone-b, and this node is in zone zone-a/);
    await screenshot(s.page, "82-api-topology", { fullPage: true });
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
  s = await opened("terminating-fallback");
  try {
    assert.match(await apiCell(s.page, "svc2"), /1 terminating/);
    const findings = await s.page.$$eval("#findings li.finding", (l) => l.map((x) => x.dataset.code));
    assert.ok(!findings.some((c) => c.startsWith("api-")), `findings: ${findings.join(", ")}`);
  } finally {
    await s.close();
  }
  s = await opened("itp-local");
  try {
    assert.match(await apiCell(s.page, "svc1"), /1 local-only/);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("without API objects there is no API column", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const before = await generation(s.page);
    await paste(s.page, await readFile(join(CORPUS, "iptables", "k8s-test-TestSyncProxyRulesRepeated-1-full-sync.txt"), "utf8"));
    await explainedAfter(s.page, before);
    await s.page.waitForSelector(".svc-head");
    const headers = await s.page.$$eval(".svc-head [role=columnheader]", (l) => l.map((h) => h.innerText.trim()));
    assert.ok(!headers.includes("API"), `headers: ${headers.join(", ")}`);
    assert.equal(await s.page.$("#api-summary"), null);
  } finally {
    await s.close();
  }
});
