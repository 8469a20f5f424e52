// Archives and re-encoded files dropped on the page: a corpus dump as .tar.gz, .zip and UTF-16 with a
// byte-order mark explains as the plain file does (Services, findings, diagnostics); a bundle of two
// nodes lists both names, editable, and explains the other node on request; the bad-input archives
// show their messages; nothing is requested beyond the page's own files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateRawSync, gzipSync } from "node:zlib";
import { CORPUS, ROOT, explainedAfter, explained, foreign, generation, open, overview, screenshot, tar } from "../harness.mjs";

const DUMP = join(CORPUS, "iptables", "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt");
const NFT = join(CORPUS, "nft", "k8s-test-TestOverallNFTablesRules.txt");

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive of [path, bytes] files, each deflated. */
function zip(files) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [path, bytes] of files) {
    const name = Buffer.from(path, "utf8");
    const data = deflateRawSync(bytes);
    const crc = crc32(bytes);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(bytes.length, 22);
    local.writeUInt16LE(name.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(bytes.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    central.push(entry, name);
    offset += local.length + name.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** Drops files on the page as a user's drag and drop does. */
async function drop(page, files) {
  const payload = files.map(([name, bytes]) => ({ name, b64: bytes.toString("base64") }));
  await page.evaluate((files) => {
    const transfer = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], f.name, { type: "application/octet-stream" }));
    }
    const target = document.querySelector(".page");
    target.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, payload);
}

/** What the explanation says, the file list aside. */
async function explanation(page) {
  const { count, findings, services } = await overview(page);
  const diagnostics = await page.$$eval("#diagnostics .diagnostics li", (l) => l.map((x) => x.innerText));
  return { count, findings, services, diagnostics };
}

test("a .tar.gz, a .zip and a UTF-16 file dropped explain as the plain dump", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const firstLoad = s.requests.length;
    const plain = await readFile(DUMP);
    const name = "minik8s-iptables-save.txt";
    let before = await generation(s.page);
    await drop(s.page, [[name, plain]]);
    await explainedAfter(s.page, before);
    const expected = await explanation(s.page);
    assert.equal(expected.count, "6");
    const copies = [
      ["dump.tar.gz", gzipSync(tar([[name, plain]]))],
      ["dump.zip", zip([[name, plain]])],
      ["dump-utf16.txt", Buffer.from("\ufeff" + plain.toString("utf8"), "utf16le")],
    ];
    for (const [file, bytes] of copies) {
      before = await generation(s.page);
      await drop(s.page, [[file, bytes]]);
      await explainedAfter(s.page, before);
      assert.deepEqual(await explanation(s.page), expected, file);
      const listed = await s.page.textContent(".files.nodes");
      assert.ok(listed.includes(file), `${file}: the file list names it: ${listed}`);
    }
    await screenshot(s.page, "archives-one-node");
    assert.deepEqual(s.errors, []);
    assert.deepEqual(foreign(s.requests, s.origin), []);
    assert.deepEqual(s.requests.slice(firstLoad), [], "no request after the first load");
  } finally {
    await s.close();
  }
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
  test(`a bundle of two nodes names both, editable, and explains either (${label})`, async () => {
    const s = await open({ viewport });
    try {
      await explained(s.page);
      const bundle = gzipSync(tar([
        ["cluster/node-a/iptables-save.txt", await readFile(DUMP)],
        ["cluster/node-b/nft.txt", await readFile(NFT)],
        ["cluster/node-b/kubelet", Buffer.concat([Buffer.from("\x7fELF"), Buffer.alloc(9000)])],
        ["../escape.txt", Buffer.from("x\n")],
      ]));
      let before = await generation(s.page);
      await drop(s.page, [["cluster.tar.gz", bundle]]);
      await explainedAfter(s.page, before);
      const names = await s.page.$$eval(".node-name", (l) => l.map((x) => x.value));
      assert.deepEqual(names, ["node-a", "node-b"]);
      assert.match(await s.page.textContent("#nodes-note"), /hold 2 nodes/);
      const notes = await s.page.textContent("#open-notes");
      assert.ok(notes.includes("cluster/node-b/kubelet: skipped: binary, not text"), notes);
      assert.ok(notes.includes("../escape.txt: skipped: its path climbs out of the archive"), notes);
      assert.equal((await overview(s.page)).count, "6");
      await screenshot(s.page, `archives-two-nodes-${label}`);

      before = await generation(s.page);
      await s.page.click(".node[data-node='1'] .node-explain");
      await explainedAfter(s.page, before);
      const nft = await overview(s.page);
      assert.ok(nft.main.includes("nftables"), "node-b is the nftables node");

      await s.page.fill(".node[data-node='0'] .node-name", "edge-1");
      await s.page.press(".node[data-node='0'] .node-name", "Enter");
      await s.page.waitForSelector(".node[data-node='0'] .muted:has-text('named by you')");
      assert.equal(await s.page.inputValue(".node[data-node='0'] .node-name"), "edge-1");
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });
}

test("the bad-input archives show their messages and still explain the dump", async () => {
  const s = await open();
  try {
    await explained(s.page);
    const dir = join(ROOT, "tests", "bad-input");
    const cases = [
      ["zip-bomb.zip", "node-a/notes.txt: skipped, and the archive is not read further: it unpacks more than 200 times its compressed size (a zip bomb, not a capture)"],
      ["tar-dotdot.tar", "../../../etc/cron.d/svcpath-test: skipped: its path climbs out of the archive (`..`)"],
      ["truncated.tar.gz", "node-a/dmesg.txt: the archive ends inside this file"],
    ];
    for (const [file, message] of cases) {
      const before = await generation(s.page);
      await drop(s.page, [[file, await readFile(join(dir, file))]]);
      await explainedAfter(s.page, before);
      const notes = await s.page.textContent("#open-notes");
      assert.ok(notes.includes(`${file}: ${message}`), `${file}: ${notes}`);
      for (const id of ["shop/web:http", "kube-system/kube-dns:dns"]) {
        await s.page.waitForSelector(`a.svc-link:has-text("${id}")`, { timeout: 5_000 });
      }
    }
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});
