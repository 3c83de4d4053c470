//! A map from names to values: walked in name order, found by name in one probe.
//!
//! Every stage of the expansion walks the services in name order (so the template does not
//! depend on the order of the input), and most of them also look services and their families up
//! by name, several times per service. In a `BTreeMap<String, _>` a lookup compares the name with
//! a dozen or more keys, each behind its own pointer; for 1000 services those keys are spread over
//! a model larger than a core's L2 cache, and lookups were a large part of the growth from 100 to
//! 1000 services. Here the entries are a list sorted by name with a small hash table of positions
//! beside it: a lookup hashes the name, finds a slot, and compares against one name, kept with
//! the others end to end in one buffer. Entries come in name order (the input is a sorted map)
//! and are appended; an entry out of order is inserted in place and the index is rebuilt.

use std::ops::Index;

#[derive(Debug, Clone)]
pub struct NameMap<V> {
    /// Sorted by name.
    list: Vec<(String, V)>,
    /// The names of `list`, end to end in one buffer (`ends[i]` is where the i-th ends), so that
    /// a lookup compares against hot bytes instead of following a pointer into each entry.
    names: String,
    ends: Vec<u32>,
    /// Open addressing with linear probing: 0 is free, otherwise the upper half is the upper
    /// half of the name's hash and the lower half is `i + 1` for `list[i]`. The length is a power
    /// of two at least twice the number of entries.
    slots: Vec<u64>,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap { list: Vec::new(), names: String::new(), ends: Vec::new(), slots: Vec::new() }
    }
}

/// FxHash of the name's bytes, 8 at a time (names are short; no attacker chooses them against a
/// table that lives for one render). A multiplication mixes upwards only: slots and tags are
/// taken from the top bits (names that differ only at their end, `svc1`, `svc2`, share the low
/// ones).
fn hash(name: &str) -> u64 {
    let mut h: u64 = 0;
    for chunk in name.as_bytes().chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    h
}

impl<V> NameMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes room for `n` more entries, so that a map filled from an input mapping of known size
    /// is never copied to grow.
    pub fn reserve(&mut self, n: usize) {
        self.list.reserve(n);
        self.ends.reserve(n);
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Sets the value of `name`, replacing the one it had.
    pub fn insert(&mut self, name: String, value: V) {
        if let Some(i) = self.position(&name) {
            self.list[i].1 = value;
            return;
        }
        if self.list.last().is_some_and(|(last, _)| *last > name) {
            let at = self.list.partition_point(|(n, _)| *n < name);
            self.list.insert(at, (name, value));
            self.reindex();
            return;
        }
        self.names.push_str(&name);
        self.ends.push(self.names.len() as u32);
        self.list.push((name, value));
        if self.slots.len() < 2 * self.list.len() {
            self.reindex();
        } else {
            self.place(self.list.len() - 1);
        }
    }

    /// Removes `name` and gives its value back.
    pub fn remove(&mut self, name: &str) -> Option<V> {
        let i = self.position(name)?;
        let (_, value) = self.list.remove(i);
        self.reindex();
        Some(value)
    }

    /// Rebuilds the names and the table for the current list.
    fn reindex(&mut self) {
        self.names.clear();
        self.ends.clear();
        for (name, _) in &self.list {
            self.names.push_str(name);
            self.ends.push(self.names.len() as u32);
        }
        let size = (2 * self.list.len()).next_power_of_two().max(8);
        self.slots = vec![0; size];
        for i in 0..self.list.len() {
            self.place(i);
        }
    }

    fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.names[start..self.ends[i] as usize]
    }

    /// The first slot to probe for a hash, and the tag kept in the slot.
    fn start(&self, h: u64) -> (usize, u64) {
        ((h >> (64 - self.slots.len().trailing_zeros())) as usize, h & !0xffff_ffff)
    }

    /// Puts `list[i]` in the first free slot of its probe sequence.
    fn place(&mut self, i: usize) {
        let mask = self.slots.len() - 1;
        let (mut slot, tag) = self.start(hash(self.name(i)));
        while self.slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = tag | (i as u64 + 1);
    }

    /// Where `name` is in name order (its index in `iter()`), found by hash.
    pub fn position(&self, name: &str) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let (mut slot, tag) = self.start(hash(name));
        loop {
            let entry = self.slots[slot];
            if entry == 0 {
                return None;
            }
            let i = (entry & 0xffff_ffff) as usize - 1;
            if entry & !0xffff_ffff == tag && self.name(i) == name {
                return Some(i);
            }
            slot = (slot + 1) & mask;
        }
    }

    pub fn get(&self, name: &str) -> Option<&V> {
        self.position(name).map(|i| &self.list[i].1)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.position(name).map(|i| &mut self.list[i].1)
    }

    /// The stored name with its value.
    pub fn get_key_value(&self, name: &str) -> Option<(&String, &V)> {
        self.position(name).map(|i| (&self.list[i].0, &self.list[i].1))
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// (name, value) in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.list.iter().map(|(n, v)| (n, v))
    }

    /// Names in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.list.iter().map(|(n, _)| n)
    }

    /// Values in name order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.list.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.list.iter_mut().map(|(_, v)| v)
    }
}

impl<V, Q: AsRef<str> + ?Sized> Index<&Q> for NameMap<V> {
    type Output = V;

    /// The value of this name; like a map's index, it panics when there is none (the stages
    /// only look up names they took from the model or checked first).
    fn index(&self, name: &Q) -> &V {
        let name = name.as_ref();
        self.get(name).unwrap_or_else(|| panic!("no {name:?} in the map"))
    }
}

impl<V> FromIterator<(String, V)> for NameMap<V> {
    /// From entries in any order (in name order, each is appended).
    fn from_iter<I: IntoIterator<Item = (String, V)>>(entries: I) -> Self {
        let mut m = NameMap::new();
        for (name, value) in entries {
            m.insert(name, value);
        }
        m
    }
}

impl<'a, V> IntoIterator for &'a NameMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, V)>, fn(&'a (String, V)) -> (&'a String, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter().map(|(n, v)| (n, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stay_sorted_and_are_found_by_name() {
        let mut m = NameMap::new();
        let names: Vec<String> = (0..300).map(|i| format!("svc{}", (i * 37) % 300)).collect();
        for (i, n) in names.iter().enumerate() {
            m.insert(n.clone(), i);
        }
        // Same name again: replaced, not added.
        m.insert("svc5".into(), 1000);
        assert_eq!(m.len(), 300);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), sorted);
        for (i, n) in names.iter().enumerate().filter(|(_, n)| *n != "svc5") {
            assert_eq!(m[n.as_str()], i);
        }
        assert_eq!(m["svc5"], 1000);
        assert!(m.get("svc300").is_none() && !m.contains_key("") && m.get("svc").is_none());
        assert_eq!(m.remove("svc7"), Some(names.iter().position(|n| n == "svc7").unwrap()));
        assert!(m.get("svc7").is_none() && m.contains_key("svc8") && m.len() == 299);
        assert!(NameMap::<u8>::new().get("web").is_none());
    }
}
