//! `nft -f` commands (`add rule …`, `delete chain …`, `flush table …`) applied to the ruleset being read.

use super::*;

impl<'a> Parser<'a> {
    pub(super) fn command(&mut self, stmt: Stmt<'a>) {
        let verb = stmt.word(0).unwrap_or("").to_string();
        let object = stmt.word(1).unwrap_or("").to_string();
        let line = stmt.line();
        // Names after `VERB OBJECT`: up to the first brace.
        let names: Vec<String> = stmt
            .toks
            .iter()
            .skip(2)
            .take_while(|t| t.kind != Tok::Open)
            .filter_map(|t| t.text())
            .collect();
        match (verb.as_str(), object.as_str()) {
            ("add" | "create", "table") => {
                let Some((family, rest)) = split_family(&names, 1) else {
                    return self.bad_command(&stmt);
                };
                let t = self.table_for(&family, &rest[0], line);
                self.last_object = Some((line, Object::Table(t)));
                if stmt.opens {
                    self.stack.push((Ctx::Table(t), line, stmt.span()));
                }
            }
            ("add" | "create", "chain") => {
                let Some((family, rest)) = split_family(&names, 2) else {
                    return self.bad_command(&stmt);
                };
                let t = self.table_for(&family, &rest[0], line);
                let (c, _) = self.chain_for(t, &rest[1], line, stmt.span());
                self.last_object = Some((line, Object::Chain(t, c)));
                if stmt.opens {
                    self.stack.push((Ctx::Chain(t, c), line, stmt.span()));
                }
            }
            ("add" | "create", kind @ ("set" | "map")) => {
                let Some((family, rest)) = split_family(&names, 2) else {
                    return self.bad_command(&stmt);
                };
                let t = self.table_for(&family, &rest[0], line);
                let s = self.set_for(t, &rest[1], kind == "map", line, stmt.span());
                self.last_object = Some((line, Object::Set(t, s)));
                if stmt.opens {
                    self.stack.push((Ctx::Set(t, s), line, stmt.span()));
                }
            }
            ("add" | "create", "element") => {
                let Some((family, rest)) = split_family(&names, 2) else {
                    return self.bad_command(&stmt);
                };
                let t = self.table_for(&family, &rest[0], line);
                let existed = self.find_set(t, &rest[1]).is_some();
                let s = self.set_for(t, &rest[1], false, line, stmt.span());
                if !existed {
                    self.stmt_diag(
                        &stmt,
                        Severity::Info,
                        format!(
                            "elements added to {}, which was not declared before",
                            rest[1]
                        ),
                    );
                }
                let elements = self.brace_elements(&stmt);
                if let Some(set) = self.set_mut(t, s) {
                    if !existed && elements.iter().any(|e| e.value().is_some()) {
                        set.is_map = true;
                    }
                    set.elements.append(elements);
                }
            }
            ("add" | "insert" | "create" | "replace", "rule") => self.rule_command(&verb, stmt),
            ("add" | "create", _) => {
                if stmt.opens {
                    self.stack.push((Ctx::Skip, line, stmt.span()));
                }
            }
            ("flush" | "delete" | "destroy", _) => {
                let text = self.source(stmt.span()).to_string();
                self.ruleset.commands.push(Command {
                    line,
                    span: stmt.span(),
                    verb: verb.clone(),
                    object: object.clone(),
                    text,
                });
                self.apply_removal(&verb, &object, &names, &stmt);
            }
            _ => {
                let text = self.source(stmt.span());
                self.stmt_diag(
                    &stmt,
                    Severity::Info,
                    format!("nft command not used by the analysis: {}", quote(text)),
                );
            }
        }
    }

    pub(super) fn bad_command(&mut self, stmt: &Stmt<'_>) {
        let text = self.source(stmt.span());
        self.stmt_diag(
            stmt,
            Severity::Error,
            format!(
                "nft command without the names it needs, ignored: {}",
                quote(text)
            ),
        );
    }

    pub(super) fn rule_command(&mut self, verb: &str, stmt: Stmt<'a>) {
        let line = stmt.line();
        let w = |i: usize| stmt.toks.get(i).and_then(|t| t.text());
        let (family, table, chain, mut at) = match (w(2), w(3), w(4)) {
            (Some(f), Some(t), Some(c)) if FAMILIES.contains(&f.as_str()) => (f, t, c, 5),
            (Some(t), Some(c), _) => ("ip".to_string(), t, c, 4),
            _ => return self.bad_command(&stmt),
        };
        let mut position = None;
        if matches!(stmt.word(at), Some("position" | "handle" | "index")) {
            position = stmt.word(at + 1).and_then(|n| n.parse::<u64>().ok());
            at += 2;
        }
        let t = self.table_for(&family, &table, line);
        let c = match self.find_chain(t, &chain) {
            Some(c) => c,
            None => {
                self.stmt_diag(
                    &stmt,
                    Severity::Info,
                    format!("rule added to chain {chain}, which was not declared before"),
                );
                self.chain_for(t, &chain, line, stmt.span()).0
            }
        };
        let toks = stmt.toks.get(at..).unwrap_or(&[]);
        if toks.is_empty() {
            return self.bad_command(&stmt);
        }
        let rule = self.rule(toks, stmt.handle());
        let Some(ch) = self.chain_mut(t, c) else {
            return;
        };
        let found = position.and_then(|h| ch.rules.iter().position(|r| r.handle == Some(h)));
        match (verb, found) {
            ("replace", Some(i)) => ch.rules[i] = rule,
            ("insert", Some(i)) => ch.rules.insert(i, rule),
            ("insert", None) => ch.rules.insert(0, rule),
            ("add" | "create", Some(i)) => ch.rules.insert(i + 1, rule),
            _ => ch.rules.push(rule),
        }
    }

    pub(super) fn apply_removal(
        &mut self,
        verb: &str,
        object: &str,
        names: &[String],
        stmt: &Stmt<'_>,
    ) {
        let flush = verb == "flush";
        match object {
            "ruleset" => {
                self.tables.iter_mut().for_each(|t| *t = None);
                self.table_index.clear();
                self.stack.clear();
            }
            "table" => {
                let Some((family, rest)) = split_family(names, 1) else {
                    return self.bad_command(stmt);
                };
                let Some(t) = self.find_table(&family, &rest[0]) else {
                    return;
                };
                if flush {
                    if let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) {
                        for ch in tb.chains.iter_mut().flatten() {
                            ch.rules.clear();
                        }
                        for set in tb.sets.iter_mut().flatten() {
                            set.elements.clear();
                        }
                    }
                } else {
                    self.tables[t] = None;
                    self.table_index.remove(&(family, rest[0].clone()));
                    self.stack.retain(|(c, _, _)| !matches!(c, Ctx::Table(x) | Ctx::Chain(x, _) | Ctx::Set(x, _) if *x == t));
                }
            }
            "chain" => {
                let Some((family, rest)) = split_family(names, 2) else {
                    return self.bad_command(stmt);
                };
                let Some(t) = self.find_table(&family, &rest[0]) else {
                    return;
                };
                let Some(c) = self.find_chain(t, &rest[1]) else {
                    return;
                };
                if let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) {
                    if flush {
                        if let Some(ch) = tb.chains.get_mut(c).and_then(Option::as_mut) {
                            ch.rules.clear();
                        }
                    } else {
                        tb.chains[c] = None;
                        tb.chain_index.remove(&rest[1]);
                    }
                }
            }
            "set" | "map" => {
                let Some((family, rest)) = split_family(names, 2) else {
                    return self.bad_command(stmt);
                };
                let Some(t) = self.find_table(&family, &rest[0]) else {
                    return;
                };
                let Some(s) = self.find_set(t, &rest[1]) else {
                    return;
                };
                if let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) {
                    if flush {
                        if let Some(set) = tb.sets.get_mut(s).and_then(Option::as_mut) {
                            set.elements.clear();
                        }
                    } else {
                        tb.sets[s] = None;
                        tb.set_index.remove(&rest[1]);
                    }
                }
            }
            "element" => {
                let Some((family, rest)) = split_family(names, 2) else {
                    return self.bad_command(stmt);
                };
                let Some(t) = self.find_table(&family, &rest[0]) else {
                    return;
                };
                let Some(s) = self.find_set(t, &rest[1]) else {
                    return;
                };
                let gone = self.brace_elements(stmt);
                let gone: Vec<Vec<&str>> = gone.iter().map(|e| e.key().iter().collect()).collect();
                if let Some(set) = self.set_mut(t, s) {
                    set.elements
                        .retain(|e| !gone.iter().any(|g| e.key().equals(g)));
                }
            }
            "rule" => {
                // `delete rule ip t c handle N`
                let Some((family, rest)) =
                    split_family(names.get(..names.len().saturating_sub(2)).unwrap_or(&[]), 2)
                else {
                    return self.bad_command(stmt);
                };
                let handle = names.last().and_then(|h| h.parse::<u64>().ok());
                let Some(t) = self.find_table(&family, &rest[0]) else {
                    return;
                };
                let Some(c) = self.find_chain(t, &rest[1]) else {
                    return;
                };
                if let (Some(ch), Some(h)) = (self.chain_mut(t, c), handle) {
                    ch.rules.retain(|r| r.handle != Some(h));
                }
            }
            _ => {}
        }
    }
}

/// Splits `[family] name…` into the family (default `ip`) and exactly `n` names.
pub(super) fn split_family(names: &[String], n: usize) -> Option<(String, Vec<String>)> {
    if names.len() == n + 1 && FAMILIES.contains(&names[0].as_str()) {
        return Some((names[0].clone(), names[1..].to_vec()));
    }
    if names.len() == n {
        return Some(("ip".to_string(), names.to_vec()));
    }
    None
}
