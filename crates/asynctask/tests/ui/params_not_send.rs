// Params travel to the worker thread, so they must be `Send`.
use looper_asynctask::{AsyncTask, Context};
use std::rc::Rc;

fn main() {
    let _task = AsyncTask::builder(|p: Rc<u32>, _: &Context| Ok(*p)).build();
}
