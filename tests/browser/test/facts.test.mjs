// The node facts panel: a NodePort trace says the node IP is unknown and asks for it; the node IP
// entered in the panel (or in the Trace form) re-runs the analysis and the same trace is DNATed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, explainedAfter, generation, open, screenshot } from "../harness.mjs";

const NODE_IP = "192.168.0.2";

async function traceNodePort(page) {
  await page.click("a.tab:has-text('Trace')");
  await page.waitForSelector("#trace-dst");
  await page.selectOption("#trace-from", "external");
  await page.fill("#trace-dst", NODE_IP);
  await page.fill("#trace-port", "3003");
  await page.click("#trace-run");
  await page.waitForSelector("#trace .outcome");
}

test("a node IP given in the panel turns a NodePort trace from 'no DNAT' into DNAT", async () => {
  const s = await open({ hash: "#/sample/kube-proxy-test" });
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;

    // The panel says what is known and where from, and that no node IP is.
    const panel = await s.page.textContent("#node-facts");
    assert.match(panel, /No node IP is known/);
    assert.match(await s.page.textContent("#pod-cidrs"), /10\.0\.0\.0\/8.*line 58/);

    // Without a node IP the NodePort trace is not passed off as a plain ACCEPT: it is uncertain and says why.
    await traceNodePort(s.page);
    const head = await s.page.textContent("#trace .outcome-head");
    assert.match(head, /ACCEPT \(no DNAT\)/);
    assert.match(head, /uncertain/);
    const reasons = await s.page.textContent("#trace .uncertain-reasons");
    assert.match(reasons, /no node IP is known/);
    assert.match(reasons, /give the node's IP/);
    await screenshot(s.page, "70-trace-node-ip-unknown", { fullPage: true });

    // Enter the node IP in the panel: the paste is analysed again and the trace on screen re-run.
    await s.page.click("a.tab:has-text('Overview')");
    await s.page.waitForSelector("#node-facts");
    let before = await generation(s.page);
    await s.page.fill("#node-ips-add", "not-an-address");
    await s.page.click("#node-facts form.fact-add >> nth=0 >> button");
    await s.page.waitForSelector("#node-facts [role=alert]:has-text('is not an IP address')");
    assert.equal(await generation(s.page), before, "a bad value starts no analysis");
    await s.page.fill("#node-ips-add", NODE_IP);
    await s.page.click("#node-facts form.fact-add >> nth=0 >> button");
    await explainedAfter(s.page, before);
    assert.match(await s.page.textContent("#node-ips"), new RegExp(`${NODE_IP.replaceAll(".", "\\.")}\\s*given by you`));
    assert.equal(await s.page.$("#node-ip-unknown"), null);
    await screenshot(s.page, "71-node-facts-given", { fullPage: true });

    await s.page.click("a.tab:has-text('Trace')");
    await s.page.waitForSelector("#trace .outcome-head:has-text('→ 10.180.0.3:80')");
    assert.equal(await s.page.inputValue("#trace-node-ip"), NODE_IP);
    const dnat = await s.page.textContent("#trace .outcome-head");
    assert.doesNotMatch(dnat, /uncertain/);
    assert.equal(await s.page.$("#trace .uncertain-reasons"), null);
    await screenshot(s.page, "72-trace-node-ip-given", { fullPage: true });

    // The Service page traces its NodePort on the node IP now.
    await s.page.click("a.tab:has-text('Overview')");
    await s.page.click("a.svc-link:has-text('ns3/svc3:p80')");
    await s.page.waitForSelector(`#paths .choice:has-text('NodePort ${NODE_IP}:3003 from outside')`);

    // The Trace form's own node-IP field edits the same fact: emptied, the trace is uncertain again.
    await s.page.click("a.tab:has-text('Trace')");
    await s.page.waitForSelector("#trace-node-ip");
    before = await generation(s.page);
    await s.page.fill("#trace-node-ip", "");
    await s.page.dispatchEvent("#trace-node-ip", "change");
    await explainedAfter(s.page, before);
    await s.page.waitForSelector("#trace .outcome-head:has-text('ACCEPT (no DNAT)')");
    assert.match(await s.page.textContent("#trace .uncertain-reasons"), /no node IP is known/);

    // Given there again and removed in the panel.
    before = await generation(s.page);
    await s.page.fill("#trace-node-ip", NODE_IP);
    await s.page.dispatchEvent("#trace-node-ip", "change");
    await explainedAfter(s.page, before);
    await s.page.waitForSelector("#trace .outcome-head:has-text('→ 10.180.0.3:80')");
    await s.page.click("a.tab:has-text('Overview')");
    before = await generation(s.page);
    await s.page.click(`#node-ips button[aria-label='Remove ${NODE_IP}']`);
    await explainedAfter(s.page, before);
    await s.page.waitForSelector("#node-ip-unknown");

    assert.deepEqual(s.requests.slice(firstLoad), [], "editing facts loads nothing");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("the node facts panel fits a phone", async () => {
  const s = await open({ hash: "#/sample/kube-proxy-test", viewport: { width: 390, height: 844 } });
  try {
    await explained(s.page);
    await s.page.fill("#pod-cidrs-add", "10.244.0.0/16");
    const before = await generation(s.page);
    await s.page.click("#node-facts form.fact-add >> nth=1 >> button");
    await explainedAfter(s.page, before);
    assert.match(await s.page.textContent("#pod-cidrs"), /10\.244\.0\.0\/16\s*given by you/);
    const wide = await s.page.$eval("#node-facts", (e) => e.scrollWidth > e.clientWidth + 1);
    assert.equal(wide, false, "the panel does not scroll sideways");
    await s.page.locator("#node-facts").scrollIntoViewIfNeeded();
    await screenshot(s.page, "73-node-facts-phone");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
