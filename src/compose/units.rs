//! Compose's textual units: durations (`1m30s`), byte sizes (`512m`, `1GB`, `64000kB`), CPUs
//! (`"0.25"`). Each parser returns `None` on text it does not understand, so the caller can name
//! the path in its error.

/// A compose duration (`1h2m3s`, `1m30s`, `500ms`, `10s`, `1.5s`) or a bare number of seconds,
/// in seconds (fractions kept).
pub fn duration_secs(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<f64>() {
        return (n >= 0.0 && n.is_finite()).then_some(n);
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// A compose byte size (`512m`, `1GB`, `64000kB`, `134217728b`, `2g`, a bare number of bytes), in
/// bytes. Units are binary as in docker (`1k` = 1024).
pub fn bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let v = n * factor;
    (v.is_finite() && (0.0..1e18).contains(&v)).then(|| v.ceil() as u64)
}

/// Bytes to MiB, rounded up (ECS takes whole MiB).
pub fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("1m30s"), Some(90.0));
        assert_eq!(duration_secs("10s"), Some(10.0));
        assert_eq!(duration_secs("1h"), Some(3600.0));
        assert_eq!(duration_secs("500ms"), Some(0.5));
        assert_eq!(duration_secs("42"), Some(42.0));
        assert_eq!(duration_secs("1.5s"), Some(1.5));
        assert_eq!(duration_secs("abc"), None);
        assert_eq!(duration_secs("10x"), None);
        assert_eq!(duration_secs(""), None);
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(bytes("512m"), Some(512 * 1024 * 1024));
        assert_eq!(bytes("1GB"), Some(1024 * 1024 * 1024));
        assert_eq!(bytes("64000kB"), Some(64000 * 1024));
        assert_eq!(bytes("134217728b"), Some(134217728));
        assert_eq!(bytes("64M"), Some(64 * 1024 * 1024));
        assert_eq!(bytes("1024"), Some(1024));
        assert_eq!(bytes("1.5g"), Some(1610612736));
        assert_eq!(bytes("lots"), None);
        assert_eq!(mib(64000 * 1024), 63);
    }
}
