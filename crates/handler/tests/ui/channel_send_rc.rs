// Channel values cross threads: an Rc payload is refused.
use std::rc::Rc;

fn main() {
    let local = looper::Looper::prepare().unwrap();
    let tx = looper_handler::channel::<Rc<u8>>(&local).attach(|_| ());
    tx.send(Rc::new(1)).unwrap();
}
