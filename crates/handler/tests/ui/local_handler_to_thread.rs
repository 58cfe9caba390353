// A LocalHandler (it can post !Send closures) never leaves its thread.
fn main() {
    let local = looper::Looper::prepare().unwrap();
    let handler = looper_handler::LocalHandler::new(&local);
    std::thread::spawn(move || {
        handler.post_local(|| ()).unwrap();
    });
}
