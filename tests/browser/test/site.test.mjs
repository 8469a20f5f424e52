// The page as a person uses it: it opens with a sample explained, a pasted dump shows its Services, a
// Service page and the Source view work, and nothing leaves the page's origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CORPUS, explained, explainedAfter, foreign, generation, open, paste, screenshot } from "../harness.mjs";

test("opens with the sample dump explained, then explains a pasted dump", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    assert.match(await s.page.textContent("#mode"), /iptables/);
    const count = Number(await s.page.textContent("#service-count"));
    assert.ok(count > 0, `the sample shows Services (${count})`);
    assert.ok(await s.page.isVisible("a.svc-link:has-text('kube-system/kube-dns:dns-tcp')"));
    await screenshot(s.page, "01-overview-sample", { fullPage: true });

    const dump = await readFile(join(CORPUS, "iptables", "k8s-test-TestOverallIPTablesRules.txt"), "utf8");
    const before = await generation(s.page);
    await paste(s.page, dump);
    await explainedAfter(s.page, before);
    await s.page.waitForSelector("a.svc-link:has-text('ns1/svc1:p80')");
    for (const name of ["ns2/svc2:p80", "ns3/svc3:p80", "ns5/svc5:p80", "ns6/svc6:p80"]) {
      assert.ok(await s.page.isVisible(`a.svc-link:has-text('${name}')`), `${name} is listed`);
    }
    assert.ok(await s.page.isVisible("#findings .sev-critical"), "the critical finding is in sight");
    await screenshot(s.page, "02-overview-pasted", { fullPage: true });

    await s.page.click("a.svc-link:has-text(\"ns2/svc2:p80\")");
    await s.page.waitForSelector("#service-title");
    assert.equal(await s.page.textContent("#service-title"), "ns2/svc2:p80");
    assert.match(s.page.url(), /#\/service\/ns2\/svc2:p80$/);
    await screenshot(s.page, "03-service", { fullPage: true });
    await s.page.goBack();
    await s.page.waitForSelector("#services-title");

    await s.page.click("a.tab:has-text('Source')");
    await s.page.waitForSelector("#source .src-line");
    assert.ok(await s.page.isVisible("text=-A KUBE-SERVICES"));
    await screenshot(s.page, "04-source");

    assert.deepEqual(foreign(s.requests, s.origin), [], "no request leaves the page's origin");
    assert.deepEqual(s.requests.slice(firstLoad), [], "no request at all after the first load");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
