//! Alerts and where they go: Falco-compatible JSON and text, file and HTTP webhook sinks
//! (Falcosidekick accepts the same JSON), and per-rule rate limiting.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;

use crate::condition::parser::FieldExpr;

/// One alert, in Falco's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Event time, RFC 3339 with nanoseconds, UTC.
    pub time: String,
    /// Rule name.
    pub rule: String,
    /// Priority as Falco prints it (`Warning`, `Critical`, ...).
    pub priority: String,
    /// `HH:MM:SS.nnnnnnnnn: Priority message`, as Falco's text output.
    pub output: String,
    /// Every `%field` of the output template with its value (`null` when the event has none).
    pub output_fields: BTreeMap<String, serde_json::Value>,
    /// Event source (`syscall`).
    pub source: String,
    /// Rule tags.
    pub tags: Vec<String>,
    /// Host the event happened on.
    pub hostname: String,
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-27T03:04:05.123456789Z` for a time in ns since the epoch.
pub fn rfc3339_nanos(ts: u64) -> String {
    let secs = (ts / 1_000_000_000) as i64;
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        ts % 1_000_000_000
    )
}

/// `03:04:05.123456789`, the time prefix of Falco's text output.
pub fn clock_nanos(ts: u64) -> String {
    let sod = (ts / 1_000_000_000) % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        ts % 1_000_000_000
    )
}

/// An output template split into literal text and `%field` references.
pub fn parse_template(text: &str) -> Vec<TemplatePart> {
    let b = text.as_bytes();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            while j > start && b[j - 1] == b'.' {
                j -= 1;
            }
            let name = &text[start..j];
            if name.contains('.') {
                let mut arg = None;
                let mut end = j;
                if j < b.len()
                    && b[j] == b'['
                    && let Some(close) = text[j..].find(']')
                {
                    arg = Some(text[j + 1..j + close].to_string());
                    end = j + close + 1;
                }
                if !lit.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut lit)));
                }
                parts.push(TemplatePart::Field(FieldExpr::Field {
                    name: name.to_string(),
                    arg,
                }));
                i = end;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        lit.push(ch);
        i += ch.len_utf8();
    }
    if !lit.is_empty() {
        parts.push(TemplatePart::Text(lit));
    }
    parts
}

/// A piece of an output template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text.
    Text(String),
    /// A field to interpolate.
    Field(FieldExpr),
}

/// Output format of text sinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON alert per line.
    Json,
    /// Falco's text line.
    Text,
}

/// Somewhere alerts go.
pub trait Sink {
    /// Delivers one alert.
    fn emit(&mut self, alert: &Alert) -> io::Result<()>;
    /// Flushes buffered alerts.
    fn flush(&mut self) -> io::Result<()>;
}

/// Writes alerts as JSON lines or text lines to any writer (stdout, an appended file).
pub struct WriterSink<W: Write> {
    out: W,
    format: Format,
}

impl<W: Write> WriterSink<W> {
    /// A sink writing `format` to `out`.
    pub fn new(out: W, format: Format) -> Self {
        WriterSink { out, format }
    }
}

impl<W: Write> Sink for WriterSink<W> {
    fn emit(&mut self, alert: &Alert) -> io::Result<()> {
        match self.format {
            Format::Json => {
                serde_json::to_writer(&mut self.out, alert)?;
                self.out.write_all(b"\n")
            }
            Format::Text => writeln!(self.out, "{}", alert.output),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Posts each alert as JSON to an HTTP endpoint (Falco's `http_output`, Falcosidekick's input).
#[derive(Debug)]
pub struct WebhookSink {
    addr: String,
    host: String,
    path: String,
    timeout: Duration,
    /// Alerts the endpoint accepted.
    pub delivered: u64,
}

impl WebhookSink {
    /// A sink for `http://host[:port]/path`. TLS endpoints are reached through a local
    /// Falcosidekick or proxy; `https://` is refused with that advice.
    pub fn new(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("webhook `{url}`: only http:// URLs are supported (point it at a local Falcosidekick for TLS)")
        })?;
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if hostport.is_empty() {
            return Err(format!("webhook `{url}`: no host"));
        }
        let addr = if hostport
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !hostport.ends_with(']')
        {
            hostport.to_string()
        } else {
            format!("{hostport}:80")
        };
        Ok(WebhookSink {
            addr,
            host: hostport.to_string(),
            path: path.to_string(),
            timeout: Duration::from_secs(5),
            delivered: 0,
        })
    }
}

impl Sink for WebhookSink {
    fn emit(&mut self, alert: &Alert) -> io::Result<()> {
        let body = serde_json::to_vec(alert)?;
        let addr = self.addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no address", self.addr),
            )
        })?;
        let mut s = TcpStream::connect_timeout(&addr, self.timeout)?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        write!(
            s,
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nUser-Agent: osprey-runtime\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            body.len()
        )?;
        s.write_all(&body)?;
        let mut head = Vec::new();
        let mut buf = [0u8; 512];
        while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let status_line = String::from_utf8_lossy(&head);
        let code = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok());
        match code {
            Some(c) if (200..300).contains(&c) => {
                self.delivered += 1;
                Ok(())
            }
            _ => Err(io::Error::other(format!(
                "webhook {}{} answered `{}`",
                self.host,
                self.path,
                status_line.lines().next().unwrap_or("")
            ))),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Per-rule token buckets on event time: each rule may alert `rate` times per second with
/// bursts of `burst`; the rest are counted, not lost silently.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: HashMap<usize, (f64, u64)>,
    /// Alerts suppressed, by rule name.
    pub suppressed: BTreeMap<String, u64>,
}

impl RateLimiter {
    /// `rate` alerts per second per rule, at most `burst` at once.
    pub fn new(rate: f64, burst: u32) -> Self {
        RateLimiter {
            rate: rate.max(0.0),
            burst: f64::from(burst.max(1)),
            buckets: HashMap::new(),
            suppressed: BTreeMap::new(),
        }
    }

    /// Whether rule `idx` (named `name`) may alert at event time `ts` (ns).
    pub fn allow(&mut self, idx: usize, name: &str, ts: u64) -> bool {
        let (tokens, last) = self.buckets.entry(idx).or_insert((self.burst, ts));
        let elapsed = ts.saturating_sub(*last) as f64 / 1e9;
        *tokens = (*tokens + elapsed * self.rate).min(self.burst);
        *last = ts.max(*last);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            *self.suppressed.entry(name.to_string()).or_default() += 1;
            false
        }
    }
}

/// This machine's host name, for alerts.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn times() {
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339_nanos(1_709_251_199_000_000_001),
            "2024-02-29T23:59:59.000000001Z"
        );
        assert_eq!(
            rfc3339_nanos(951_782_400_500_000_000),
            "2000-02-29T00:00:00.500000000Z"
        );
        assert_eq!(clock_nanos(3_723_000_000_007), "01:02:03.000000007");
    }

    #[test]
    fn templates() {
        let p = parse_template("File %fd.name opened by %proc.aname[2]. 100% (%user.name)");
        assert_eq!(
            p,
            vec![
                TemplatePart::Text("File ".into()),
                TemplatePart::Field(FieldExpr::Field {
                    name: "fd.name".into(),
                    arg: None
                }),
                TemplatePart::Text(" opened by ".into()),
                TemplatePart::Field(FieldExpr::Field {
                    name: "proc.aname".into(),
                    arg: Some("2".into())
                }),
                TemplatePart::Text(". 100% (".into()),
                TemplatePart::Field(FieldExpr::Field {
                    name: "user.name".into(),
                    arg: None
                }),
                TemplatePart::Text(")".into()),
            ]
        );
    }

    #[test]
    fn rate_limit_counts_suppressed() {
        let mut rl = RateLimiter::new(1.0, 2);
        let s = 1_000_000_000;
        let allowed: Vec<bool> = (0..4).map(|_| rl.allow(0, "r", s)).collect();
        assert_eq!(allowed, [true, true, false, false]);
        assert!(rl.allow(0, "r", 2 * s));
        assert!(!rl.allow(0, "r", 2 * s));
        assert!(rl.allow(1, "other", 2 * s));
        assert_eq!(rl.suppressed.get("r"), Some(&3));
    }

    fn alert() -> Alert {
        Alert {
            time: rfc3339_nanos(1),
            rule: "R".into(),
            priority: "Warning".into(),
            output: "00:00:00.000000001: Warning hi".into(),
            output_fields: BTreeMap::from([("proc.name".to_string(), serde_json::json!("bash"))]),
            source: "syscall".into(),
            tags: vec!["t".into()],
            hostname: "h".into(),
        }
    }

    #[test]
    fn webhook_posts_json_to_a_real_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let mut bodies = Vec::new();
            for status in ["200 OK", "500 Internal Server Error"] {
                let (mut c, _) = listener.accept().unwrap();
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = c.read(&mut buf).unwrap();
                    req.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&req).to_string();
                    if let Some(h) = text.find("\r\n\r\n") {
                        let len: usize = text
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .unwrap()
                            .trim()
                            .parse()
                            .unwrap();
                        if req.len() >= h + 4 + len {
                            bodies.push((
                                text[..h].to_string(),
                                text[h + 4..h + 4 + len].to_string(),
                            ));
                            break;
                        }
                    }
                    if n == 0 {
                        break;
                    }
                }
                write!(c, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").unwrap();
            }
            bodies
        });
        let mut sink = WebhookSink::new(&format!("http://127.0.0.1:{port}/falco")).unwrap();
        sink.emit(&alert()).unwrap();
        let err = sink.emit(&alert()).unwrap_err();
        assert!(err.to_string().contains("500"), "{err}");
        let bodies = server.join().unwrap();
        assert!(bodies[0].0.starts_with("POST /falco HTTP/1.1"));
        let v: serde_json::Value = serde_json::from_str(&bodies[0].1).unwrap();
        assert_eq!(v["rule"], "R");
        assert_eq!(v["output_fields"]["proc.name"], "bash");
        assert_eq!(sink.delivered, 1);
        assert!(
            WebhookSink::new("https://x")
                .unwrap_err()
                .contains("only http://")
        );
    }

    #[test]
    fn writer_formats() {
        let mut buf = Vec::new();
        WriterSink::new(&mut buf, Format::Text)
            .emit(&alert())
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&buf),
            "00:00:00.000000001: Warning hi\n"
        );
        let mut buf = Vec::new();
        WriterSink::new(&mut buf, Format::Json)
            .emit(&alert())
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        for k in [
            "time",
            "rule",
            "priority",
            "output",
            "output_fields",
            "source",
            "tags",
            "hostname",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
    }
}
