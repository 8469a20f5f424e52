// An nftables-mode node gets the same views as an iptables node: Services with odds from the numgen
// map, a Service page whose drawn paths come from the tracer walking the nft ruleset, and traces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, open, screenshot } from "../harness.mjs";

test("an nftables node: Service paths through the verdict maps, and a trace", async () => {
  const s = await open({ hash: "#/sample/nftables" });
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    assert.match(await s.page.textContent("body"), /nftables/);
    await s.page.click("a.svc-link:has-text('riset/hellopod-np-svc')");
    await s.page.waitForSelector("#paths .outcome");
    // Nine endpoints behind `numgen random mod 9`: nine outcomes of one ninth each.
    const heads = await s.page.$$eval("#paths .outcome-head", (h) => h.map((x) => x.textContent));
    assert.equal(heads.length, 9, heads.join(" | "));
    for (const head of heads) assert.match(head, /11\.1/, head);
    assert.ok(heads.some((h) => /10\.42\.2\.218:8080/.test(h)), heads.join(" | "));
    // The steps name the nft map and chains the packet went through.
    const steps = await s.page.textContent("#paths");
    assert.match(steps, /service-ips/);
    assert.match(steps, /numgen/);
    await screenshot(s.page, "90-nft-service", { fullPage: true });

    // From outside through the NodePort: masqueraded (eTP Cluster).
    const origins = await s.page.$$eval("#paths .choice", (b) => b.map((x) => x.textContent));
    assert.ok(origins.some((o) => /NodePort [0-9.]+:30000 from outside/.test(o)), origins.join(" | "));
    await s.page.click("#paths .choice:has-text('NodePort 10.34.4.246:30000 from outside')");
    await s.page.waitForSelector("#paths .outcome-head:has-text('masquerade')");

    // The Trace form on the same node: a ClusterIP without endpoints is rejected.
    await s.page.click("#trace-this");
    await s.page.waitForSelector("#trace .outcome");
    await s.page.fill("#trace-dst", "10.43.21.102");
    await s.page.fill("#trace-port", "4317");
    await s.page.selectOption("#trace-from", "pod");
    await s.page.click("#trace-run");
    await s.page.waitForSelector("#trace .outcome-head:has-text('REJECT')");
    await screenshot(s.page, "91-nft-trace", { fullPage: true });
    assert.deepEqual(s.requests.slice(firstLoad), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
