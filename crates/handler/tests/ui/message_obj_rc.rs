// Message payloads cross threads: an Rc inside is refused.
use std::rc::Rc;
use std::sync::Arc;

fn main() {
    let _ = looper_handler::Message::new(1).obj(Arc::new(Rc::new(1)));
}
