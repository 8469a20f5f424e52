//! NAT statements of the nft walk: `dnat`/`redirect` rewrite the destination, `masquerade`/`snat` the
//! source; a `dnat … map` picks the address (and port) from a map, by a generated number (with the
//! share of each element) or by the packet's own values.

use svcpath_syntax::nft::{Chain, Nat, NatKind};

use super::super::addr;
use super::super::walk::{Branch, Engine, Hook, Rewrite};
use super::{nat_target, walk::Act};

impl Engine<'_> {
    pub(super) fn nft_nat(
        &mut self,
        b: &mut Branch,
        label: &str,
        chain: &Chain,
        line: Option<u32>,
        n: &Nat,
        suffix: &str,
    ) -> Act {
        let hook = b.hook;
        let step =
            |b: &mut Branch, note: String| b.step(hook.name(), label, &chain.name, line, note);
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
                    (self.redirect_address(b), port, false)
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
                    step(b, "snat/masquerade outside postrouting/input: nft refuses such a rule; ignored".to_string());
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
}
