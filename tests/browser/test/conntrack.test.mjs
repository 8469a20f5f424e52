// The Conntrack view: a snapshot with kube-dns's UDP Service and a `conntrack -L` listing is pasted; the
// view shows the gauge, the charts of entries by Service and by state, the stale entries with the
// commands that clear them, and its flow query answers the endpoint a flow is pinned to (the removed
// endpoint 10.244.3.9 for the stale flow).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, explained, explainedAfter, generation, open, paste, screenshot } from "../harness.mjs";

const fixture = () => readFile(join(ROOT, "tests", "fixtures", "conntrack", "stale-udp-dns.txt"), "utf8");

for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
  test(`the Conntrack view at ${viewport.width} px: stale entries, charts and the flow query`, async () => {
    const s = await open({ viewport });
    try {
      await explained(s.page);
      const before = await generation(s.page);
      await paste(s.page, await fixture());
      await explainedAfter(s.page, before);
      await s.page.click("a.tab:has-text('Conntrack')");
      await s.page.waitForSelector("#conntrack-stale");
      assert.equal(await s.page.evaluate(() => location.hash), "#/conntrack");

      const rows = await s.page.$$eval("#conntrack-stale tr.ct-stale-row", (l) => l.map((r) => r.textContent));
      assert.equal(rows.length, 2, rows.join("\n"));
      assert.match(rows[0], /10\.244\.1\.9:43000/);
      assert.match(rows[0], /10\.244\.3\.9:53/);
      assert.match(rows[0], /conntrack -D -p udp --orig-dst 10\.96\.0\.10 --reply-src 10\.244\.3\.9/);
      assert.match(rows[1], /never DNAT'd/);

      // The chart: one bar for kube-dns with its stale share, and the states.
      assert.equal(await s.page.$$eval("#ct-chart-services rect.ct-bar", (l) => l.length), 1);
      assert.equal(await s.page.$$eval("#ct-chart-services rect.ct-bar-stale", (l) => l.length), 1);
      assert.match(await s.page.textContent("#ct-chart-services"), /kube-system\/kube-dns:dns/);
      assert.ok((await s.page.$$eval("#ct-chart-states rect.ct-bar", (l) => l.length)) >= 3);
      assert.match(await s.page.textContent("#conntrack-charts"), /5 listed, 4 to Services/);
      await screenshot(s.page, `97-conntrack-${viewport.width}`, { fullPage: true });

      // The query box: the stale client's flow is pinned to the removed endpoint.
      await s.page.fill("#conntrack-query", "client 10.244.1.9 → 10.96.0.10:53");
      await s.page.click("#conntrack-query-panel button[type=submit]");
      await s.page.waitForFunction(() => location.hash.startsWith("#/trace?") && location.hash.includes("established=1"));
      await s.page.waitForSelector("#trace .outcome");
      const outcome = await s.page.textContent("#trace .outcome");
      assert.match(outcome, /10\.244\.3\.9:53/);
      assert.match(outcome, /existing flow/);
      await screenshot(s.page, `98-conntrack-query-${viewport.width}`, { fullPage: false });

      // A client without an entry: a new connection's odds, said so.
      await s.page.goto(s.url + "#/conntrack");
      await s.page.waitForSelector("#conntrack-query");
      await s.page.fill("#conntrack-query", "zzz");
      await s.page.click("#conntrack-query-panel button[type=submit]");
      assert.match(await s.page.textContent("#conntrack-query-error"), /client 10\.244\.1\.5/);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}
