#!/usr/bin/env bash
# Where the bytes of the page's WebAssembly module go: sections, code per crate, code per function family
# (serde, sorts, formatting, collections) and the largest functions, read from the module's name section.
# Usage: scripts/wasm-size.sh [module.wasm] [top]
#   Without a module it builds the page's module as Trunk does (profile release-wasm, which keeps the
#   function names) and reads it before wasm-bindgen and wasm-opt: sizes are of code before wasm-opt.
#   The module the site ships is smaller (wasm-opt -Oz); see scripts/site-size.sh for what it loads.
set -euo pipefail
cd "$(dirname "$0")/.."

module="${1:-}"
top="${2:-25}"
if [ -z "$module" ]; then
  cargo build --quiet -p svcpath-web --bin svcpath-web --target wasm32-unknown-unknown --profile release-wasm
  module="target/wasm32-unknown-unknown/release-wasm/svcpath-web.wasm"
fi
[ -f "$module" ] || { echo "wasm-size: no such file: $module" >&2; exit 1; }

python3 - "$module" "$top" <<'PY'
import collections
import re
import sys
import zlib

path, top = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
if data[:4] != b"\0asm":
    sys.exit(f"wasm-size: {path} is not a WebAssembly module")


def leb(i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


SECTIONS = {1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global", 7: "export",
            8: "start", 9: "element", 10: "code", 11: "data", 12: "data count", 13: "tag"}
sections, bodies, names = [], [], {}
imported_functions = 0
rodata = b""
i = 8
while i < len(data):
    sid = data[i]
    size, i = leb(i + 1)
    end = i + size
    label = SECTIONS.get(sid, str(sid))
    if sid == 0:
        length, j = leb(i)
        label = "custom " + data[j:j + length].decode("utf-8", "replace")
        if data[j:j + length] == b"name":
            j += length
            while j < end:
                sub = data[j]
                sub_size, j = leb(j + 1)
                if sub == 1:
                    count, k = leb(j)
                    for _ in range(count):
                        index, k = leb(k)
                        length, k = leb(k)
                        names[index] = data[k:k + length].decode("utf-8", "replace")
                        k += length
                j += sub_size
    elif sid == 2:
        count, j = leb(i)
        for _ in range(count):
            for _ in range(2):
                length, j = leb(j)
                j += length
            kind = data[j]
            j += 1
            if kind == 0:
                _, j = leb(j)
                imported_functions += 1
            elif kind == 1:
                j += 1
                flags, j = leb(j)
                _, j = leb(j)
                if flags & 1:
                    _, j = leb(j)
            elif kind == 2:
                flags, j = leb(j)
                _, j = leb(j)
                if flags & 1:
                    _, j = leb(j)
            elif kind == 3:
                j += 2
            else:
                _, j = leb(j)
    elif sid == 10:
        count, j = leb(i)
        for _ in range(count):
            length, j = leb(j)
            bodies.append((j, length))
            j += length
    elif sid == 11:
        rodata = data[i:end]
    sections.append((label, size))
    i = end

REPLACEMENTS = [("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$C$", ","), ("$RF$", "&"), ("$BP$", "*"),
                ("$u7b$", "{"), ("$u7d$", "}"), ("$u5b$", "["), ("$u5d$", "]"), ("$u27$", "'"),
                ("$u3b$", ";"), ("$u2b$", "+"), ("$u22$", '"'), ("..", "::")]


def demangle(name):
    """Legacy Rust mangling to a path; v0 names (the prebuilt standard library) are left as they are."""
    if not name.startswith("_ZN"):
        return name
    rest, parts, k = name[3:], [], 0
    while k < len(rest) and rest[k].isdigit():
        j = k
        while rest[j].isdigit():
            j += 1
        length = int(rest[k:j])
        parts.append(rest[j:j + length])
        k = j + length
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    out = "::".join(parts)
    for old, new in REPLACEMENTS:
        out = out.replace(old, new)
    return out


def crate_of(name):
    v0 = re.search(r"Cs[0-9A-Za-z]+_(\d+)([A-Za-z_]\w*)", name) if name.startswith("_R") else None
    if v0:
        return v0.group(2)[: int(v0.group(1))]
    trimmed = name.lstrip("_<&* ")
    if trimmed.startswith("impl "):
        trimmed = trimmed[5:]
    m = re.match(r"[A-Za-z0-9_]+", trimmed)
    return m.group(0) if m else "?"


FAMILIES = [
    ("serde: Content buffering (tagged enums)", r"private::de::content|OptionVisitor"),
    ("serde: field-name visitors", r"__FieldVisitor|__Field\b|__field"),
    ("serde: Deserialize", r"Deserialize|Visitor|Deserializer|MapAccess|SeqAccess|serde_json::de"),
    ("serde: Serialize", r"Serialize|Serializer|serde_json::ser"),
    ("sorts (core::slice::sort)", r"slice::sort|sort::"),
    ("formatting (core::fmt)", r"core::fmt|fmt::|Display|Debug"),
    ("B-trees", r"btree"),
    ("hash maps (hashbrown)", r"hashbrown"),
    ("Vec growth", r"raw_vec|RawVec"),
    ("Yew", r"yew"),
]
by_crate, by_family, functions = collections.Counter(), collections.Counter(), []
count_family = collections.Counter()
bodies_of_crate, bodies_of_family = collections.defaultdict(list), collections.defaultdict(list)
for index, (start, size) in enumerate(bodies):
    name = demangle(names.get(index + imported_functions, "?"))
    functions.append((size, name))
    crate = crate_of(name)
    by_crate[crate] += size
    family = next((label for label, pattern in FAMILIES if re.search(pattern, name)), "other")
    by_family[family] += size
    count_family[family] += 1
    bodies_of_crate[crate].append(data[start:start + size])
    bodies_of_family[family].append(data[start:start + size])
code = sum(size for _, size in bodies)


def deflated_shares(groups):
    """Each group's share of the code deflated (level 9) as one stream, groups one after another: the
    shares add up to the whole code's compressed size, so they say what each costs gzipped."""
    stream, shares = zlib.compressobj(9), {}
    for key, chunks in groups.items():
        out = stream.compress(b"".join(chunks)) + stream.flush(zlib.Z_SYNC_FLUSH)
        shares[key] = len(out)
    return shares


gz_crate = deflated_shares(bodies_of_crate)
gz_family = deflated_shares(bodies_of_family)

print(f"{path}: {len(data):,} bytes, {len(bodies):,} functions, code {code:,} bytes")
print("\nsections")
for label, size in sorted(sections, key=lambda s: -s[1]):
    print(f"  {size:>10,}  {label}")
print(f"  (data section alone, zlib -9: {len(zlib.compress(rodata, 9)):,} bytes)")
print(f"  (code section alone, deflated: {sum(gz_crate.values()):,} bytes)")
print("\ncode per crate (a generic function counts for the crate that defines it): bytes, share, deflated")
for crate, size in by_crate.most_common(top):
    print(f"  {size:>10,}  {100 * size / code:5.1f} %  {gz_crate[crate]:>9,}  {crate}")
print("\ncode per family (first match wins, in this order): bytes, share, functions, deflated")
for family, size in by_family.most_common():
    print(f"  {size:>10,}  {100 * size / code:5.1f} %  {count_family[family]:>5} fns  {gz_family[family]:>9,}  {family}")
print("\nlargest functions")
for size, name in sorted(functions, reverse=True)[:top]:
    print(f"  {size:>10,}  {name[:120]}")
PY
