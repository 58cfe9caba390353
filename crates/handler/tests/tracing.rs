//! Every dispatch through a handler runs in a `handler.dispatch` span whose
//! `handler` field names the handler (issue 3).

use looper::Looper;
use looper_handler::Handler;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Debug, Default, Clone, PartialEq)]
struct Seen {
    span: &'static str,
    handler: Option<u64>,
    handler_name: Option<String>,
}

impl Visit for Seen {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "handler" {
            self.handler = Some(value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "handler_name" {
            self.handler_name = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

struct Capture(Arc<Mutex<Vec<Seen>>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut seen = Seen {
            span: attrs.metadata().name(),
            ..Seen::default()
        };
        attrs.record(&mut seen);
        if seen.span == "handler.dispatch" {
            self.0.lock().unwrap().push(seen);
        }
    }
}

#[test]
fn every_handler_dispatch_span_names_its_handler() {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(spans.clone()));
    tracing::subscriber::with_default(subscriber, || {
        let local = Looper::prepare().unwrap();
        let named = Handler::builder(&local)
            .name("ui")
            .handle_message(|_| ())
            .build();
        let bare = Handler::new(&local.looper());
        named.send_empty_message(1).unwrap();
        named.post(|| ()).unwrap();
        bare.post(|| ()).unwrap();
        local.dispatch_pending();
        let expected = [
            (Some(named.id()), Some("ui".to_string())), // message: id and name
            (Some(named.id()), None),                   // closure: id
            (Some(bare.id()), None),
        ];
        let got: Vec<_> = spans
            .lock()
            .unwrap()
            .iter()
            .map(|s| (s.handler, s.handler_name.clone()))
            .collect();
        assert_eq!(
            got, expected,
            "one span per dispatch, each naming its handler"
        );
    });
}
