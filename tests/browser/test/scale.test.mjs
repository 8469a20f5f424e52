// 10,000 Services: the analysis runs in the worker while the page stays responsive, and the table
// renders only the rows in the window, so scrolling and filtering stay fast.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, explainedAfter, generation, open, paste, screenshot } from "../harness.mjs";

function bigDump(services) {
  const head = ["*nat", ":PREROUTING ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]", ":KUBE-MARK-MASQ - [0:0]"];
  const decl = [];
  const rules = ["-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"];
  for (let i = 0; i < services; i++) {
    const h = String(i).padStart(16, "0");
    const ns = `team${i % 40}`;
    const name = `app${i}`;
    const ip = `10.${96 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255}`;
    const svc = `KUBE-SVC-S${h.slice(1)}`;
    const ep = [`KUBE-SEP-A${h.slice(1)}`, `KUBE-SEP-B${h.slice(1)}`];
    decl.push(`:${svc} - [0:0]`, `:${ep[0]} - [0:0]`, `:${ep[1]} - [0:0]`);
    rules.push(
      `-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "${ns}/${name}:http cluster IP" -m tcp --dport 80 -j ${svc}`,
      `-A ${svc} -m comment --comment "${ns}/${name}:http -> 10.244.${(i >> 8) & 255}.${i & 255}:8080" -m statistic --mode random --probability 0.50000000000 -j ${ep[0]}`,
      `-A ${svc} -m comment --comment "${ns}/${name}:http -> 10.245.${(i >> 8) & 255}.${i & 255}:8080" -j ${ep[1]}`,
      `-A ${ep[0]} -p tcp -m comment --comment "${ns}/${name}:http" -m tcp -j DNAT --to-destination 10.244.${(i >> 8) & 255}.${i & 255}:8080`,
      `-A ${ep[1]} -p tcp -m comment --comment "${ns}/${name}:http" -m tcp -j DNAT --to-destination 10.245.${(i >> 8) & 255}.${i & 255}:8080`,
    );
  }
  return [...head, ...decl, ...rules, "COMMIT", ""].join("\n");
}

test("10,000 Services stay fast", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const dump = bigDump(10_000);
    const before = await generation(s.page);
    const t0 = Date.now();
    await paste(s.page, dump);
    // While the worker analyses, the page answers at once.
    const ping = await s.page.evaluate(() => new Promise((done) => {
      const t = performance.now();
      setTimeout(() => done(performance.now() - t), 0);
    }));
    assert.ok(ping < 500, `the page stays responsive during the analysis (${ping.toFixed(0)} ms)`);
    await explainedAfter(s.page, before, 240_000);
    const took = Date.now() - t0;
    const status = await s.page.textContent("#status");
    console.log(`# 10,000 Services (${(dump.length / 1048576).toFixed(1)} MB) explained and shown in ${took} ms (${status})`);
    assert.equal(await s.page.textContent("#service-count"), "10000");
    const rows = await s.page.$$eval(".svc-body .svc-row", (r) => r.length);
    assert.ok(rows > 5 && rows < 80, `only the rows in view are in the page (${rows})`);

    const t1 = Date.now();
    // The table scrolls with the page: scroll the window to the table's end.
    await s.page.evaluate(() => {
      const body = document.querySelector(".svc-body");
      window.scrollTo(0, body.getBoundingClientRect().bottom + window.scrollY - window.innerHeight);
    });
    const last = Array.from({ length: 10_000 }, (_, i) => `team${i % 40}/app${i}:http`).sort().at(-1);
    await s.page.waitForSelector(`a.svc-link:has-text('${last}')`);
    console.log(`# scrolled to the last of 10,000 rows in ${Date.now() - t1} ms`);

    const t2 = Date.now();
    await s.page.fill("#service-search", "app4242:");
    await s.page.waitForSelector("a.svc-link:has-text('team2/app4242:http')");
    assert.equal(await s.page.$$eval(".svc-body .svc-row", (r) => r.length), 1);
    console.log(`# filtered 10,000 rows in ${Date.now() - t2} ms`);
    await screenshot(s.page, "50-ten-thousand");
  } finally {
    await s.close();
  }
});
