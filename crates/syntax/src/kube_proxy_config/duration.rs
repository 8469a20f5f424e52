//! Go's duration syntax as kube-proxy prints and reads it (`24h0m0s`, `1h`, `250ms`, `0s`), in whole
//! seconds.

/// Seconds in a Go duration (`time.ParseDuration`), rounded down; `None` when it is not one, or negative.
pub fn parse_go_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    if text.starts_with('-') || text.is_empty() || text.len() > 64 {
        return None;
    }
    if text == "0" {
        return Some(0);
    }
    let mut nanos: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        if number.is_empty() || number == "." {
            return None;
        }
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut part = whole.checked_mul(scale)?;
        let mut divisor: u128 = 1;
        for digit in fraction.chars().take(18) {
            divisor *= 10;
            part = part.checked_add(u128::from(digit.to_digit(10)?) * scale / divisor)?;
        }
        nanos = nanos.checked_add(part)?;
        rest = after;
    }
    u64::try_from(nanos / 1_000_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;

    #[test]
    fn reads_what_kube_proxy_prints() {
        assert_eq!(parse_go_duration("24h0m0s"), Some(86_400));
        assert_eq!(parse_go_duration("1h0m0s"), Some(3_600));
        assert_eq!(parse_go_duration("1h"), Some(3_600));
        assert_eq!(parse_go_duration("0s"), Some(0));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("250ms"), Some(0));
        assert_eq!(parse_go_duration("1.5m"), Some(90));
        assert_eq!(parse_go_duration("2m30s"), Some(150));
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "",
            "10",
            "-1s",
            "1d",
            "h",
            "1x",
            ".s",
            "99999999999999999999999h",
        ] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }
}
