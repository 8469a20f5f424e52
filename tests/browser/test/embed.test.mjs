// Hosting: the same build works under a sub-path, a sample is chosen by the URL (#/sample/NAME), the
// page works inside an iframe, and it reads well on a phone in dark mode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, foreign, open, screenshot } from "../harness.mjs";

test("served from a sub-path with a sample chosen by the URL", async () => {
  const s = await open({ base: "/tools/svcpath/", hash: "#/sample/kube-proxy-test" });
  try {
    await explained(s.page);
    await s.page.waitForSelector("a.svc-link:has-text('ns1/svc1:p80')");
    const files = s.requests.filter((u) => !u.startsWith("blob:"));
    assert.ok(files.every((u) => u.startsWith(`${s.origin}/tools/svcpath/`)), files.join("\n"));
    await s.page.click("a.svc-link:has-text('ns5/svc5:p80')");
    await s.page.waitForSelector("#service-title");
    assert.match(s.page.url(), /\/tools\/svcpath\/#\/service\/ns5\/svc5:p80$/);
    assert.ok(await s.page.isVisible("text=ClientIP for 10800 s"));
    await s.page.goBack();
    await s.page.waitForSelector("#services-title");
    assert.match(s.page.url(), /#\/sample\/kube-proxy-test$/);
    await s.page.goForward();
    await s.page.waitForSelector("#service-title");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("embedded in an iframe", async () => {
  const s = await open({ hash: "#/sample/kube-proxy-test" });
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    await s.page.setContent(
      `<!doctype html><title>host</title><h1>Our runbook</h1>` +
        `<iframe id="svcpath" src="${s.url}#/sample/flannel" width="1100" height="700"></iframe>`,
    );
    const frame = await (await s.page.waitForSelector("#svcpath")).contentFrame();
    await frame.waitForSelector("#status.done");
    await frame.waitForSelector("a.svc-link:has-text('kube-system/kube-dns:dns')");
    await screenshot(s.page, "30-iframe");
    assert.deepEqual(foreign(s.requests.slice(firstLoad), s.origin), []);
  } finally {
    await s.close();
  }
});

test("reads well on a phone in dark mode", async () => {
  const s = await open({
    hash: "#/sample/kube-proxy-test",
    colorScheme: "dark",
    viewport: { width: 390, height: 844 },
  });
  try {
    await explained(s.page);
    await s.page.waitForSelector("a.svc-link");
    const layout = await s.page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      background: getComputedStyle(document.body).backgroundColor,
    }));
    assert.ok(layout.overflow <= 0, `no horizontal scrolling (${layout.overflow}px too wide)`);
    assert.equal(layout.background, "rgb(13, 17, 23)", "dark background");
    await screenshot(s.page, "40-phone-dark", { fullPage: true });
    await s.page.click("a.svc-link:has-text('ns2/svc2:p80')");
    await s.page.waitForSelector("#service-title");
    await screenshot(s.page, "41-phone-dark-service", { fullPage: true });
    const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `service page fits (${overflow}px too wide)`);
  } finally {
    await s.close();
  }
});
