//! The services of a project: walked in name order, found by name in one probe.
//!
//! Every stage of the expansion walks the services in name order (so the template does not
//! depend on the order of the input), and most of them also look services up by name, several
//! times per service. In a `BTreeMap<String, _>` a lookup compares the name with a dozen or more
//! keys, each behind its own pointer; for 1000 services those keys are spread over a model larger
//! than a core's L2 cache, and lookups were a large part of the growth from 100 to 1000
//! services. Here the services are a list sorted by name with a small hash table of positions
//! beside it: a lookup hashes the name, finds a slot, and compares one name.

use super::model::Service;
use std::ops::Index;

#[derive(Debug, Clone, Default)]
pub struct Services {
    /// Sorted by name; boxed so that growing the list moves pointers, not 952-byte services
    /// (copies that would each touch new cache lines).
    #[allow(clippy::vec_box)]
    list: Vec<Box<Service>>,
    /// The names of `list`, end to end in one buffer (`ends[i]` is where the i-th ends), so that
    /// a lookup compares against hot bytes instead of following a pointer into each service.
    names: String,
    ends: Vec<u32>,
    /// Open addressing with linear probing: 0 is free, otherwise the upper half is the upper
    /// half of the name's hash and the lower half is `i + 1` for `list[i]`. The length is a power
    /// of two at least twice the number of services.
    slots: Vec<u64>,
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

impl Services {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds `service`, replacing the one of the same name.
    pub fn insert(&mut self, service: Box<Service>) {
        if let Some(i) = self.position(&service.name) {
            self.list[i] = service;
            return;
        }
        // The input is a sorted map, so services come in order and are appended.
        if self.list.last().is_some_and(|last| last.name > service.name) {
            let at = self.list.partition_point(|s| s.name < service.name);
            self.list.insert(at, service);
            self.reindex();
            return;
        }
        self.names.push_str(&service.name);
        self.ends.push(self.names.len() as u32);
        self.list.push(service);
        if self.slots.len() < 2 * self.list.len() {
            self.reindex();
        } else {
            self.place(self.list.len() - 1);
        }
    }

    /// Rebuilds the names and the table for the current list.
    fn reindex(&mut self) {
        self.names.clear();
        self.ends.clear();
        for s in &self.list {
            self.names.push_str(&s.name);
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

    fn position(&self, name: &str) -> Option<usize> {
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

    pub fn get(&self, name: &str) -> Option<&Service> {
        self.position(name).map(|i| &*self.list[i])
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// (name, service) in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Service)> {
        self.list.iter().map(|s| (&s.name, &**s))
    }

    /// Names in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.list.iter().map(|s| &s.name)
    }

    /// Services in name order.
    pub fn values(&self) -> impl Iterator<Item = &Service> {
        self.list.iter().map(|s| &**s)
    }
}

impl<Q: AsRef<str> + ?Sized> Index<&Q> for Services {
    type Output = Service;

    /// The service of this name; like a map's index, it panics when there is none (the
    /// stages only look up names they took from the model or checked first).
    fn index(&self, name: &Q) -> &Service {
        let name = name.as_ref();
        self.get(name).unwrap_or_else(|| panic!("no service {name:?} in the model"))
    }
}

impl<'a> IntoIterator for &'a Services {
    type Item = (&'a String, &'a Service);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, Box<Service>>, fn(&'a Box<Service>) -> (&'a String, &'a Service)>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter().map(|s| (&s.name, &**s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Box<Service> {
        Box::new(Service { name: name.into(), ..Default::default() })
    }

    #[test]
    fn services_stay_sorted_and_are_found_by_name() {
        let mut s = Services::default();
        let names: Vec<String> = (0..300).map(|i| format!("svc{}", (i * 37) % 300)).collect();
        for n in &names {
            s.insert(named(n));
        }
        // Same name again: replaced, not added.
        s.insert(Box::new(Service { name: "svc5".into(), platform: Some("linux/arm64".into()), ..Default::default() }));
        assert_eq!(s.len(), 300);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(s.keys().cloned().collect::<Vec<_>>(), sorted);
        for n in &names {
            assert_eq!(s[n.as_str()].name, *n);
        }
        assert_eq!(s["svc5"].platform.as_deref(), Some("linux/arm64"));
        assert!(s.get("svc300").is_none() && !s.contains_key("") && s.get("svc").is_none());
        assert!(Services::default().get("web").is_none());
    }
}
