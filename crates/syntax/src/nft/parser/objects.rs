//! Finding and creating the tables, chains and sets statements name.

use super::*;

impl Parser<'_> {
    pub(super) fn table_for(&mut self, family: &str, name: &str, line: u32) -> usize {
        let key = (family.to_string(), name.to_string());
        if let Some(&t) = self.table_index.get(&key) {
            return t;
        }
        let table = Table {
            family: family.to_string(),
            name: name.to_string(),
            line: (line > 0).then_some(line),
            ..Table::default()
        };
        self.tables.push(Some(TableB {
            table,
            chains: Vec::new(),
            chain_index: HashMap::new(),
            sets: Vec::new(),
            set_index: HashMap::new(),
        }));
        let t = self.tables.len() - 1;
        self.table_index.insert(key, t);
        t
    }

    /// The chain's index, and whether it existed before.
    pub(super) fn chain_for(
        &mut self,
        t: usize,
        name: &str,
        line: u32,
        span: Span,
    ) -> (usize, bool) {
        let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) else {
            return (0, false);
        };
        if let Some(&c) = tb.chain_index.get(name) {
            return (c, true);
        }
        tb.chains.push(Some(Chain {
            name: name.to_string(),
            line,
            span,
            ..Chain::default()
        }));
        let c = tb.chains.len() - 1;
        tb.chain_index.insert(name.to_string(), c);
        (c, false)
    }

    pub(super) fn set_for(
        &mut self,
        t: usize,
        name: &str,
        is_map: bool,
        line: u32,
        span: Span,
    ) -> usize {
        let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) else {
            return 0;
        };
        if let Some(&s) = tb.set_index.get(name) {
            return s;
        }
        tb.sets.push(Some(Set {
            name: name.to_string(),
            is_map,
            line,
            span,
            ..Set::default()
        }));
        let s = tb.sets.len() - 1;
        tb.set_index.insert(name.to_string(), s);
        s
    }

    pub(super) fn chain_mut(&mut self, t: usize, c: usize) -> Option<&mut Chain> {
        self.tables
            .get_mut(t)?
            .as_mut()?
            .chains
            .get_mut(c)?
            .as_mut()
    }

    pub(super) fn set_mut(&mut self, t: usize, s: usize) -> Option<&mut Set> {
        self.tables.get_mut(t)?.as_mut()?.sets.get_mut(s)?.as_mut()
    }

    pub(super) fn find_table(&self, family: &str, name: &str) -> Option<usize> {
        self.table_index
            .get(&(family.to_string(), name.to_string()))
            .copied()
    }

    pub(super) fn find_chain(&self, t: usize, name: &str) -> Option<usize> {
        self.tables.get(t)?.as_ref()?.chain_index.get(name).copied()
    }

    pub(super) fn find_set(&self, t: usize, name: &str) -> Option<usize> {
        self.tables.get(t)?.as_ref()?.set_index.get(name).copied()
    }
}
