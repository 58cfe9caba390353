// A handler callback capturing an Rc cannot be moved to another thread,
// not even before the handler is built.
use std::rc::Rc;

fn main() {
    let local = looper::Looper::prepare().unwrap();
    let rc = Rc::new(1);
    let builder = looper_handler::Handler::builder(&local).handle_message(move |_| drop(rc.clone()));
    std::thread::spawn(move || builder.build());
}
