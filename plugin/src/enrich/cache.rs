//! A small bounded cache of recent enrichment results (spec §3): CloudTrail repeats a handful
//! of user agents and source addresses millions of times, so most lookups are answered here.
//!
//! Two-way set-associative: the key's hash picks one of `SETS` sets, a hit compares the full
//! key, a miss evicts the set's less recently used way. Results are computed outside the lock
//! and are exactly what an uncached call returns.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// Number of sets; with two ways, the cache holds at most 512 results.
pub const SETS: usize = 256;
const WAYS: usize = 2;

/// Cache of `V` by `K`.
pub struct Cache<K, V> {
    sets: Mutex<Vec<Set<K, V>>>,
}

struct Set<K, V> {
    ways: [Option<(K, V)>; WAYS],
    /// Index of the way used most recently.
    recent: usize,
}

impl<K, V> Default for Cache<K, V> {
    fn default() -> Cache<K, V> {
        Cache {
            sets: Mutex::new(
                (0..SETS)
                    .map(|_| Set {
                        ways: [None, None],
                        recent: 0,
                    })
                    .collect(),
            ),
        }
    }
}

impl<K, V: Clone> Cache<K, V> {
    /// The cached value for `key`, or `compute(key)` (then cached under `to_owned(key)`).
    pub fn get_or_compute<Q>(
        &self,
        key: &Q,
        to_owned: impl FnOnce(&Q) -> K,
        compute: impl FnOnce(&Q) -> V,
    ) -> V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = set_of(key);
        if let Ok(mut sets) = self.sets.lock()
            && let Some(set) = sets.get_mut(index)
        {
            let hit = set
                .ways
                .iter()
                .position(|w| w.as_ref().is_some_and(|(k, _)| k.borrow() == key));
            if let Some(w) = hit
                && let Some(Some((_, value))) = set.ways.get(w)
            {
                let value = value.clone();
                set.recent = w;
                return value;
            }
        }
        let value = compute(key);
        if let Ok(mut sets) = self.sets.lock()
            && let Some(set) = sets.get_mut(index)
        {
            let victim = set
                .ways
                .iter()
                .position(Option::is_none)
                .unwrap_or((set.recent + 1) % WAYS);
            if let Some(slot) = set.ways.get_mut(victim) {
                *slot = Some((to_owned(key), value.clone()));
                set.recent = victim;
            }
        }
        value
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.sets.lock().map_or(0, |sets| {
            sets.iter().map(|s| s.ways.iter().flatten().count()).sum()
        })
    }

    /// No cached entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn set_of<Q: Hash + ?Sized>(key: &Q) -> usize {
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    // The remainder is below SETS, so the conversion cannot fail.
    usize::try_from(h.finish() % SETS as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn hits_return_the_computed_value_without_recomputing() {
        let cache: Cache<Box<str>, String> = Cache::default();
        let calls = Cell::new(0);
        let compute = |k: &str| {
            calls.set(calls.get() + 1);
            k.to_uppercase()
        };
        for _ in 0..3 {
            assert_eq!(
                cache.get_or_compute("abc", |k: &str| Box::from(k), compute),
                "ABC"
            );
        }
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn size_stays_bounded_and_values_stay_right_under_churn() {
        let cache: Cache<u32, u64> = Cache::default();
        for round in 0..3 {
            for k in 0..5_000u32 {
                let v = cache.get_or_compute(&k, |k| *k, |k| u64::from(*k) * 7);
                assert_eq!(v, u64::from(k) * 7, "round {round}");
            }
        }
        assert!(cache.len() <= SETS * WAYS);
        assert!(cache.len() > SETS, "both ways get used");
    }

    #[test]
    fn the_most_recently_used_way_survives_a_miss() {
        let cache: Cache<u32, u32> = Cache::default();
        // Three keys of one set: the third evicts the less recently used of the first two.
        let same_set: Vec<u32> = (0..10_000u32)
            .filter(|k| set_of(k) == set_of(&0u32))
            .take(3)
            .collect();
        let [a, b, c] = [same_set[0], same_set[1], same_set[2]];
        let calls = Cell::new(0);
        let get = |k: u32| {
            cache.get_or_compute(
                &k,
                |k| *k,
                |k| {
                    calls.set(calls.get() + 1);
                    *k
                },
            )
        };
        get(a);
        get(b);
        get(a); // a is now the recent way
        get(c); // evicts b
        let before = calls.get();
        get(a);
        assert_eq!(calls.get(), before, "a stayed cached");
        get(b);
        assert_eq!(calls.get(), before + 1, "b was evicted");
    }
}
