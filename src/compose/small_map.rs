//! The model's small maps (a service's `environment`, `labels`, `deploy.labels`, `x-` keys): a
//! vector of pairs sorted by key.
//!
//! A `BTreeMap` node holds eleven keys and eleven values whatever the map's size: 624 bytes for
//! one label. Every service has a few of these maps with one to a dozen entries, so for 1000
//! services their nodes were about half of the model (1.5 MB of 3.1 MB), which then no longer
//! fitted in a core's L2 cache beside the template being written, and every stage after the load
//! read it back from memory. Here a map is one allocation of its own size, and a lookup is a
//! binary search over a few keys. The API is the part of `BTreeMap`'s that the stages use, with
//! the same meaning (sorted iteration, `insert` replacing a value).

use serde::ser::{Serialize, SerializeMap, Serializer};

#[derive(Debug, Clone, PartialEq)]
pub struct SmallMap<V> {
    /// Sorted by key, each key once.
    entries: Vec<(String, V)>,
}

impl<V> Default for SmallMap<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> SmallMap<V> {
    pub const fn new() -> Self {
        SmallMap { entries: Vec::new() }
    }

    /// An empty map with room for `n` entries (the size of the input mapping it is read from).
    pub fn with_capacity(n: usize) -> Self {
        SmallMap { entries: Vec::with_capacity(n) }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        // Entries are usually read from a sorted input mapping, so they come in order: check the
        // end first.
        match self.entries.last() {
            Some((last, _)) if last.as_str() < key => Err(self.entries.len()),
            _ => self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key)),
        }
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }
}

pub type Iter<'a, V> = std::iter::Map<std::slice::Iter<'a, (String, V)>, fn(&'a (String, V)) -> (&'a String, &'a V)>;

impl<'a, V> IntoIterator for &'a SmallMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// As a mapping, in key order (what serialising the `BTreeMap` gave).
impl<V: Serialize> Serialize for SmallMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_btree_map() {
        let mut m = SmallMap::new();
        let mut b = std::collections::BTreeMap::new();
        for (k, v) in [("b", 1), ("a", 2), ("c", 3), ("b", 4), ("", 5), ("a", 6)] {
            assert_eq!(m.insert(k.to_string(), v), b.insert(k.to_string(), v), "insert {k}");
        }
        assert_eq!(m.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
        assert_eq!(m.len(), b.len());
        for k in ["", "a", "b", "c", "d"] {
            assert_eq!(m.get(k), b.get(k), "get {k}");
            assert_eq!(m.contains_key(k), b.contains_key(k));
        }
        assert_eq!(serde_json::to_string(&m).unwrap(), serde_json::to_string(&b).unwrap());
        assert!(SmallMap::<u8>::new().is_empty() && SmallMap::<u8>::new().get("a").is_none());
    }
}
