// Progress travels from the worker thread to the UI, so it must be `Send`.
use looper_asynctask::{AsyncTask, Context};
use std::rc::Rc;

fn main() {
    let _task = AsyncTask::builder(|(), ctx: &Context<Rc<u32>>| {
        ctx.publish_progress(Rc::new(1));
        Ok(())
    })
    .build();
}
