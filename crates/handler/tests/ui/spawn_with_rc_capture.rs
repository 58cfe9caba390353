// The prepare callback runs on the new thread: it cannot capture an Rc from here.
use std::rc::Rc;

fn main() {
    let rc = Rc::new(1);
    let _ = looper_handler::HandlerThread::builder("x").spawn_with(move |_| drop(rc));
}
