// D4/P11: sending moves the message; it cannot be read or re-sent after.
fn main() {
    let local = looper::Looper::prepare().unwrap();
    let handler = looper_handler::Handler::new(&local.looper());
    let msg = handler.obtain_message(1);
    handler.send_message(msg).unwrap();
    handler.send_message(msg).unwrap();
}
