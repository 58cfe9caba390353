// run_sync's value crosses back to the caller: it must be Send.
use std::rc::Rc;

fn main() {
    let local = looper::Looper::prepare().unwrap();
    let handler = looper_handler::Handler::new(&local.looper());
    let _ = handler.run_sync(|| Rc::new(1), None);
}
