//! NAT statements of the nft walk: `dnat`/`redirect` rewrite the destination, `masquerade`/`snat` the
//! source; a `dnat … map` picks the address (and port) from a map, by a generated number (with the
//! share of each element) or by the packet's own values.

use svcpath_syntax::nft::{split_address_port, Chain, Nat, NatKind, ValueRef};

use super::super::addr;
use super::super::hooks::{Hook, Hooks};
use super::super::state::{percent, Branch, Budget, Ctx, Rewrite};
use super::tables::nat_target;
use super::values::map_ways;
use super::{Act, Resume};

/// Where a NAT statement with a map runs: the table, chain and rule.
pub(super) struct NatAt<'h, 'a> {
    pub hooks: &'h Hooks<'a>,
    pub ti: usize,
    pub label: &'h str,
    pub chain: &'h Chain,
    pub line: Option<u32>,
    pub suffix: &'h str,
}

/// `dnat ip to numgen random mod 2 map { 0 : 10.0.0.1 . 80, 1 : 10.0.0.2 . 80 }` (kube-proxy 1.36+)
/// or `dnat ip to KEY map @name`: each element the lookup can pick becomes a way with its share,
/// NATed to that element's address and port; the share that finds no element stops the rule.
pub(super) fn nft_nat_map(
    ctx: &Ctx<'_>,
    budget: &mut Budget,
    b: &mut Branch,
    at: &NatAt<'_, '_>,
    n: &Nat,
    work: &mut Vec<(Branch, Resume)>,
) -> Act {
    let Some(map) = &n.map else {
        return nft_nat(ctx, b, at.label, at.chain, at.line, n, at.suffix);
    };
    let hook = b.hook;
    let (ways, assumed) = map_ways(ctx, b, at.ti, at.hooks, &map.key, &map.map);
    for a in assumed {
        b.uncertain = true;
        b.step(
            hook,
            at.label,
            &at.chain.name,
            at.line,
            format!("assumed: {a}"),
        );
    }
    let mut ways = ways.into_iter().filter(|(p, _)| *p > 0.0);
    let Some(first) = ways.next() else {
        return Act::Next;
    };
    let rest: Vec<_> = ways.collect();
    let split = !rest.is_empty();
    let key = map.key.text();
    let apply = |b: &mut Branch,
                 (p, el): (f64, Option<svcpath_syntax::nft::ElementRef<'_>>)|
     -> Act {
        let share = if split {
            format!(", {} of new connections", percent(p))
        } else {
            String::new()
        };
        let Some(el) = el else {
            b.step(
                hook,
                at.label,
                &at.chain.name,
                at.line,
                format!("`{key}` finds no element in the map{share}: the rule stops here"),
            );
            return Act::Next;
        };
        if el.line() > 0 && Some(el.line()) != at.line {
            b.rules.push(el.line());
        }
        let data = match el.value() {
            Some(ValueRef::Data(d)) => d.to_string(),
            _ => String::new(),
        };
        let (address, port) = split_address_port(&data);
        if address.is_none() && port.is_none() {
            b.uncertain = true;
            b.step(
                hook,
                at.label,
                &at.chain.name,
                at.line,
                format!(
                    "the map element {} holds `{data}`, not an address: the packet is left unchanged",
                    el.key().join(" . ")
                ),
            );
            return Act::Accept;
        }
        b.step(
            hook,
            at.label,
            &at.chain.name,
            at.line,
            format!(
                "`{key}` map: element {} → {data}{share}",
                el.key().join(" . ")
            ),
        );
        let picked = Nat {
            to: Some(data),
            address,
            port,
            map: None,
            ..n.clone()
        };
        nft_nat(ctx, b, at.label, at.chain, at.line, &picked, at.suffix)
    };
    for way in rest {
        if !budget.can_fork() {
            b.uncertain = true;
            continue;
        }
        let mut other = b.clone();
        other.prob *= way.0;
        let act = apply(&mut other, way);
        work.push((
            other,
            match act {
                Act::Next => Resume::NextRule,
                a => Resume::Apply(a),
            },
        ));
    }
    b.prob *= first.0;
    apply(b, first)
}

pub(super) fn nft_nat(
    ctx: &Ctx<'_>,
    b: &mut Branch,
    label: &str,
    chain: &Chain,
    line: Option<u32>,
    n: &Nat,
    suffix: &str,
) -> Act {
    let hook = b.hook;
    let step = |b: &mut Branch, note: String| b.step(hook, label, &chain.name, line, note);
    match n.kind {
        NatKind::Dnat | NatKind::Redirect => {
            if !matches!(hook, Hook::Prerouting | Hook::Output) {
                b.uncertain = true;
                step(
                    b,
                    "dnat/redirect outside prerouting/output: nft refuses such a rule; ignored"
                        .to_string(),
                );
                return Act::Next;
            }
            let (ip, port, range) = if n.kind == NatKind::Dnat {
                match nat_target(n) {
                    Some(to) => (to.ip.unwrap_or(b.dst), to.port.unwrap_or(b.dport), to.range),
                    None => {
                        b.uncertain = true;
                        step(
                            b,
                            format!(
                                "dnat to `{}` cannot be read; the packet is left unchanged",
                                n.to.as_deref().unwrap_or("")
                            ),
                        );
                        return Act::Accept;
                    }
                }
            } else {
                let port = n
                    .port
                    .or_else(|| {
                        n.to.as_deref().and_then(|t| {
                            addr::port_range(t.trim_start_matches(':')).map(|(lo, _)| lo)
                        })
                    })
                    .unwrap_or(b.dport);
                (ctx.redirect_address(b), port, false)
            };
            let what = if n.kind == NatKind::Dnat {
                "dnat"
            } else {
                "redirect"
            };
            let note = match b.rewrite_destination(ip, port, range) {
                Rewrite::OtherFamily => "dnat to another address family; ignored".to_string(),
                Rewrite::Range => format!(
                    "dnat to a range: the kernel picks one; the first, {}, is shown",
                    addr::endpoint(ip, port)
                ),
                Rewrite::Exact => format!("{what} to {}{suffix}", addr::endpoint(ip, port)),
            };
            step(b, note);
            Act::Accept
        }
        NatKind::Masquerade | NatKind::Snat => {
            if !matches!(hook, Hook::Postrouting | Hook::Input) {
                b.uncertain = true;
                step(
                    b,
                    "snat/masquerade outside postrouting/input: nft refuses such a rule; ignored"
                        .to_string(),
                );
                return Act::Next;
            }
            b.snat = true;
            let what = if n.kind == NatKind::Masquerade {
                "masquerade".to_string()
            } else {
                format!("snat to {}", n.to.as_deref().unwrap_or("?"))
            };
            step(
                b,
                format!("{what}: the source address is rewritten (masqueraded){suffix}"),
            );
            Act::Accept
        }
    }
}
