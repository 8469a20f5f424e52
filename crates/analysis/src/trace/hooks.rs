//! The schedule of a packet's hooks: the five netfilter hooks, the iptables tables each runs in the
//! kernel's order, and — when the paste holds nft base chains — every base chain of the packet's family
//! by hook and priority, with the iptables tables placed among them at their `NF_IP_PRI_*` priorities.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use svcpath_syntax::nft::Ruleset;

use super::iptables::view::Net;
use super::nft::tables::{self, NftTable};

/// Where a step happens: a netfilter hook, or a routing decision between hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Hook {
    #[serde(rename = "PREROUTING")]
    Prerouting,
    #[serde(rename = "INPUT")]
    Input,
    #[serde(rename = "FORWARD")]
    Forward,
    #[serde(rename = "OUTPUT")]
    Output,
    #[serde(rename = "POSTROUTING")]
    Postrouting,
    /// A routing decision (no netfilter hook; a branch never waits here).
    #[serde(rename = "routing")]
    Routing,
}

impl Hook {
    /// `PREROUTING` … `POSTROUTING` (the iptables base chain's name), or `routing`.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "PREROUTING",
            Hook::Input => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::Output => "OUTPUT",
            Hook::Postrouting => "POSTROUTING",
            Hook::Routing => "routing",
        }
    }

    /// The iptables tables of this hook in the kernel's priority order, when the paste holds no nft
    /// base chain. A packet looped back to the node has its NAT decided already, so the nat table is
    /// not consulted again.
    pub(super) fn tables(self, looped: bool) -> &'static [&'static str] {
        match (self, looped) {
            (Hook::Prerouting, false) => &["raw", "mangle", "nat"],
            (Hook::Prerouting, true) => &["raw", "mangle"],
            (Hook::Input, false) => &["mangle", "filter", "security", "nat"],
            (Hook::Input, true) => &["mangle", "filter", "security"],
            (Hook::Forward, _) => &["mangle", "filter", "security"],
            (Hook::Output, _) => &["raw", "mangle", "nat", "filter", "security"],
            (Hook::Postrouting, _) => &["mangle", "nat"],
            (Hook::Routing, _) => &[],
        }
    }
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// A base chain of a hook: an iptables table (by index into the iptables view) or an nft chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Iptables(usize),
    Nft { table: usize, chain: usize },
}

/// One entry of a hook's list, in the kernel's order (lowest priority first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookChain {
    pub base: Base,
    pub priority: i32,
    /// A nat chain (consulted for the first packet of a connection only).
    pub nat: bool,
}

/// The base chains of every hook for one address family.
#[derive(Debug)]
pub struct Hooks<'a> {
    pub tables: Vec<NftTable<'a>>,
    lists: [Vec<HookChain>; 5],
    iptables_names: Vec<&'a str>,
    /// How the hooks were put together (tables skipped, the order of base chains).
    pub notes: Vec<String>,
}

/// Adds a base chain to its hook's list (a routing step has none).
fn push(lists: &mut [Vec<HookChain>; 5], hook: Hook, chain: HookChain) {
    if let Some(list) = hook_index(hook).and_then(|i| lists.get_mut(i)) {
        list.push(chain);
    }
}

fn hook_index(hook: Hook) -> Option<usize> {
    match hook {
        Hook::Prerouting => Some(0),
        Hook::Input => Some(1),
        Hook::Forward => Some(2),
        Hook::Output => Some(3),
        Hook::Postrouting => Some(4),
        Hook::Routing => None,
    }
}

const HOOKS: [Hook; 5] = [
    Hook::Prerouting,
    Hook::Input,
    Hook::Forward,
    Hook::Output,
    Hook::Postrouting,
];

fn nft_hook(name: &str) -> Option<Hook> {
    Some(match name {
        "prerouting" => Hook::Prerouting,
        "input" => Hook::Input,
        "forward" => Hook::Forward,
        "output" => Hook::Output,
        "postrouting" => Hook::Postrouting,
        _ => return None,
    })
}

/// The priority of an iptables table at a hook (the `NF_IP_PRI_*` values), for the tables each hook has.
fn iptables_priority(table: &str, hook: Hook) -> Option<i32> {
    Some(match (table, hook) {
        ("raw", Hook::Prerouting | Hook::Output) => -300,
        ("mangle", _) => -150,
        ("nat", Hook::Prerouting | Hook::Output) => -100,
        ("nat", Hook::Input | Hook::Postrouting) => 100,
        ("filter", Hook::Input | Hook::Forward | Hook::Output) => 0,
        ("security", Hook::Input | Hook::Forward | Hook::Output) => 50,
        _ => return None,
    })
}

impl<'a> Hooks<'a> {
    /// The hooks of one family, or `None` when no nft table of the family has a base chain on the
    /// five IP hooks (then the iptables tables are walked as before).
    pub fn build(rulesets: &[&'a Ruleset], ipv6: bool, ipt: &Net<'a>) -> Option<Hooks<'a>> {
        let mut notes = Vec::new();
        let mut tables = Vec::new();
        for ruleset in rulesets {
            for table in &ruleset.tables {
                let family_ok = match table.family.as_str() {
                    "ip" => !ipv6,
                    "ip6" => ipv6,
                    "inet" => true,
                    _ => false,
                };
                if !family_ok {
                    continue;
                }
                if tables.iter().any(|t: &NftTable<'_>| {
                    t.table.family == table.family && t.table.name == table.name
                }) {
                    notes.push(format!(
                        "the nft table {} appears in more than one section; the first one is traced",
                        table.label()
                    ));
                    continue;
                }
                let mirrors_iptables = matches!(table.family.as_str(), "ip" | "ip6")
                    && matches!(
                        table.name.as_str(),
                        "filter" | "nat" | "mangle" | "raw" | "security"
                    )
                    && ipt.table(&table.name).is_some();
                if mirrors_iptables {
                    notes.push(format!(
                        "the nft table {} is the iptables-nft view of the {} table the paste also shows as iptables-save; the iptables-save rules are traced",
                        table.label(),
                        table.name
                    ));
                    continue;
                }
                tables.push(NftTable::new(table));
            }
        }
        let mut lists: [Vec<HookChain>; 5] = Default::default();
        for (ti, view) in ipt.tables.iter().enumerate() {
            for hook in HOOKS {
                if view.chain_index(hook.name()).is_none() {
                    continue;
                }
                if let Some(priority) = iptables_priority(view.name, hook) {
                    push(
                        &mut lists,
                        hook,
                        HookChain {
                            base: Base::Iptables(ti),
                            priority,
                            nat: view.name == "nat",
                        },
                    );
                }
            }
        }
        let mut any = false;
        for (ti, t) in tables.iter().enumerate() {
            for (ci, chain) in t.table.chains.iter().enumerate() {
                let Some(base) = &chain.base else { continue };
                let Some(hook) = nft_hook(&base.hook) else {
                    continue;
                };
                if t.chain(&chain.name) != Some(ci) {
                    continue;
                }
                let priority = match base.priority {
                    Some(p) => p,
                    None => {
                        notes.push(format!(
                            "the priority `{}` of {} {} cannot be read; 0 is assumed",
                            base.priority_text, t.label, chain.name
                        ));
                        0
                    }
                };
                any = true;
                push(
                    &mut lists,
                    hook,
                    HookChain {
                        base: Base::Nft {
                            table: ti,
                            chain: ci,
                        },
                        priority,
                        nat: base.kind == "nat",
                    },
                );
            }
        }
        if !any {
            return None;
        }
        // NAT chains (nft's and iptables' nat table) do not sit on the hook at their own priority:
        // the kernel registers one NAT hook at -100 (prerouting, output) or 100 (input, postrouting)
        // and runs the nat chains from there, ordered by their own priorities. At equal priority the
        // kernel runs the chain registered last first: a listing shows tables and chains in the order
        // they were created, so a later one comes first; the iptables tables are taken as created
        // before the nft tables (the list is built with them first, so a stable sort on the position
        // key puts them last).
        let mut ties = Vec::new();
        for (i, list) in lists.iter_mut().enumerate() {
            let nat_point = if matches!(HOOKS.get(i), Some(Hook::Input | Hook::Postrouting)) {
                100
            } else {
                -100
            };
            let key = |h: &HookChain| {
                if h.nat {
                    (nat_point, h.priority)
                } else {
                    (h.priority, i32::MIN)
                }
            };
            let rank = |h: &HookChain| match h.base {
                Base::Iptables(_) => (1, 0, 0),
                Base::Nft { table, chain } => (0, usize::MAX - table, usize::MAX - chain),
            };
            svcpath_syntax::stable_sort::sort_by_key(list, |h| (key(h), rank(h)));
            for pair in list.windows(2) {
                if let [a, b] = pair {
                    if key(a) == key(b) {
                        ties.push((i, *a, *b));
                    }
                }
            }
        }
        let iptables_names = ipt.tables.iter().map(|t| t.name).collect();
        let mut hooks = Hooks {
            tables,
            lists,
            iptables_names,
            notes,
        };
        if !ties.is_empty() {
            let pairs: Vec<String> = ties
                .iter()
                .map(|&(i, a, b)| {
                    format!(
                        "{} {} before {}",
                        HOOKS.get(i).map(|h| h.name()).unwrap_or("?"),
                        hooks.describe(a),
                        hooks.describe(b)
                    )
                })
                .collect();
            hooks.notes.push(format!(
                "base chains of equal priority run in an order the dump does not show (the kernel runs the one registered last first); taken as the later one in the listing first, iptables tables as older than nft tables: {}",
                pairs.join("; ")
            ));
        }
        for hook in HOOKS {
            let order: Vec<String> = hooks
                .list(hook)
                .iter()
                .map(|&h| {
                    if h.nat {
                        format!(
                            "{} (nat {}, run from the NAT hook)",
                            hooks.describe(h),
                            h.priority
                        )
                    } else {
                        format!("{} ({})", hooks.describe(h), h.priority)
                    }
                })
                .collect();
            if !order.is_empty() {
                hooks.notes.push(format!(
                    "{} runs, by priority: {}",
                    hook.name(),
                    order.join(", ")
                ));
            }
        }
        Some(hooks)
    }

    pub fn list(&self, hook: Hook) -> &[HookChain] {
        hook_index(hook)
            .and_then(|i| self.lists.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// `nft ip kube-proxy nat-prerouting` or `iptables nat`.
    pub fn describe(&self, h: HookChain) -> String {
        match h.base {
            Base::Iptables(ti) => format!(
                "iptables {}",
                self.iptables_names.get(ti).copied().unwrap_or("?")
            ),
            Base::Nft { table, chain } => {
                let t = self.tables.get(table);
                format!(
                    "{} {}",
                    t.map(|t| t.label.as_str()).unwrap_or("?"),
                    t.and_then(|t| t.table.chains.get(chain))
                        .map(|c| c.name.as_str())
                        .unwrap_or("?")
                )
            }
        }
    }

    /// Every address a `dnat to` statement sends to.
    pub fn dnat_addresses(&self) -> Vec<IpAddr> {
        tables::dnat_addresses(&self.tables)
    }

    /// Interface names the nft rules compare with (`iifname "cni0"`, `oifname "eth*"` as `eth+`).
    pub fn interface_names(&self) -> Vec<String> {
        tables::interface_names(&self.tables)
    }
}
