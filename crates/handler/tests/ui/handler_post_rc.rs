// A posted closure crosses threads: it cannot capture an Rc (D1, X3).
use looper_handler::Handler;
use std::rc::Rc;

fn main() {
    let local = looper::Looper::prepare().unwrap();
    let handler = Handler::new(&local.looper());
    let rc = Rc::new(1);
    handler.post(move || drop(rc)).unwrap();
}
