// The result travels from the worker thread to the UI, so it must be `Send`.
use looper_asynctask::{AsyncTask, Context};
use std::rc::Rc;

fn main() {
    let _task = AsyncTask::builder(|(), _: &Context| Ok(Rc::new(1))).build();
}
