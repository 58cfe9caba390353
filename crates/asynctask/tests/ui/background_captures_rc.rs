// A background step capturing an `Rc` is rejected: it would cross threads.
use looper_asynctask::{AsyncTask, Context};
use std::rc::Rc;

fn main() {
    let counter = Rc::new(5);
    let _task = AsyncTask::builder(move |(), _: &Context| Ok(*counter + 1)).build();
}
