// The receiving side of a channel is set up on the looper thread only.
fn main() {
    let local = looper::Looper::prepare().unwrap();
    let builder = looper_handler::channel::<u8>(&local);
    std::thread::spawn(move || builder.attach(|_| ()));
}
