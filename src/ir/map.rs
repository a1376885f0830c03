//! The IR's maps: entries in insertion order, found by a scan while a map
//! is small, as nearly all are (a resource's properties, an object's few
//! fields), and by an index once it is large. A large program holds a map
//! for every resource and most objects: a hash table beside each small one
//! would cost more than its entries.

use std::borrow::Borrow;
use std::hash::Hash;

use rustc_hash::FxHashMap;

use super::Key;

/// Past this many entries a map is indexed, so that building a large one
/// key by key stays linear.
const INDEXED: usize = 16;

pub struct Map<V> {
    entries: Vec<(Key, V)>,
    /// Each key's position, once the map has more than `INDEXED` entries.
    index: Option<Box<FxHashMap<Key, usize>>>,
}

impl<V> Default for Map<V> {
    fn default() -> Self {
        Map {
            entries: Vec::new(),
            index: None,
        }
    }
}

impl<V> Map<V> {
    pub fn with_capacity(capacity: usize) -> Self {
        Map {
            entries: Vec::with_capacity(capacity),
            index: None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of `key`.
    fn get_index_of<Q>(&self, key: &Q) -> Option<usize>
    where
        Q: ?Sized + Hash + Eq,
        Key: Borrow<Q>,
    {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k.borrow() == key),
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        Q: ?Sized + Hash + Eq,
        Key: Borrow<Q>,
    {
        self.get_index_of(key).map(|i| &self.entries[i].1)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        Q: ?Sized + Hash + Eq,
        Key: Borrow<Q>,
    {
        self.get_index_of(key).is_some()
    }

    /// Sets `key` to `value`: in its place when it is there (the value it
    /// had is returned), else last.
    pub fn insert(&mut self, key: Key, value: V) -> Option<V> {
        if let Some(i) = self.get_index_of(&*key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() > INDEXED {
            self.reindex();
        }
        None
    }

    /// Keeps the entries `keep` holds to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
        if self.index.is_some() {
            self.reindex();
        }
    }

    fn reindex(&mut self) {
        self.index = (self.entries.len() > INDEXED).then(|| {
            let positions = self.entries.iter().enumerate();
            Box::new(positions.map(|(i, (k, _))| (k.clone(), i)).collect())
        });
    }

    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        IterMut(self.entries.iter_mut())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

pub struct Iter<'m, V>(std::slice::Iter<'m, (Key, V)>);

impl<'m, V> Iterator for Iter<'m, V> {
    type Item = (&'m Key, &'m V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

pub struct IterMut<'m, V>(std::slice::IterMut<'m, (Key, V)>);

impl<'m, V> Iterator for IterMut<'m, V> {
    type Item = (&'m Key, &'m mut V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<V> ExactSizeIterator for IterMut<'_, V> {}

impl<'m, V> IntoIterator for &'m Map<V> {
    type Item = (&'m Key, &'m V);
    type IntoIter = Iter<'m, V>;
    fn into_iter(self) -> Iter<'m, V> {
        self.iter()
    }
}

impl<V> IntoIterator for Map<V> {
    type Item = (Key, V);
    type IntoIter = std::vec::IntoIter<(Key, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<V> Extend<(Key, V)> for Map<V> {
    fn extend<I: IntoIterator<Item = (Key, V)>>(&mut self, entries: I) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }
}

impl<V> FromIterator<(Key, V)> for Map<V> {
    fn from_iter<I: IntoIterator<Item = (Key, V)>>(entries: I) -> Self {
        let entries = entries.into_iter();
        let mut map = Map::with_capacity(entries.size_hint().0);
        map.extend(entries);
        map
    }
}

impl<V: Clone> Clone for Map<V> {
    fn clone(&self) -> Self {
        Map {
            entries: self.entries.clone(),
            index: self.index.clone(),
        }
    }
}

/// Equal as maps: the same keys with equal values, in any order (as
/// `IndexMap`'s equality).
impl<V: PartialEq> PartialEq for Map<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(&**k).is_some_and(|w| v == w))
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for Map<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::from(s)
    }

    #[test]
    fn a_map_keeps_insertion_order_and_replaces_in_place() {
        let mut map = Map::default();
        assert_eq!(map.insert(key("b"), 1), None);
        assert_eq!(map.insert(key("a"), 2), None);
        assert_eq!(map.insert(key("b"), 3), Some(1));
        let entries: Vec<(&str, i32)> = map.iter().map(|(k, v)| (&**k, *v)).collect();
        assert_eq!(entries, [("b", 3), ("a", 2)]);
        assert_eq!(map.get("a"), Some(&2));
        map.retain(|k, _| &**k != "b");
        assert_eq!(map.keys().next().map(|k| &**k), Some("a"));
    }

    #[test]
    fn a_large_map_is_indexed_and_stays_right_through_changes() {
        let mut map: Map<usize> = (0..100).map(|i| (key(&format!("k{i}")), i)).collect();
        assert!(map.index.is_some());
        assert_eq!(map.len(), 100);
        assert_eq!(map.get("k57"), Some(&57));
        assert_eq!(map.insert(key("k57"), 570), Some(57));
        assert_eq!(map.get_index_of("k57"), Some(57));
        map.retain(|k, _| &**k != "k10");
        assert_eq!(map.get_index_of("k11"), Some(10));
        assert_eq!(map.get("k99"), Some(&99));
        map.retain(|_, v| *v % 2 == 0);
        assert_eq!(map.len(), 50);
        assert_eq!(map.get_index_of("k12"), Some(5));
        assert_eq!(map.get("k13"), None);
        map.retain(|_, v| *v < 20);
        assert!(map.index.is_none(), "small again: scanned");
        assert_eq!(map.get("k18"), Some(&18));
    }

    #[test]
    fn maps_are_equal_as_maps() {
        let a: Map<i32> = [(key("x"), 1), (key("y"), 2)].into_iter().collect();
        let b: Map<i32> = [(key("y"), 2), (key("x"), 1)].into_iter().collect();
        let c: Map<i32> = [(key("y"), 2), (key("x"), 3)].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(format!("{a:?}"), r#"{"x": 1, "y": 2}"#);
    }
}
