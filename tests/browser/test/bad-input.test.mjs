// The bad-input catalogue (tests/bad-input/CATALOGUE.md) in the browser: each case is pasted (or, for
// bytes a paste cannot carry, chosen with the file button, which reads bytes like a dropped file) and the
// page must show the catalogue's message at the same line, still list the Services it understood,
// raise no page error and make no request beyond its own files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, explained, explainedAfter, foreign, generation, open, paste } from "../harness.mjs";

const DIR = join(ROOT, "tests", "bad-input");
const BOTH = ["shop/web:http", "kube-system/kube-dns:dns"];
const FFFD = "\u{fffd}";

/** The dump every small case is made from: the invalid-UTF-8 case with its é repaired. */
async function baseDump() {
  return (await readFile(join(DIR, "invalid-utf8.txt"))).toString("utf8").replaceAll(FFFD, "e");
}

/** The base dump with `line` inserted before the KUBE-MARK-MASQ rule (as crates/cli/tests/bad_input.rs). */
async function withLineInserted(line) {
  const base = await baseDump();
  const at = base.indexOf("-A KUBE-MARK-MASQ");
  return base.slice(0, at) + line + "\n" + base.slice(at);
}

const CASES = [
  { name: "empty input", paste: async () => "", services: [],
    diagnostics: [[1, "the input is empty: paste the output of `iptables-save`"]] },
  { name: "binary and NUL bytes", file: "binary-and-nul.bin", services: BOTH,
    diagnostics: [[1, `NUL bytes on this line were replaced by ${FFFD}`], [26, `NUL bytes on this line were replaced by ${FFFD}`]] },
  { name: "invalid UTF-8", file: "invalid-utf8.txt", services: BOTH,
    diagnostics: [[23, `bytes that are not UTF-8 on this line were replaced by ${FFFD}`]] },
  { name: "CRLF line endings and tabs (file)", file: "crlf-and-tabs.txt", services: BOTH, count: 2, clean: true },
  { name: "CRLF line endings and tabs (paste)", paste: () => readFile(join(DIR, "crlf-and-tabs.txt"), "utf8"),
    services: BOTH, count: 2, clean: true },
  { name: "ANSI colour codes", paste: () => readFile(join(DIR, "ansi-colour.txt"), "utf8"), services: BOTH,
    diagnostics: [[null, "terminal colour codes (ANSI escape sequences, as `grep --color=always` writes) were removed from 7 line(s)"]] },
  { name: "kubectl exec error in the middle", paste: () => readFile(join(DIR, "kubectl-exec-error.txt"), "utf8"), services: BOTH,
    diagnostics: [
      [26, "kubectl's note, not part of the dump, ignored: \"Defaulted container"],
      [27, "kubectl reported an error in the middle of the dump: \"error: unable to upgrade connection"],
      [28, "kubectl reported an error in the middle of the dump: \"command terminated with exit code 137\""],
    ] },
  { name: "truncated mid-rule", paste: () => readFile(join(DIR, "truncated-mid-rule.txt"), "utf8"), services: BOTH,
    diagnostics: [[33, "a quoted string is not closed (line cut off?)"], [11, "table nat has no COMMIT: the dump may be cut off"]] },
  { name: "chains jumping to themselves", paste: () => readFile(join(DIR, "self-jump.txt"), "utf8"), services: BOTH,
    findings: [
      "Chain KUBE-SVC-TCOU7JCQXEZGVUNU of the nat table jumps to itself (line 36)",
      "Chains of the nat table jump in a loop: KUBE-LOOP-A → KUBE-LOOP-B → KUBE-LOOP-A",
    ] },
  { name: "absurd numbers", paste: () => readFile(join(DIR, "absurd-numbers.txt"), "utf8"), services: BOTH,
    diagnostics: [
      [26, "--dport \"99999\": \"99999\" is not a port number (0 to 65535); the rule's port is unknown"],
      [28, "--probability \"7\" is not between 0 and 1 (iptables refuses it); read as 1"],
    ] },
  { name: "IPv4 and IPv6 dumps pasted together", paste: () => readFile(join(DIR, "ipv4-and-ipv6.txt"), "utf8"),
    services: [...BOTH, "shop/web6:http", "kube-system/kube-dns6:dns"], count: 4 },
  { name: "10 MB comments", paste: () => withLineInserted(
      `# ${"x".repeat(10 * 1024 * 1024)}\n-A KUBE-MARK-MASQ -m comment --comment "${"x".repeat(10 * 1024 * 1024)}" -j MARK --or-mark 0x4000` +
      "\n-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING"),
    services: BOTH, timeout: 90_000,
    diagnostics: [
      [25, "this line is 10.0 MB long; svcpath skips lines longer than 1.0 MB"],
      [26, "this line is 10.0 MB long; svcpath skips lines longer than 1.0 MB"],
    ] },
];

test("the bad-input catalogue in the browser", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    for (const c of CASES) {
      const before = await generation(s.page);
      if (c.file) {
        const buffer = await readFile(join(DIR, c.file));
        await s.page.setInputFiles("#files", { name: c.file, mimeType: "application/octet-stream", buffer });
      } else {
        const text = await c.paste();
        if (text === "") {
          // An empty paste: the box already holds the sample, so the box is emptied as a paste would.
          await paste(s.page, "");
        } else {
          await paste(s.page, text);
        }
      }
      await explainedAfter(s.page, before, c.timeout ?? 60_000);
      const diags = await s.page.$$eval("#diagnostics .diagnostics li", (items) =>
        items.map((li) => ({
          line: li.querySelector(".line-link")?.textContent ?? "",
          message: li.querySelector(".diag-message")?.textContent ?? "",
        })));
      for (const [line, message] of c.diagnostics ?? []) {
        const hit = diags.find((d) => d.message.includes(message) && (line === null || d.line === `L${line}`));
        assert.ok(hit, `${c.name}: line ${line}: ${message}\n got: ${JSON.stringify(diags.slice(0, 12))}`);
      }
      for (const message of c.findings ?? []) {
        assert.ok((await s.page.textContent("#findings")).includes(message), `${c.name}: finding ${message}`);
      }
      for (const id of c.services) {
        await s.page.waitForSelector(`a.svc-link:has-text("${id}")`, { timeout: 5_000 });
      }
      if (c.count !== undefined) {
        assert.equal(await s.page.textContent("#service-count"), String(c.count), c.name);
      }
      if (c.clean) {
        // CR and tabs leave nothing not understood about the rules.
        assert.ok(!diags.some((d) => /\\r|carriage|tab/i.test(d.message)), `${c.name}: ${JSON.stringify(diags)}`);
      }
      assert.deepEqual(s.errors, [], c.name);
    }
    assert.deepEqual(foreign(s.requests, s.origin), []);
    assert.deepEqual(s.requests.slice(firstLoad), [], "no request after the first load");
  } finally {
    await s.close();
  }
});
