//! Logs with tracing: readable by default, JSON lines with `--log-json`;
//! `RUST_LOG` filters (default `info`). Nothing secret is ever logged: no
//! share, key or bid value, only ids, versions, counts, digests and the
//! published outcome.
//!
//! A JSON line is one flat object: `timestamp`, `level`, `target`,
//! `message`, then the event's fields, each once, typed (numbers as
//! numbers, booleans as booleans, a field declared but without a value,
//! such as an `Option` that is `None`, as `null`), and `spans` when inside
//! spans. Readable logs carry colour codes only when standard error is a
//! terminal.

use serde_json::Value;
use std::fmt;
use std::io::IsTerminal;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Installs the global subscriber, writing to standard error.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        b.event_format(JsonLines).init();
    } else {
        b.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

/// The `--log-json` line format.
pub struct JsonLines;

/// An event's fields in order, each key once.
#[derive(Default)]
struct Fields(Vec<(String, Value)>);

impl Fields {
    /// Adds a field; a name already taken (an event field called `level`,
    /// say) gets a `field.` prefix rather than a second key.
    fn push(&mut self, name: &str, v: Value) {
        let mut key = name.to_string();
        while self.0.iter().any(|(k, _)| *k == key) {
            key = format!("field.{key}");
        }
        self.0.push((key, v));
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, f: &Field, v: &dyn fmt::Debug) {
        // `%x` fields and the message arrive here as Display text.
        self.push(f.name(), Value::String(format!("{v:?}")));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.push(f.name(), v.into());
    }
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.push(f.name(), v.into());
    }
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.push(f.name(), v.into());
    }
    fn record_u128(&mut self, f: &Field, v: u128) {
        let v = u64::try_from(v).map_or_else(|_| v.to_string().into(), Value::from);
        self.push(f.name(), v);
    }
    fn record_i128(&mut self, f: &Field, v: i128) {
        let v = i64::try_from(v).map_or_else(|_| v.to_string().into(), Value::from);
        self.push(f.name(), v);
    }
    fn record_f64(&mut self, f: &Field, v: f64) {
        let v = serde_json::Number::from_f64(v).map_or_else(|| v.to_string().into(), Value::Number);
        self.push(f.name(), v);
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.push(f.name(), v.into());
    }
    fn record_error(&mut self, f: &Field, v: &(dyn std::error::Error + 'static)) {
        self.push(f.name(), v.to_string().into());
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut time = String::new();
        SystemTime.format_time(&mut Writer::new(&mut time))?;
        let mut recorded = Fields::default();
        event.record(&mut recorded);
        let mut out = Fields::default();
        out.push("timestamp", time.into());
        out.push("level", meta.level().as_str().into());
        out.push("target", meta.target().into());
        let message = recorded
            .0
            .iter()
            .position(|(k, _)| k == "message")
            .map(|i| recorded.0.remove(i).1);
        out.push("message", message.unwrap_or_else(|| "".into()));
        for (k, v) in recorded.0.drain(..) {
            out.push(&k, v);
        }
        // Declared without a value (`Option::None`, `field::Empty`): null.
        for f in meta.fields() {
            let name = f.name();
            if name != "message" && !out.0.iter().any(|(k, _)| k == name) {
                out.push(name, Value::Null);
            }
        }
        if let Some(scope) = ctx.event_scope() {
            let names: Vec<Value> = scope.from_root().map(|s| s.name().into()).collect();
            out.push("spans", Value::Array(names));
        }
        w.write_char('{')?;
        for (i, (k, v)) in out.0.iter().enumerate() {
            if i > 0 {
                w.write_char(',')?;
            }
            let k = serde_json::to_string(k).map_err(|_| fmt::Error)?;
            let v = serde_json::to_string(v).map_err(|_| fmt::Error)?;
            write!(w, "{k}:{v}")?;
        }
        writeln!(w, "}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    #[test]
    fn json_lines_are_flat_typed_and_once() {
        let buf = Buf::default();
        let sub = tracing_subscriber::fmt()
            .with_writer(buf.clone())
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(sub, || {
            let none: Option<u32> = None;
            tracing::info!(
                price = none,
                volume = 7u64,
                ok = true,
                level = "x",
                "done {}",
                1
            );
            tracing::warn!(message = "field", "event");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let v: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["message"], "done 1");
        assert_eq!(v["price"], Value::Null);
        assert_eq!(v["volume"], 7);
        assert_eq!(v["ok"], true);
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["field.level"], "x");
        assert_eq!(lines[1].matches("\"message\"").count(), 1, "{}", lines[1]);
    }
}
