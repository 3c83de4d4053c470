//! The `composex` CLI's memory allocator: small blocks in size classes, carved from large
//! chunks, reused through one free list per class, never given back before the process exits.
//!
//! Why: a CLI run makes tens of thousands of small maps and strings and then exits. With the
//! system allocator, `malloc` and `free` were a third of the instructions of a run (callgrind on
//! the ECS ComposeX kitchen-sink merge); here each is a handful of instructions on the fast path.
//! mimalloc (the Lambda's allocator) was no faster for these short runs: it starts by reserving
//! and touching more memory than a whole `blog.yml` render uses (BENCHMARKS.md).
//!
//! How: a block's size class comes from the `Layout` the caller passes back on `dealloc` (Rust's
//! allocation contract), so blocks carry no header. Sizes are rounded up to a multiple of 16
//! (which also gives every block 16-byte alignment). Blocks above [`SMALL_MAX`] bytes, and any
//! alignment above 16, go to the system allocator, which grows large buffers in place. The state
//! is per thread (a thread-local without destructor, so it is usable until the thread ends); a
//! block freed on another thread simply joins that thread's free list.
//!
//! Not for long-lived processes: freed small blocks are reused only for their own size class.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr::null_mut;

/// Size granularity and alignment of small blocks.
const GRAIN: usize = 16;
/// The largest block served from the size classes.
pub const SMALL_MAX: usize = 1024;
const CLASSES: usize = SMALL_MAX / GRAIN;
/// Size of the chunks small blocks are carved from.
const CHUNK: usize = 256 * 1024;

/// The allocator; install it with `#[global_allocator]`.
pub struct CliAlloc;

struct State {
    /// Head of each size class's free list; a free block's first word points to the next.
    free: [*mut u8; CLASSES],
    /// The unused rest of the current chunk.
    next: *mut u8,
    end: *mut u8,
}

thread_local! {
    static STATE: UnsafeCell<State> = const {
        UnsafeCell::new(State { free: [null_mut(); CLASSES], next: null_mut(), end: null_mut() })
    };
}

/// The size class of a small layout, or `None` when the system allocator serves it.
#[inline]
fn class(layout: &Layout) -> Option<usize> {
    (layout.size() <= SMALL_MAX && layout.align() <= GRAIN).then(|| layout.size().max(1).div_ceil(GRAIN) - 1)
}

impl State {
    #[inline]
    unsafe fn alloc(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            self.free[class] = *(head as *mut *mut u8);
            return head;
        }
        let size = (class + 1) * GRAIN;
        if (self.end as usize) - (self.next as usize) < size {
            // The few bytes left in the old chunk are abandoned.
            let chunk = System.alloc(Layout::from_size_align_unchecked(CHUNK, GRAIN));
            if chunk.is_null() {
                return null_mut();
            }
            self.next = chunk;
            self.end = chunk.add(CHUNK);
        }
        let block = self.next;
        self.next = block.add(size);
        block
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: *mut u8, class: usize) {
        *(ptr as *mut *mut u8) = self.free[class];
        self.free[class] = ptr;
    }
}

unsafe impl GlobalAlloc for CliAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(&layout) {
            Some(c) => STATE.with(|s| (*s.get()).alloc(c)),
            None => System.alloc(layout),
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class(&layout) {
            Some(c) => STATE.with(|s| (*s.get()).dealloc(ptr, c)),
            None => System.dealloc(ptr, layout),
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class(&layout), class(&new_layout)) {
            (Some(a), Some(b)) if a == b => ptr,
            (None, None) => System.realloc(ptr, layout, new_size),
            _ => {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_to_sixteen_bytes_and_large_or_overaligned_blocks_go_to_the_system() {
        let l = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(class(&l(1, 1)), Some(0));
        assert_eq!(class(&l(16, 8)), Some(0));
        assert_eq!(class(&l(17, 8)), Some(1));
        assert_eq!(class(&l(SMALL_MAX, 16)), Some(CLASSES - 1));
        assert_eq!(class(&l(SMALL_MAX + 1, 8)), None);
        assert_eq!(class(&l(64, 32)), None);
    }

    #[test]
    fn blocks_are_distinct_aligned_reused_and_keep_their_bytes_across_realloc() {
        let a = CliAlloc;
        unsafe {
            let mut blocks = Vec::new();
            for size in [1usize, 8, 16, 17, 100, 1000, 1024, 1025, 5000] {
                for _ in 0..50 {
                    let layout = Layout::from_size_align(size, 8).unwrap();
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % 8, 0);
                    std::ptr::write_bytes(p, size as u8, size);
                    blocks.push((p, layout));
                }
            }
            // No two live blocks overlap, and each still holds its own bytes.
            let mut spans: Vec<(usize, usize)> =
                blocks.iter().map(|(p, l)| (*p as usize, *p as usize + l.size())).collect();
            spans.sort();
            assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
            for (p, l) in &blocks {
                assert!(std::slice::from_raw_parts(*p, l.size()).iter().all(|&b| b == l.size() as u8));
            }
            // Growing through every boundary (same class, small to small, small to large,
            // large to large) keeps the contents.
            let (mut p, mut layout) =
                (a.alloc(Layout::from_size_align(3, 1).unwrap()), Layout::from_size_align(3, 1).unwrap());
            std::ptr::copy_nonoverlapping(b"abc".as_ptr(), p, 3);
            for new_size in [10, 16, 40, 1024, 1025, 4096, 100, 2] {
                p = a.realloc(p, layout, new_size);
                layout = Layout::from_size_align(new_size, 1).unwrap();
                assert_eq!(std::slice::from_raw_parts(p, 2), b"ab");
            }
            a.dealloc(p, layout);
            // A freed block is the next one handed out for its class.
            let (p, l) = blocks.pop().unwrap();
            a.dealloc(p, l);
            let (q, m) = blocks.pop().unwrap();
            let small = Layout::from_size_align(20, 8).unwrap();
            let r = a.alloc(small);
            a.dealloc(r, small);
            assert_eq!(a.alloc(small), r);
            a.dealloc(r, small);
            a.dealloc(q, m);
            for (p, l) in blocks {
                a.dealloc(p, l);
            }
        }
    }
}
