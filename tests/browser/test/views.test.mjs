// The views people keep open: a Service's paths by client origin, the Trace form, correcting a section's
// kind, redaction of the report and the dump, and the Source view's highlighted evidence lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CORPUS, explained, explainedAfter, foreign, generation, open, screenshot } from "../harness.mjs";

test("a Service page draws its paths; the Trace form traces a packet", async () => {
  const s = await open({ hash: "#/sample/kube-proxy-test" });
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    await s.page.click("a.svc-link:has-text('ns2/svc2:p80')");
    await s.page.waitForSelector("#paths .outcome");
    const origins = await s.page.$$eval("#paths .choice", (b) => b.map((x) => x.textContent));
    assert.ok(origins.some((o) => /from a pod/.test(o)), origins.join(" | "));
    assert.ok(origins.some((o) => /NodePort 3001 from outside/.test(o)), origins.join(" | "));
    assert.match(await s.page.textContent("#paths .outcome-head"), /10\.180\.0\.2:80/);

    // eTP=Local without a local endpoint: load-balancer traffic from outside is dropped.
    await s.page.click("#paths .choice:has-text('load-balancer IP 1.2.3.4:80 from outside')");
    await s.page.waitForSelector("#paths .verdict-tag.v-drop");
    await screenshot(s.page, "60-service-paths-drop", { fullPage: true });

    // Affinity: a returning client is offered on the Service with ClientIP affinity.
    await s.page.goBack();
    await s.page.click("a.svc-link:has-text('ns5/svc5:p80')");
    await s.page.waitForSelector("#paths .choice:has-text('connected before')");

    await s.page.click("#trace-this");
    await s.page.waitForSelector("#trace .outcome");
    assert.equal(await s.page.inputValue("#trace-dst"), "172.30.0.45");
    await s.page.selectOption("#trace-from", "external");
    await s.page.fill("#trace-dst", "10.0.0.99");
    await s.page.fill("#trace-port", "1");
    await s.page.click("#trace-run");
    await s.page.waitForSelector("#trace .outcome-head:has-text('ACCEPT')");
    await screenshot(s.page, "61-trace-form", { fullPage: true });
    await s.page.fill("#trace-port", "http");
    await s.page.click("#trace-run");
    await s.page.waitForSelector("text=give a destination port");
    assert.deepEqual(s.requests.slice(firstLoad), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("sections can be corrected, redaction hides addresses, evidence lines are highlighted", async () => {
  const s = await open({ hash: "#/sample/flannel" });
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;

    // Read the iptables section as something else: the Services disappear; back: they return.
    let before = await generation(s.page);
    await s.page.selectOption("#sections select.section-kind >> nth=0", "other");
    await explainedAfter(s.page, before);
    assert.equal(await s.page.textContent("#service-count"), "0");
    before = await generation(s.page);
    await s.page.selectOption("#sections select.section-kind >> nth=0", "iptables");
    await explainedAfter(s.page, before);
    assert.equal(await s.page.textContent("#service-count"), "6");

    // Redaction: no real address or name is left on the page or in the Source view.
    assert.ok((await s.page.textContent("main")).includes("10.96.0.10"));
    await s.page.check("#redact");
    await s.page.waitForSelector("text=names replaced");
    const main = await s.page.textContent("main");
    for (const secret of ["10.96.0.10", "10.108.64.11", "service1", "10.244.0."]) {
      assert.ok(!main.includes(secret), `${secret} is redacted`);
    }
    assert.ok(main.includes("kube-system/kube-dns"), "well-known names are kept");
    await s.page.click("a.svc-link >> nth=1");
    await s.page.waitForSelector("#paths .outcome");
    assert.ok(!(await s.page.textContent("main")).includes("10.244.0."), "traces are redacted too");
    await screenshot(s.page, "62-redacted-service", { fullPage: true });
    await s.page.click("a.tab:has-text('Source')");
    await s.page.waitForSelector("#source .src-line");
    assert.ok(!(await s.page.textContent("#source")).includes("10.96.0.10"));
    await s.page.uncheck("#redact");

    // Evidence: a finding's line link opens the Source view with the lines highlighted.
    await s.page.click("a.tab:has-text('Overview')");
    await s.page.waitForSelector("#services-title");
    await s.page.click("a.svc-link:has-text('kube-system/kube-dns:dns-tcp')");
    await s.page.click("#service .line-link >> nth=0");
    await s.page.waitForSelector("#source .src-line.hl");
    assert.match(s.page.url(), /#\/source\/L\d+$/);
    const highlighted = await s.page.$$eval("#source .src-line.hl .code", (l) => l.map((x) => x.textContent));
    assert.ok(highlighted.length > 0 && highlighted.every((l) => l.includes("kube-dns")), highlighted.join("\n"));
    await screenshot(s.page, "63-source-highlight");

    assert.deepEqual(foreign(s.requests, s.origin), []);
    assert.deepEqual(s.requests.slice(firstLoad).filter((u) => !u.startsWith("blob:")), []);
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("several files opened at once are read as one node; a share link carries the redacted dump", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    const before = await generation(s.page);
    await s.page.setInputFiles("#files", [
      join(CORPUS, "iptables", "k8s-test-TestOverallIPTablesRules.txt"),
      join(CORPUS, "sysctl", "repo-notes-sysctl-a-grep-i-conntrack-full.txt"),
    ]);
    await explainedAfter(s.page, before);
    const files = await s.page.$$eval("ul[aria-label='Input files'] > li", (l) => l.map((x) => x.textContent));
    assert.equal(files.length, 2, files.join("\n"));
    assert.match(files[0], /k8s-test-TestOverallIPTablesRules\.txt — .*lines 1–95/);
    assert.match(files[1], /repo-notes-sysctl-a-grep-i-conntrack-full\.txt — .*lines 96–/);
    const kinds = await s.page.$$eval("#sections select.section-kind", (l) => l.map((x) => x.value));
    assert.ok(kinds.includes("iptables") && kinds.includes("sysctl"), kinds.join(","));
    await s.page.waitForSelector("a.svc-link:has-text('ns1/svc1:p80')");
    await screenshot(s.page, "64-two-files", { fullPage: true });

    await s.page.click("#share");
    const link = await s.page.inputValue("#share-link");
    assert.match(link, /#\/share\/[A-Za-z0-9_-]+$/);
    assert.ok(!link.includes("172.30.0.41"), "the link holds no real address");
    assert.deepEqual(s.requests.slice(firstLoad).filter((u) => !u.startsWith("blob:")), []);

    // Opened elsewhere, the link shows the same (redacted) node.
    const other = await s.context.newPage();
    await other.goto(link);
    await other.waitForSelector("#status.done");
    assert.equal(await other.textContent("#service-count"), await s.page.textContent("#service-count"));
    assert.ok(!(await other.textContent("main")).includes("172.30.0.41"));
    await other.close();
  } finally {
    await s.close();
  }
});
