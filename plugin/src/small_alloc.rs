//! The guest's allocator: size-class free lists in front of the system allocator.
//!
//! Why: a decode builds and drops tens of small objects per record (keys, short strings, map
//! vectors). In the guest the system allocator is wasi-libc's dlmalloc, whose `free` does bin
//! bookkeeping and coalescing on every call; profiles put a quarter of the decode time in
//! `malloc`/`free`. Blocks of up to [`MAX_SMALL`] bytes are instead rounded up to a 16-byte class
//! and, when freed, pushed on that class's list (the link lives in the freed block itself), so
//! the next allocation of the class is a pop. Larger blocks go straight to the system allocator
//! (which can grow them in place).
//!
//! Memory stays bounded: a cached block is only ever reused for its own class, so the cache
//! never holds more than the peak of small blocks that were live at once. The guest is
//! single-threaded (no `atomics` target feature), which is what makes the unsynchronised lists
//! sound as a `#[global_allocator]`; natively the type is only used unshared, in tests.

#![expect(
    unsafe_code,
    reason = "a GlobalAlloc implementation is unsafe by definition; the invariants are local and documented"
)]

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr;

/// Class granularity and the alignment every small block gets.
const GRANULE: usize = 16;
/// Largest size served from the free lists.
pub const MAX_SMALL: usize = 1024;
const CLASSES: usize = MAX_SMALL / GRANULE;

/// Free lists per size class over an inner allocator `A`.
pub struct SmallAlloc<A> {
    inner: A,
    /// Head of each class's list of freed blocks; each freed block starts with the next pointer.
    heads: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: only compiled for single-threaded wasm guests, where no two calls can overlap.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl<A: Sync> Sync for SmallAlloc<A> {}

impl<A> SmallAlloc<A> {
    /// An allocator with empty lists in front of `inner`.
    pub const fn new(inner: A) -> Self {
        SmallAlloc {
            inner,
            heads: UnsafeCell::new([ptr::null_mut(); CLASSES]),
        }
    }
}

/// The class index of a small layout, `None` for blocks the inner allocator serves directly.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    if layout.size() <= MAX_SMALL && layout.align() <= GRANULE {
        // Size 0 shares class 0 (16 bytes): every block must hold the free-list link.
        Some(layout.size().saturating_sub(1) / GRANULE)
    } else {
        None
    }
}

/// The layout a block of class `c` has in the inner allocator.
#[inline]
fn class_layout(c: usize) -> Layout {
    // (c + 1) * 16 ≤ MAX_SMALL with a power-of-two alignment: always a valid layout.
    Layout::from_size_align((c + 1) * GRANULE, GRANULE).unwrap_or(Layout::new::<[u128; 1]>())
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class_of(layout) else {
            // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
            return unsafe { self.inner.alloc(layout) };
        };
        // SAFETY: single-threaded (see the `Sync` impl), so no other reference to the lists is
        // live; `c < CLASSES` by `class_of`.
        unsafe {
            let head = (*self.heads.get()).as_mut_ptr().add(c);
            let block = *head;
            if block.is_null() {
                return self.inner.alloc(class_layout(c));
            }
            // A listed block is a freed block of this class, 16-byte aligned, its first word
            // the next link.
            *head = block.cast::<*mut u8>().read();
            block
        }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(c) = class_of(layout) else {
            // SAFETY: a large block came from the inner allocator with this layout.
            return unsafe { self.inner.dealloc(block, layout) };
        };
        // SAFETY: `block` is a live block of class `c` (allocated here with this layout), at
        // least 16 bytes and 16-byte aligned, so it can hold the link; single-threaded.
        unsafe {
            let head = (*self.heads.get()).as_mut_ptr().add(c);
            block.cast::<*mut u8>().write(*head);
            *head = block;
        }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY (all branches): `block` was allocated here with `layout`; `new_size` is valid
        // for `layout.align()` per `realloc`'s contract.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            match (class_of(layout), class_of(new_layout)) {
                (Some(a), Some(b)) if a == b => block,
                (None, None) => self.inner.realloc(block, layout, new_size),
                _ => {
                    let grown = self.alloc(new_layout);
                    if !grown.is_null() {
                        ptr::copy_nonoverlapping(block, grown, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    grown
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_small_block_is_reused_for_its_class_only() {
        let a = SmallAlloc::new(System);
        unsafe {
            let p = a.alloc(layout(40, 8));
            a.dealloc(p, layout(40, 8));
            // 33..=48 bytes share the class; another class does not get the block.
            let other = a.alloc(layout(20, 8));
            assert_ne!(p, other);
            let q = a.alloc(layout(48, 16));
            assert_eq!(p, q);
            a.dealloc(q, layout(48, 16));
            a.dealloc(other, layout(20, 8));
        }
    }

    #[test]
    fn blocks_are_aligned_distinct_and_keep_their_bytes() {
        let a = SmallAlloc::new(System);
        let sizes = [0, 1, 15, 16, 17, 100, 1024, 1025, 5000];
        let mut live = Vec::new();
        unsafe {
            for round in 0..3u8 {
                for &s in &sizes {
                    let l = layout(s, 8);
                    let p = a.alloc(l);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % 8, 0);
                    ptr::write_bytes(p, round.wrapping_add(s as u8), s);
                    live.push((p, l, round.wrapping_add(s as u8)));
                }
                // Free every other block so later rounds reuse some.
                let mut keep = Vec::new();
                for (i, item) in live.drain(..).enumerate() {
                    if i % 2 == 0 {
                        a.dealloc(item.0, item.1);
                    } else {
                        keep.push(item);
                    }
                }
                live = keep;
            }
            for (p, l, byte) in &live {
                assert!((0..l.size()).all(|i| *p.add(i) == *byte));
            }
            let mut ptrs: Vec<usize> = live.iter().map(|(p, _, _)| *p as usize).collect();
            ptrs.sort_unstable();
            ptrs.dedup();
            assert_eq!(ptrs.len(), live.len());
            for (p, l, _) in live {
                a.dealloc(p, l);
            }
        }
    }

    #[test]
    fn realloc_keeps_contents_across_classes_and_into_large_blocks() {
        let a = SmallAlloc::new(System);
        unsafe {
            let mut l = layout(10, 1);
            let mut p = a.alloc(l);
            for i in 0..10 {
                *p.add(i) = i as u8;
            }
            // Same class: the block itself; then a bigger class; then a large block; back down.
            for new_size in [12, 300, 4000, 64, 10] {
                let q = a.realloc(p, l, new_size);
                assert!(!q.is_null());
                if new_size == 12 {
                    assert_eq!(q, p);
                }
                p = q;
                l = layout(new_size, 1);
                assert!((0..10).all(|i| *p.add(i) == i as u8));
            }
            a.dealloc(p, l);
        }
    }

    #[test]
    fn over_aligned_layouts_bypass_the_lists() {
        let a = SmallAlloc::new(System);
        unsafe {
            let l = layout(64, 64);
            let p = a.alloc(l);
            assert_eq!(p as usize % 64, 0);
            a.dealloc(p, l);
        }
    }
}
