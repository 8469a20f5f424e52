// kube-proxy 1.36's nftables layout pasted into the page: no endpoint chains, the service chain DNATs
// with `dnat ip to numgen random mod 2 map { … }`; the overview names the layout and the Service page
// shows both endpoints at 50 % (table and drawn paths).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, explained, explainedAfter, generation, open, paste, screenshot } from "../harness.mjs";

test("a real kube-proxy 1.36 listing: both endpoints at 50 % on the Service page", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    const dump = await readFile(join(ROOT, "tests", "fixtures", "nft", "kube-proxy-1.36-backend-api.nft"), "utf8");
    const before = await generation(s.page);
    await paste(s.page, dump);
    await explainedAfter(s.page, before);
    assert.match(await s.page.textContent("#mode"), /nftables/);
    assert.match(await s.page.textContent("#layout"), /nftables 1\.36/);
    assert.match(await s.page.getAttribute("#layout", "title"), /31, 38, 42/);
    // No Service is said to have no endpoints.
    assert.doesNotMatch(await s.page.textContent("body"), /no-endpoints/);
    await screenshot(s.page, "95-nft-1.36-overview", { fullPage: true });

    await s.page.click("a.svc-link:has-text('kproxy-lab/backend-api:http')");
    await s.page.waitForSelector("#service-title");
    assert.equal(await s.page.textContent("#service-title"), "kproxy-lab/backend-api:http");
    const rows = await s.page.$$eval("table.endpoints tbody tr", (trs) =>
      trs.map((tr) => [tr.querySelector("code").textContent, tr.querySelector(".num").textContent]),
    );
    assert.deepEqual(
      rows.map(([ep]) => ep).sort(),
      ["10.244.0.10:9898", "10.244.0.8:9898"],
      JSON.stringify(rows),
    );
    for (const [, share] of rows) assert.match(share, /^50(\.0)?\s?%$/, share);
    await screenshot(s.page, "96-nft-1.36-service", { fullPage: true });

    // The same layout with its base chains (svcpath-gen's 1.36 showcase): the drawn paths come from the
    // tracer walking `dnat ip to numgen random mod 2 map`, two outcomes of one half each.
    const full = await readFile(join(ROOT, "tests", "conformance", "nft-1.36.nft"), "utf8");
    const again = await generation(s.page);
    await paste(s.page, full);
    await explainedAfter(s.page, again);
    assert.match(await s.page.textContent("#layout"), /nftables 1\.36/);
    await s.page.click("a.svc-link:has-text('shop/nodeport:http')");
    await s.page.waitForSelector("#paths .outcome");
    const heads = await s.page.$$eval("#paths .outcome-head", (h) => h.map((x) => x.textContent));
    assert.equal(heads.length, 2, heads.join(" | "));
    for (const head of heads) assert.match(head, /50/, head);
    assert.match(await s.page.textContent("#paths"), /numgen random mod 2/);
    await screenshot(s.page, "97-nft-1.36-paths", { fullPage: true });
    assert.deepEqual(s.requests.slice(firstLoad), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
