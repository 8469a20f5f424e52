// Puts the sha256 of every inline <script> of the built page into its Content-Security-Policy, replacing
// the TRUNK_BOOT_SCRIPT_HASH placeholder, so that `script-src` needs no 'unsafe-inline'.
// Runs as Trunk's post_build hook (TRUNK_STAGING_DIR) or by hand on a built dist/ directory.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR || process.argv[2] || "dist";
const file = join(dir, "index.html");
const html = readFileSync(file, "utf8");
const placeholder = "TRUNK_BOOT_SCRIPT_HASH";
if (!html.includes(placeholder)) {
  console.error(`csp-hash: ${file} has no ${placeholder} placeholder`);
  process.exit(1);
}
const hashes = [];
for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (/\bsrc\s*=/.test(match[1])) continue;
  hashes.push(`'sha256-${createHash("sha256").update(match[2], "utf8").digest("base64")}'`);
}
if (hashes.length === 0) {
  console.error("csp-hash: no inline script found; is the page built by Trunk?");
  process.exit(1);
}
writeFileSync(file, html.replace(placeholder, hashes.join(" ")));
console.log(`csp-hash: ${hashes.length} inline script(s) allowed by hash in ${file}`);
