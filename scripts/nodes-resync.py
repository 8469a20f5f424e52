# Rewrites an iptables-save dump as kube-proxy's next full sync could: other chain hash suffixes, chains
# and KUBE-SERVICES rules in another order (rules inside a Service's chain keep their order).
import hashlib, re, sys, base64
text = open(sys.argv[1]).read()
def rename(m):
    h = base64.b32encode(hashlib.sha256(("resync" + m.group(2)).encode()).digest()).decode()[:16]
    return m.group(1) + h
text = re.sub(r'\b(KUBE-(?:SVC|SEP|EXT|SVL|FW|XLB)-)([A-Z2-7]{16})\b', rename, text)
out = []
for block in re.split(r'(?m)^(?=\*)', text):
    lines = block.splitlines()
    if not lines or not lines[0].startswith('*'):
        out.extend(lines); continue
    head = [l for l in lines if l.startswith('*')]
    decl = [l for l in lines if l.startswith(':')]
    rules = [l for l in lines if l.startswith('-A')]
    tail = [l for l in lines if l == 'COMMIT']
    order = []
    for r in rules:
        c = r.split()[1]
        if c not in order: order.append(c)
    by = {c: [r for r in rules if r.split()[1] == c] for c in order}
    ks = by.get('KUBE-SERVICES')
    if ks:
        last = [r for r in ks if 'KUBE-NODEPORTS' in r]
        by['KUBE-SERVICES'] = [r for r in reversed(ks) if r not in last] + last
    out += head + list(reversed(decl))
    for c in reversed(order): out += by[c]
    out += tail
print("\n".join(out))
