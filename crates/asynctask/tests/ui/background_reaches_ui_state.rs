// UI callbacks may capture `!Send` state; the background step may not reach
// the same state.
use looper_asynctask::{AsyncTask, Context};
use std::cell::RefCell;
use std::rc::Rc;

fn main() {
    let label = Rc::new(RefCell::new(String::new()));
    let for_ui = label.clone();
    let _task = AsyncTask::builder(move |(), _: &Context| {
        label.borrow_mut().push_str("from a worker thread");
        Ok(())
    })
    .on_post_execute(move |()| for_ui.borrow_mut().push_str("fine on the UI thread"))
    .build();
}
