#!/usr/bin/env python3
# nft-oracle: runs the kernel oracle on an nftables ruleset (loaded with `nft -f`); see the docstring.
"""nft-oracle: the kernel oracle for kube-proxy's nftables mode.

Runs the kernel oracle (SVCPATH_ORACLE, default ../shared/oracle/kernel-oracle) with its loading step
replaced: the dump is an nftables ruleset (`nft list ruleset` / `nft list table ...` output, or the
`nft -f` transaction kube-proxy writes) and is loaded with `nft -f` into the node namespace. Everything
else -- the three namespaces, addresses and routes, the senders, conntrack reading and the chi-square /
binomial checks -- is the oracle's own. Takes the oracle's `run` arguments (see its README).

Differences from an iptables-save run:
* a transaction has its `add table/set/map/chain` lines moved ahead of the rest before loading: kube-proxy
  writes rules that jump to chains it adds further down, which `nft -f` refuses ("No such file or
  directory") when it processes the rule;
* node IPs, the cluster CIDR and the interface names are not read from the rules: pass them (the
  conformance test does); DNAT targets are read from `dnat to` statements, including the map forms
  kube-proxy 1.36+ writes (`dnat ip to numgen random mod 2 map { 0 : 10.0.0.1 . 80, 1 : ... }`) and the
  elements of named maps whose values are addresses (`type ... : ipv4_addr . inet_service`);
* before every probe (unless it keeps affinity) every dynamic set (kube-proxy's `affinity-...` sets) is
  flushed, as the oracle flushes `-m recent` lists; per-rule counters are not read (`--no-counters`).

Python 3 standard library only; needs root, `nft`, `ip`, `conntrack`.
"""

import importlib.machinery
import importlib.util
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.environ.get("SVCPATH_ORACLE") or os.path.join(HERE, "..", "..", "shared", "oracle", "kernel-oracle")

STRUCTURE = re.compile(r"^\s*(add|create)\s+(table|set|map|chain|flowtable|counter|quota)\b")
TRANSACTION = re.compile(r"^\s*(add|create|insert|replace|flush|delete|destroy)\s+")
DNAT = re.compile(r"\bdnat\s+(?:ip6?\s+)?to\s+\[?([0-9a-fA-F.:]+?)\]?(?::\d+)?(?:\s|$)")
# `dnat ip to KEY map { 0 : ADDR . PORT, ... }`: the anonymous map's body.
DNAT_MAP = re.compile(r"\bdnat\s+(?:ip6?\s+)?to\s+[^{;\n]*?\bmap\s*\{([^}]*)\}")
# A named map whose values are addresses: `map NAME { type ... : ipv4_addr . inet_service ...}`.
ADDRESS_MAP = re.compile(r"\bmap\s+\S+\s*\{[^}]*?\btype\s[^:{}]*:\s*ipv[46]_addr\b[^{}]*?(?:\{([^}]*)\}[^{}]*)?\}", re.S)
# One `: ADDR . PORT` (or `: ADDR`) value of such a map.
MAP_TARGET = re.compile(r":\s*\[?([0-9a-fA-F]*[0-9a-fA-F][0-9a-fA-F.:]*?)\]?\s*(?:\.\s*\d+)?\s*(?:,|$)")


def load_oracle():
    loader = importlib.machinery.SourceFileLoader("kernel_oracle", ORACLE)
    spec = importlib.util.spec_from_loader("kernel_oracle", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def nft_text(path):
    """The ruleset to hand to `nft -f`: a transaction with its declarations first."""
    with open(path) as f:
        text = f.read()
    lines = text.splitlines()
    if not any(TRANSACTION.match(l) for l in lines):
        return text, False
    decls = [l for l in lines if STRUCTURE.match(l)]
    rest = [l for l in lines if not STRUCTURE.match(l)]
    return "\n".join(decls + rest) + "\n", True


def map_targets(text):
    """Every address a `dnat` can send to: plain targets, and the values of NAT maps."""
    found = {m.group(1) for m in DNAT.finditer(text)}
    bodies = [m.group(1) for m in DNAT_MAP.finditer(text)]
    bodies += [m.group(1) or "" for m in ADDRESS_MAP.finditer(text)]
    for body in bodies:
        for element in body.split(","):
            t = MAP_TARGET.search(element.strip() + ",")
            if t and ("." in t.group(1) or ":" in t.group(1)):
                found.add(t.group(1))
    return found


def main():
    ko = load_oracle()
    state = {"text": None, "reordered": False, "affinity": False}

    def parse_dump(path):
        text, reordered = nft_text(path)
        state.update(text=text, reordered=reordered, affinity=bool(re.search(r"\bupdate\s+@", text)))
        return {"nft": text}, ["nft"], []

    def load_dump(ns, backend, tables, order):
        text = state["text"]
        res = ko.run(ko.nsx(ns, "nft", "-f", "-"), inp=text, check=False)
        if res.returncode != 0:
            raise ko.OracleError("nft -f failed: " + " | ".join(res.stderr.strip().splitlines()[:6]))
        load = {"backend": "nft -f", "restore_cmd": "nft -f", "failed_rules": [], "tables": {},
                "restore_runs": 1,
                "warnings": (["the transaction's add table/set/map/chain lines were moved ahead of its rules"]
                             if state["reordered"] else [])}
        listed = ko.run(ko.nsx(ns, "nft", "list", "tables"), check=False).stdout.split("\n")
        load["tables"] = {l.strip(): "loaded" for l in listed if l.strip()}
        # `kept` with an empty nat table: the oracle then asks affinity_entries (patched below).
        return {"nat": ([], [])}, load, text

    def dnat_targets(tables):
        return map_targets(tables.get("nft", ""))

    def affinity_entries(nat_rules):
        # Any probe may reach an affinity set: such probes never share a source within a group.
        return [(None, None, None)] if state["affinity"] else []

    original_reset = ko.Oracle.reset

    def reset(self, keep_affinity):
        original_reset(self, keep_affinity)
        if keep_affinity:
            return
        listed = ko.run(ko.nsx(self.t.node, "nft", "-j", "list", "sets"), check=False).stdout
        try:
            doc = json.loads(listed or "{}")
        except ValueError:
            return
        for item in doc.get("nftables", []):
            s = item.get("set")
            if not s or not ({"dynamic", "timeout"} & set(s.get("flags", []))):
                continue
            ko.run(ko.nsx(self.t.node, "nft", "flush", "set", s["family"], s["table"], s["name"]), check=False)

    ko.parse_dump = parse_dump
    ko.load_dump = load_dump
    ko.dnat_targets = dnat_targets
    ko.affinity_entries = affinity_entries
    ko.add_missing_jumps = lambda tables: []
    ko.detect_node_ips = lambda tables: []
    ko.detect_cluster_cidr = lambda tables: None
    ko.referenced_interfaces = lambda tables: {}
    ko.Oracle.reset = reset
    argv = sys.argv[1:]
    if argv and argv[0] == "run" and "--no-counters" not in argv:
        argv.append("--no-counters")
    return ko.main(argv)


if __name__ == "__main__":
    sys.exit(main())
