//! OPA's `sprintf`, which follows Go's `fmt`: used as a regorus extension because regorus
//! rejects a format with more verbs than arguments, where Go prints `%!v(MISSING)`.

use regorus::Value;

/// Formats `format` with `args` like OPA's `sprintf(format, args)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags, width and precision: kept for width/precision, ignored otherwise.
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if matches!(f, '+' | '-' | '#' | ' ' | '0') {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse().unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next_arg += 1;
        let body = format_arg(verb, arg, precision);
        let w: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len < w {
            let pad: String =
                std::iter::repeat_n(if flags.contains('0') { '0' } else { ' ' }, w - len).collect();
            if flags.contains('-') {
                out.push_str(&body);
                out.push_str(&pad.replace('0', " "));
            } else {
                out.push_str(&pad);
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    if next_arg < args.len() {
        let extra: Vec<String> = args[next_arg..]
            .iter()
            .map(|a| format!("{}={}", go_type(a), plain(a)))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "json.Number",
        Value::Bool(_) => "bool",
        Value::Null => "<nil>",
        Value::Array(_) => "ast.Array",
        Value::Set(_) => "ast.Set",
        Value::Object(_) => "ast.Object",
        Value::Undefined => "<nil>",
    }
}

fn format_arg(verb: char, v: &Value, precision: Option<usize>) -> String {
    match (verb, v) {
        ('q', Value::String(s)) => serde_json::to_string(s.as_ref()).unwrap_or_default(),
        ('d', Value::Number(_)) => plain(v),
        ('f' | 'e' | 'g', Value::Number(_)) => {
            let f: f64 = plain(v).parse().unwrap_or(0.0);
            match (verb, precision) {
                ('f', p) => format!("{:.*}", p.unwrap_or(6), f),
                ('e', p) => format!("{:.*e}", p.unwrap_or(6), f),
                _ => format!("{f}"),
            }
        }
        ('x', Value::String(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
        ('X', Value::String(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
        ('x' | 'X', Value::Number(_)) => {
            let n: i64 = plain(v).parse().unwrap_or(0);
            if verb == 'x' {
                format!("{n:x}")
            } else {
                format!("{n:X}")
            }
        }
        ('t', Value::Bool(b)) => b.to_string(),
        ('v' | 's', _) => {
            let s = plain(v);
            match precision {
                Some(p) if verb == 's' => s.chars().take(p).collect(),
                _ => s,
            }
        }
        (verb, _) => format!("%!{verb}({}={})", go_type(v), plain(v)),
    }
}

/// A value as `%v` prints it: strings bare at top level, Rego term syntax inside
/// collections.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => term(other),
    }
}

fn term(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(_) => v.to_json_str().unwrap_or_default(),
        Value::String(s) => serde_json::to_string(s.as_ref()).unwrap_or_default(),
        Value::Array(a) => format!("[{}]", a.iter().map(term).collect::<Vec<_>>().join(", ")),
        Value::Set(s) => {
            if s.is_empty() {
                "set()".into()
            } else {
                format!("{{{}}}", s.iter().map(term).collect::<Vec<_>>().join(", "))
            }
        }
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", term(k), term(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Undefined => "<undefined>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::sprintf;
    use regorus::Value;

    #[test]
    fn formats_like_go() {
        let args = [Value::from("a"), Value::from(2_i64)];
        assert_eq!(sprintf("%v is %d%%", &args), "a is 2%");
        assert_eq!(sprintf("%v %v", &args[..1]), "a %!v(MISSING)");
        assert_eq!(sprintf("%q", &args[..1]), "\"a\"");
        assert_eq!(
            sprintf("%5s|%-3s|", &[Value::from("ab"), Value::from("c")]),
            "   ab|c  |"
        );
        let arr = Value::from_json_str(r#"["x", 1]"#).unwrap();
        assert_eq!(sprintf("%v", &[arr]), "[\"x\", 1]");
        assert_eq!(
            sprintf("%v", &[Value::from("a"), Value::from("b")]),
            "a%!(EXTRA string=b)"
        );
    }
}
