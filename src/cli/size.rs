//! Byte sizes as people write and read them: `500M`, `1.5G`, `200K` or plain bytes in, and
//! `195.31 KiB` out. Units are binary (K = 1024), like the panel's GiB. No I/O.

const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a size: give bytes or a number with K, M, G or T (e.g. 500M, 1.5G, 200K)")]
pub struct BadSize(pub String);

/// Parses `123`, `123B`, `200K`, `200KB`, `200KiB`, `1.5G`... (case-insensitive). A fraction
/// is rounded to whole bytes; a plain byte count must be a whole number.
pub fn parse(raw: &str) -> Result<u64, BadSize> {
    let bad = || BadSize(raw.to_owned());
    let text = raw.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(bad());
    }
    if multiplier == 1 {
        return number.parse().map_err(|_| bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * multiplier as f64).round();
    // u64::MAX as f64 rounds up to 2^64, which does not fit: refuse it too.
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// The largest unit the size reaches, two decimals: `200 B`, `195.31 KiB`, `1.50 GiB`.
pub fn human(bytes: u64) -> String {
    match UNITS.iter().find(|(_, size)| bytes >= *size) {
        Some((name, size)) => format!("{:.2} {name}", bytes as f64 / *size as f64),
        None => format!("{bytes} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_units_and_plain_bytes_parse() {
        assert_eq!(parse("500M"), Ok(500 << 20));
        assert_eq!(parse("1.5G"), Ok(3 << 29));
        assert_eq!(parse("200K"), Ok(200 << 10));
        assert_eq!(parse("200kib"), Ok(200 << 10));
        assert_eq!(parse(" 2 GB "), Ok(2 << 30));
        assert_eq!(parse("1T"), Ok(1 << 40));
        assert_eq!(parse("123456"), Ok(123_456));
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("7B"), Ok(7));
    }

    #[test]
    fn bad_sizes_are_refused() {
        for bad in ["", "M", "5X", "5 MBs", "-1G", "1.5", "1..5G", ".5G", "5.G", "1e3G", "99999999999999T"] {
            assert_eq!(parse(bad), Err(BadSize(bad.to_owned())), "{bad:?}");
        }
    }

    #[test]
    fn sizes_print_in_the_unit_that_fits() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(200_000), "195.31 KiB");
        assert_eq!(human(500 << 20), "500.00 MiB");
        assert_eq!(human(3 << 29), "1.50 GiB");
        assert_eq!(human(2 << 40), "2.00 TiB");
    }
}
