//! Fargate task sizes: the smallest valid (CPU, memory) pair that holds a family's containers.

/// (CPU units, smallest memory MiB, largest memory MiB, step MiB), in increasing CPU order.
const SIZES: &[(u64, u64, u64, u64)] = &[
    (256, 512, 2048, 0), // 512, 1024, 2048: handled specially below
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

pub const DEFAULT: (u64, u64) = (256, 512);

/// The memory sizes (MiB) Fargate allows with `cpu` units.
fn memories(cpu: u64, min: u64, max: u64, step: u64) -> Vec<u64> {
    if cpu == 256 {
        return vec![512, 1024, 2048];
    }
    (min..=max).step_by(step as usize).collect()
}

/// The smallest Fargate size with at least `cpu` units and `memory` MiB; `None` above the largest.
pub fn fargate_size(cpu: u64, memory: u64) -> Option<(u64, u64)> {
    for &(c, min, max, step) in SIZES {
        if c < cpu {
            continue;
        }
        if let Some(m) = memories(c, min, max, step).into_iter().find(|m| *m >= memory) {
            return Some((c, m));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_smallest_size() {
        assert_eq!(fargate_size(0, 0), Some((256, 512)));
        assert_eq!(fargate_size(256, 512), Some((256, 512)));
        assert_eq!(fargate_size(256, 600), Some((256, 1024)));
        assert_eq!(fargate_size(256, 3000), Some((512, 3072)));
        assert_eq!(fargate_size(300, 100), Some((512, 1024)));
        assert_eq!(fargate_size(1024, 9000), Some((2048, 9216)));
        assert_eq!(fargate_size(4096, 30721), Some((8192, 32768)));
        assert_eq!(fargate_size(16384, 122880), Some((16384, 122880)));
        assert_eq!(fargate_size(16385, 1), None);
        assert_eq!(fargate_size(1, 122881), None);
    }
}
