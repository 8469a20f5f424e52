//! What stands before a kube-proxy log message: `kubectl logs --prefix` pod names, container-runtime
//! and `--timestamps` times, journald program prefixes, and the klog header or JSON record itself.

/// How a record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordFormat {
    /// klog text: `I1113 16:15:07.928773 1 proxier.go:1464] "msg" key=value`.
    Klog,
    /// `--logging-format=json`: `{"ts":1700000000.1,"caller":"…","msg":"…","v":0,…}`.
    Json,
}

/// The prefixes removed from one line.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outer<'a> {
    /// Pod name from `kubectl logs --prefix` (`[pod/kube-proxy-abc/kube-proxy] …`).
    pub pod: Option<&'a str>,
    /// A dated timestamp before the record (container runtime, `--timestamps`, journald), as written.
    pub stamp: Option<&'a str>,
    /// Seconds since 1970 of `stamp`, when it is RFC 3339.
    pub stamp_seconds: Option<f64>,
}

/// Strips the prefixes kubectl, the container runtime and journald put before kube-proxy's own text.
pub fn strip_outer(mut t: &str) -> (Outer<'_>, &str) {
    let mut outer = Outer::default();
    for _ in 0..4 {
        let before = t.len();
        t = t.trim_start();
        // k9s and other terminal viewers draw a frame: `│ I0613 … │`.
        if let Some(rest) = t.strip_prefix('│') {
            t = rest.trim_end().trim_end_matches('│').trim_start();
        }
        if let Some(rest) = t.strip_prefix("[pod/") {
            if let Some(close) = rest.find("] ") {
                let inside = &rest[..close];
                outer.pod = inside.split('/').next().filter(|p| !p.is_empty());
                t = &rest[close + 2..];
                continue;
            }
        }
        if let Some((stamp, seconds, rest)) = rfc3339_prefix(t) {
            outer.stamp = Some(stamp);
            outer.stamp_seconds = seconds;
            // CRI log files: `2024-09-03T13:18:56.164794282Z stderr F msg`.
            let rest = rest.trim_start();
            let rest = ["stderr ", "stdout "]
                .iter()
                .find_map(|s| rest.strip_prefix(s))
                .map(|r| {
                    r.strip_prefix("F ")
                        .or_else(|| r.strip_prefix("P "))
                        .unwrap_or(r)
                })
                .unwrap_or(rest);
            t = rest;
            continue;
        }
        if let Some((stamp, rest)) = journald_prefix(t) {
            outer.stamp = Some(stamp);
            t = rest;
            continue;
        }
        if t.len() == before {
            break;
        }
    }
    (outer, t)
}

/// `2022-07-23T23:18:37.025Z rest` (also with an offset, or directly followed by text as some log
/// viewers print it): the stamp, its seconds since 1970 and the rest.
fn rfc3339_prefix(t: &str) -> Option<(&str, Option<f64>, &str)> {
    let b = t.as_bytes();
    if b.len() < 20
        || !b[..4].iter().all(u8::is_ascii_digit)
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
    {
        return None;
    }
    let mut end = 19;
    if b.get(end) == Some(&b'.') {
        end += 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    match b.get(end) {
        Some(b'Z') => end += 1,
        Some(b'+') | Some(b'-') if b.len() >= end + 6 => end += 6,
        _ => {}
    }
    let stamp = t.get(..end)?;
    Some((stamp, rfc3339_seconds(stamp), t.get(end..)?))
}

/// Seconds since 1970 of an RFC 3339 time (offset applied); `None` when it does not read.
pub fn rfc3339_seconds(stamp: &str) -> Option<f64> {
    let n = |r: std::ops::Range<usize>| stamp.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hour, minute, second) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 24 || minute > 59 {
        return None;
    }
    let rest = stamp.get(19..)?;
    let (fraction, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let digits = r.bytes().take_while(u8::is_ascii_digit).count();
            (
                format!("0.{}", &r[..digits]).parse::<f64>().ok()?,
                &r[digits..],
            )
        }
        None => (0.0, rest),
    };
    let offset = match zone.as_bytes().first() {
        Some(sign @ (b'+' | b'-')) => {
            let h = zone.get(1..3)?.parse::<i64>().ok()?;
            let m = zone.get(4..6)?.parse::<i64>().ok()?;
            let s = (h * 60 + m) * 60;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => 0,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds as f64 + fraction)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `Feb 17 11:12:14 host kube-proxy[9234]: rest` (journald, syslog): the time and the rest.
fn journald_prefix(t: &str) -> Option<(&str, &str)> {
    let colon = t.find("]: ")?;
    let open = t[..colon].rfind('[')?;
    let pid = &t[open + 1..colon];
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (head, _program) = t[..open].rsplit_once(' ')?;
    let (time, _host) = head.rsplit_once(' ')?;
    let month = time.split_whitespace().next()?;
    if month.len() < 3 || !month.chars().all(char::is_alphabetic) && !month.ends_with('月') {
        return None;
    }
    Some((time, &t[colon + 3..]))
}

/// The klog header: `I1113 16:15:07.931291 1 proxier.go:1481] rest`.
#[derive(Debug, Clone, PartialEq)]
pub struct KlogHeader<'a> {
    /// `I`, `W`, `E` or `F`.
    pub level: char,
    /// `1113 16:15:07.931291`.
    pub time: &'a str,
    /// Seconds since the start of the (unknown) year.
    pub seconds: Option<f64>,
    /// `proxier.go:1481`.
    pub caller: &'a str,
    pub rest: &'a str,
}

pub fn klog_header(t: &str) -> Option<KlogHeader<'_>> {
    let b = t.as_bytes();
    if b.len() < 7
        || !matches!(b[0], b'I' | b'W' | b'E' | b'F')
        || !b[1..5].iter().all(u8::is_ascii_digit)
        || b[5] != b' '
    {
        return None;
    }
    let close = t
        .find("] ")
        .or_else(|| t.ends_with(']').then(|| t.len() - 1))?;
    let head = &t[1..close];
    let mut words = head.split_whitespace();
    let date = words.next()?;
    let clock = words.next()?;
    let _pid = words.next();
    let caller = words.next().unwrap_or("");
    let time_end = clock.as_ptr() as usize - head.as_ptr() as usize + clock.len();
    let time = &head[..time_end];
    Some(KlogHeader {
        level: b[0] as char,
        time,
        seconds: klog_seconds(date, clock),
        caller,
        rest: t.get(close + 2..).unwrap_or(""),
    })
}

/// `1113` and `16:15:07.931291` as seconds since the start of a non-leap year.
fn klog_seconds(date: &str, clock: &str) -> Option<f64> {
    let month: i64 = date.get(0..2)?.parse().ok()?;
    let day: i64 = date.get(2..4)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut parts = clock.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    let days = days_from_civil(2001, month, day) - days_from_civil(2001, 1, 1);
    Some(days as f64 * 86_400.0 + h * 3600.0 + m * 60.0 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outer_prefixes_in_any_order() {
        let (o, rest) = strip_outer(
            "[pod/kube-proxy-abc/kube-proxy] 2024-09-03T13:18:56.164794282Z stderr F I0903 x.go:1] m",
        );
        assert_eq!(o.pod, Some("kube-proxy-abc"));
        assert_eq!(o.stamp, Some("2024-09-03T13:18:56.164794282Z"));
        assert_eq!(rest, "I0903 x.go:1] m");
        let (o, rest) =
            strip_outer("Feb 17 11:12:14 k8s-1 kube-proxy[9234]: E0217 11:12:14.2 9234 p.go:1] m");
        assert_eq!(o.stamp, Some("Feb 17 11:12:14"));
        assert!(rest.starts_with("E0217"));
        let (o, rest) = strip_outer("2022-07-23T23:32:18.649954490Z\"Syncing iptables rules\"");
        assert!(o.stamp_seconds.is_some());
        assert_eq!(rest, "\"Syncing iptables rules\"");
    }

    #[test]
    fn rfc3339_reads_offsets_and_fractions() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:01Z"), Some(1.0));
        assert_eq!(rfc3339_seconds("1970-01-01T01:00:00+01:00"), Some(0.0));
        let s = rfc3339_seconds("2024-09-03T13:18:56.5Z").unwrap();
        assert_eq!(s, 1_725_369_536.5);
    }

    #[test]
    fn klog_header_fields() {
        let h = klog_header("E1113 16:15:07.931291       1 proxier.go:1481] \"x\" a=b").unwrap();
        assert_eq!(h.level, 'E');
        assert_eq!(h.time, "1113 16:15:07.931291");
        assert_eq!(h.caller, "proxier.go:1481");
        assert_eq!(h.rest, "\"x\" a=b");
        let a = klog_header("I0101 00:00:01.000000 1 a.go:1] x").unwrap();
        assert_eq!(a.seconds, Some(1.0));
        assert!(klog_header("I1113 no bracket").is_none());
    }
}
