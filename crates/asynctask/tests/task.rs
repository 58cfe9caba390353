//! AsyncTask behaviour by SEMANTICS.md id (A*, D1, D2, C12, P1, P9).
//!
//! Tests marked "CTS port" re-express behaviours of Android's CTS
//! `AsyncTaskTest` (MIPS/cts tests/tests/os/src/android/os/cts/
//! AsyncTaskTest.java): `testCancelWithInterrupt`, `testCancelTooLate`,
//! `testOnProgressUpdate`-style ordering and `testException`. Changes: no
//! polling or sleeps (channels and gates instead), Rust error values instead
//! of exceptions, and failures reported as failed (D2) rather than cancelled.

mod common;

use common::{gate, Ui};
use looper_asynctask::{
    AsyncTask, CancellationToken, Context, ExecuteError, GetError, Status, TaskState, ThreadPool,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn pool() -> ThreadPool {
    ThreadPool::builder()
        .threads(2)
        .name("task-test")
        .build()
        .unwrap()
}

/// A task whose every UI step appends to `log`.
fn logged<P: Send + 'static, R: Send + Clone + std::fmt::Debug + 'static>(
    log: &Log,
    background: impl FnOnce(P, &Context<u32>) -> Result<R, looper_asynctask::BoxError> + Send + 'static,
) -> AsyncTask<P, u32, R> {
    let (a, b, c, d, e) = (
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
    );
    AsyncTask::builder(background)
        .on_pre_execute(move || a.borrow_mut().push("pre".into()))
        .on_progress_update(move |p| b.borrow_mut().push(format!("progress {p}")))
        .on_post_execute(move |r| c.borrow_mut().push(format!("post {r:?}")))
        .on_cancelled(move |r| d.borrow_mut().push(format!("cancelled {r:?}")))
        .on_failed(move |err| e.borrow_mut().push(format!("failed {err}")))
        .build()
}

fn finished<P, Pr, R: Send + Clone + 'static>(
    task: &AsyncTask<P, Pr, R>,
) -> impl FnMut() -> bool + '_
where
    P: Send + 'static,
    Pr: Send + 'static,
{
    move || task.status() == Status::Finished
}

#[test]
fn a1_status_pending_running_finished_set_after_the_final_callback() {
    let ui = Ui::new();
    let pool = pool();
    let seen_inside = Rc::new(RefCell::new(None));
    let task: Rc<RefCell<Option<looper_asynctask::TaskHandle<u32>>>> = Rc::new(RefCell::new(None));
    let (s, t) = (seen_inside.clone(), task.clone());
    let at = AsyncTask::builder(|(), _: &Context| Ok(1u32))
        .on_post_execute(move |_| *s.borrow_mut() = t.borrow().as_ref().map(|h| h.status()))
        .build();
    *task.borrow_mut() = Some(at.handle());
    assert_eq!(at.status(), Status::Pending);
    at.execute_on(&pool, ()).unwrap();
    assert_eq!(at.status(), Status::Running);
    ui.run_until("finish", finished(&at));
    assert_eq!(
        *seen_inside.borrow(),
        Some(Status::Running),
        "inside on_post_execute the status is still Running"
    );
    assert_eq!(at.status(), Status::Finished);
}

#[test]
fn a2_executing_twice_is_an_error_with_androids_message() {
    let ui = Ui::new();
    let pool = pool();
    let (open, wait) = gate();
    let task = AsyncTask::builder(move |(), _: &Context| {
        wait.recv().unwrap();
        Ok(())
    })
    .build();
    task.execute_on(&pool, ()).unwrap();
    let running = task.execute_on(&pool, ()).unwrap_err();
    assert!(matches!(running, ExecuteError::AlreadyRunning));
    assert_eq!(
        running.to_string(),
        "Cannot execute task: the task is already running."
    );
    open.send(()).unwrap();
    ui.run_until("finish", finished(&task));
    let done = task.execute_on(&pool, ()).unwrap_err();
    assert_eq!(
        done.to_string(),
        "Cannot execute task: the task has already been executed (a task can be executed only once)"
    );
}

#[test]
fn a3_pre_execute_runs_inside_execute_before_the_background_step() {
    let _ui = Ui::new();
    let pool = pool();
    let pre_ran = Arc::new(AtomicBool::new(false));
    let (p1, p2) = (pre_ran.clone(), pre_ran.clone());
    let log = log();
    let l = log.clone();
    let task = AsyncTask::builder(move |(), _: &Context| Ok(p2.load(Ordering::SeqCst)))
        .on_pre_execute(move || {
            p1.store(true, Ordering::SeqCst);
            l.borrow_mut().push("pre".into());
        })
        .build();
    task.execute_on(&pool, ()).unwrap();
    assert_eq!(
        *log.borrow(),
        ["pre"],
        "on_pre_execute ran synchronously inside execute"
    );
    assert!(
        task.get().unwrap(),
        "the background step saw on_pre_execute's effect"
    );
}

#[test]
fn a3_execute_off_a_looper_thread_is_an_error() {
    let err = std::thread::spawn(|| {
        let task = AsyncTask::builder(|(), _: &Context| Ok(())).build();
        task.execute(()).unwrap_err().to_string()
    })
    .join()
    .unwrap();
    assert!(err.contains("no looper"), "got: {err}");
}

#[test]
fn a3_execute_uses_the_serial_default_executor() {
    let ui = Ui::new();
    let task =
        AsyncTask::builder(|(), _: &Context| Ok(std::thread::current().name().map(String::from)))
            .build();
    task.execute(()).unwrap();
    ui.run_until("finish", finished(&task));
    assert_eq!(task.get().unwrap().as_deref(), Some("AsyncTask serial #1"));
}

#[test]
fn a5_ui_callbacks_run_on_the_looper_thread() {
    let ui = Ui::new();
    let pool = pool();
    let threads = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (threads.clone(), threads.clone());
    let task = AsyncTask::builder(|(), ctx: &Context<u8>| {
        ctx.publish_progress(1);
        Ok(std::thread::current().id())
    })
    .on_progress_update(move |_| a.borrow_mut().push(std::thread::current().id()))
    .on_post_execute(move |_| b.borrow_mut().push(std::thread::current().id()))
    .build();
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    let me = std::thread::current().id();
    assert_eq!(
        *threads.borrow(),
        [me, me],
        "progress and post ran on the looper thread"
    );
    assert_ne!(task.get().unwrap(), me, "the background step ran elsewhere");
}

/// CTS port: progress updates arrive in order, all before the result.
#[test]
fn a6_progress_arrives_in_order_before_the_result() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let task = logged(&log, |n: u32, ctx| {
        for i in 0..n {
            ctx.publish_progress(i);
        }
        Ok(n)
    });
    task.execute_on(&pool, 5).unwrap();
    ui.run_until("finish", finished(&task));
    let expected: Vec<String> = ["pre"]
        .into_iter()
        .map(String::from)
        .chain((0..5).map(|i| format!("progress {i}")))
        .chain(["post 5".to_string()])
        .collect();
    assert_eq!(*log.borrow(), expected);
}

#[test]
fn a6_progress_after_cancel_is_dropped_progress_before_is_delivered() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let (published_tx, published_rx) = gate();
    let (go_tx, go_rx) = gate();
    let task = logged(&log, move |(), ctx| {
        assert!(ctx.publish_progress(1));
        published_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        assert!(
            !ctx.publish_progress(2),
            "publish after cancel must report false"
        );
        Ok(9u8)
    });
    task.execute_on(&pool, ()).unwrap();
    published_rx.recv().unwrap();
    assert!(task.cancel(false));
    go_tx.send(()).unwrap();
    ui.run_until("finish", finished(&task));
    assert_eq!(*log.borrow(), ["pre", "progress 1", "cancelled Some(9)"]);
}

#[test]
fn a7_finish_runs_post_execute_when_not_cancelled() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let task = logged(&log, |(), _| Ok("r"));
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    assert_eq!(*log.borrow(), ["pre", "post \"r\""]);
    assert!(!task.is_cancelled());
}

/// CTS port (testCancelTooLate): cancel after the background step returned
/// but before the result was delivered.
#[test]
fn a8_cancel_too_late_returns_false_but_on_cancelled_replaces_post() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let task = logged(&log, |(), _| Ok(3));
    task.execute_on(&pool, ()).unwrap();
    assert_eq!(task.get().unwrap(), 3, "background step done");
    assert!(!task.cancel(false), "too late: cancel returns false");
    assert!(task.is_cancelled(), "but the task is marked cancelled (A8)");
    ui.run_until("finish", finished(&task));
    assert_eq!(
        *log.borrow(),
        ["pre", "cancelled Some(3)"],
        "on_post_execute never runs"
    );
    assert!(!task.cancel(true), "after Finished: false");
    assert_eq!(task.get().unwrap(), 3, "get still has the value");
}

#[test]
fn a9_cancel_while_queued_never_runs_and_on_cancelled_arrives_later() {
    let ui = Ui::new();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let (open, wait) = gate();
    let blocker = AsyncTask::builder(move |(), _: &Context| {
        wait.recv().unwrap();
        Ok(())
    })
    .build();
    blocker.execute_on(&pool, ()).unwrap();
    let log = log();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let queued = logged(&log, move |(), _| {
        r.store(true, Ordering::SeqCst);
        Ok(())
    });
    queued.execute_on(&pool, ()).unwrap();
    assert!(queued.cancel(false), "cancelling a queued task succeeds");
    assert_eq!(
        *log.borrow(),
        ["pre"],
        "on_cancelled never runs inside cancel"
    );
    assert!(matches!(queued.get(), Err(GetError::Cancelled)));
    open.send(()).unwrap();
    ui.run_until("both finish", || {
        blocker.status() == Status::Finished && queued.status() == Status::Finished
    });
    pool.shutdown();
    assert!(
        !ran.load(Ordering::SeqCst),
        "a task cancelled while queued never runs"
    );
    assert_eq!(*log.borrow(), ["pre", "cancelled None"]);
}

#[test]
fn a9_cancel_before_execute_runs_nothing_but_on_cancelled() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let task = logged(&log, |(), _| -> Result<(), _> { panic!("must never run") });
    assert!(task.cancel(true));
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    assert_eq!(*log.borrow(), ["cancelled None"]);
}

/// CTS port (testCancelWithInterrupt): `cancel(true)` interrupts a sleeping
/// background step; `get` reports cancelled at once; `on_cancelled` gets the
/// real result.
#[test]
fn a10_cancel_while_running_interrupts_and_delivers_the_result_to_on_cancelled() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let (started_tx, started_rx) = gate();
    let (resume_tx, resume_rx) = gate();
    let task = logged(&log, move |(), ctx| {
        started_tx.send(()).unwrap();
        let interrupted = ctx.sleep(Duration::from_secs(3600)).is_err();
        resume_rx.recv().unwrap();
        Ok(interrupted)
    });
    task.execute_on(&pool, ()).unwrap();
    started_rx.recv().unwrap();
    assert!(task.cancel(true));
    assert!(
        matches!(task.get(), Err(GetError::Cancelled)),
        "get reports cancelled while the step still runs"
    );
    assert_eq!(task.state(), TaskState::Cancelled);
    resume_tx.send(()).unwrap();
    ui.run_until("finish", finished(&task));
    assert_eq!(
        *log.borrow(),
        ["pre", "cancelled Some(true)"],
        "the sleep was interrupted"
    );
}

#[test]
fn a10_cancel_without_interrupt_lets_waits_continue() {
    let ui = Ui::new();
    let pool = pool();
    let (started_tx, started_rx) = gate();
    let (cancelled_tx, cancelled_rx) = gate();
    let task = AsyncTask::builder(move |(), ctx: &Context| {
        started_tx.send(()).unwrap();
        cancelled_rx.recv().unwrap();
        let flags = (
            ctx.is_cancelled(),
            ctx.is_interrupted(),
            ctx.sleep(Duration::from_millis(1)).is_ok(),
        );
        assert_eq!(
            flags,
            (true, false, true),
            "cancel(false) requests but does not interrupt"
        );
        Ok(())
    })
    .on_failed(|e| panic!("{e}"))
    .build();
    task.execute_on(&pool, ()).unwrap();
    started_rx.recv().unwrap();
    assert!(task.cancel(false));
    cancelled_tx.send(()).unwrap();
    ui.run_until("finish", finished(&task));
    assert!(matches!(task.get(), Err(GetError::Cancelled)));
}

/// CTS port (testException), adapted by D2: failure is its own outcome.
#[test]
fn a11_d2_a_panic_is_a_failure_not_a_cancellation() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let task = logged(&log, |(), _| -> Result<u8, _> { panic!("disk on fire") });
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    let err = match task.get() {
        Err(GetError::Failed(e)) => e,
        other => panic!("expected a failure, got {other:?}"),
    };
    assert_eq!(err.panic_message(), Some("disk on fire"));
    assert!(err
        .to_string()
        .starts_with("An error occurred while executing doInBackground()"));
    assert_eq!(log.borrow().len(), 2);
    assert!(
        log.borrow()[1].starts_with("failed "),
        "on_failed ran: {:?}",
        log.borrow()
    );
    assert!(!task.is_cancelled(), "a failure is not a cancellation");
    assert_eq!(task.state(), TaskState::Failed);
}

#[test]
fn d2_an_error_is_a_failure_that_keeps_its_type() {
    let ui = Ui::new();
    let pool = pool();
    let task = AsyncTask::builder(|(), _: &Context| -> Result<(), _> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ))?
    })
    .on_failed(|_| ())
    .build();
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    let Err(GetError::Failed(err)) = task.get() else {
        panic!("expected a failure")
    };
    assert_eq!(
        err.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );
}

#[test]
fn d2_unhandled_failure_still_finishes_the_task() {
    let ui = Ui::new();
    let pool = pool();
    let task =
        AsyncTask::builder(|(), _: &Context| -> Result<(), _> { Err("boom".into()) }).build();
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    assert!(
        matches!(task.get(), Err(GetError::Failed(_))),
        "reported through get"
    );
}

#[test]
fn a12_get_returns_before_on_post_execute_and_get_timeout_times_out() {
    let ui = Ui::new();
    let pool = pool();
    let (open, wait) = gate();
    let log = log();
    let task = logged(&log, move |(), _| {
        wait.recv().unwrap();
        Ok(1)
    });
    task.execute_on(&pool, ()).unwrap();
    assert!(matches!(
        task.get_timeout(Duration::ZERO),
        Err(GetError::Timeout)
    ));
    assert!(matches!(
        task.get_timeout(Duration::from_millis(5)),
        Err(GetError::Timeout)
    ));
    assert!(task.try_result().is_none());
    open.send(()).unwrap();
    assert_eq!(task.get().unwrap(), 1);
    assert_eq!(
        task.status(),
        Status::Running,
        "get returns before on_post_execute"
    );
    assert_eq!(*log.borrow(), ["pre"]);
    ui.run_until("finish", finished(&task));
    assert_eq!(*log.borrow(), ["pre", "post 1"]);
}

#[test]
fn a12_result_can_be_awaited() {
    let ui = Ui::new();
    let pool = pool();
    let task = AsyncTask::builder(|x: u64, _: &Context| Ok(x * 2)).build();
    let fut = task.result_async();
    task.execute_on(&pool, 21).unwrap();
    let waiter = std::thread::spawn(move || pollster::block_on(fut));
    assert_eq!(waiter.join().unwrap().unwrap(), 42);
    ui.run_until("finish", finished(&task));
}

#[test]
fn a16_effects_are_visible_across_the_steps() {
    let ui = Ui::new();
    let pool = pool();
    let shared = Arc::new(std::sync::Mutex::new(vec!["before execute"]));
    let (s1, s2) = (shared.clone(), shared.clone());
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (v1, v2) = (seen.clone(), seen.clone());
    let task = AsyncTask::builder(move |(), ctx: &Context<usize>| {
        s1.lock().unwrap().push("background");
        ctx.publish_progress(s1.lock().unwrap().len());
        Ok(s1.lock().unwrap().len())
    })
    .on_progress_update(move |n| v1.borrow_mut().push(n))
    .on_post_execute(move |n| v2.borrow_mut().push(n + s2.lock().unwrap().len()))
    .build();
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    assert_eq!(*seen.borrow(), [2, 4]);
}

#[test]
fn c12_acknowledged_cancellation_ends_cancelled_not_failed() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let (started_tx, started_rx) = gate();
    let task = logged(&log, move |(), ctx| {
        started_tx.send(()).unwrap();
        ctx.token().wait();
        ctx.check_cancelled()?;
        Ok(())
    });
    task.execute_on(&pool, ()).unwrap();
    started_rx.recv().unwrap();
    task.cancel(false);
    ui.run_until("finish", finished(&task));
    assert_eq!(*log.borrow(), ["pre", "cancelled None"]);
    assert_eq!(task.state(), TaskState::Cancelled);
}

#[test]
fn c12_p16_another_tokens_cancellation_is_a_failure() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let task = logged(&log, |(), _| {
        let other = CancellationToken::new();
        other.cancel().unwrap();
        other.check()?;
        Ok(())
    });
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    assert!(
        log.borrow()[1].starts_with("failed "),
        "got {:?}",
        log.borrow()
    );
    assert_eq!(task.state(), TaskState::Failed);
}

#[test]
fn c12_interrupted_wait_with_question_mark_ends_cancelled() {
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let (started_tx, started_rx) = gate();
    let task = logged(&log, move |(), ctx| {
        started_tx.send(()).unwrap();
        ctx.sleep(Duration::from_secs(3600))?;
        Ok(())
    });
    task.execute_on(&pool, ()).unwrap();
    started_rx.recv().unwrap();
    task.cancel(true);
    ui.run_until("finish", finished(&task));
    assert_eq!(*log.borrow(), ["pre", "cancelled None"]);
}

#[test]
fn cancel_with_links_an_external_token() {
    let ui = Ui::new();
    let pool = pool();
    let token = CancellationToken::new();
    let (started_tx, started_rx) = gate();
    let task = AsyncTask::builder(move |(), ctx: &Context| {
        started_tx.send(()).unwrap();
        ctx.sleep(Duration::from_secs(3600))?;
        Ok(())
    })
    .cancel_with(&token)
    .build();
    task.execute_on(&pool, ()).unwrap();
    started_rx.recv().unwrap();
    token.cancel().unwrap();
    ui.run_until("finish", finished(&task));
    assert!(task.is_cancelled());
    assert_eq!(task.state(), TaskState::Cancelled);
}

#[test]
fn trait_form_runs_the_same_steps() {
    use looper_asynctask::{BoxError, TaskSteps};
    struct Count {
        log: Log,
    }
    impl TaskSteps for Count {
        type Params = u32;
        type Progress = u32;
        type Result = u32;
        fn do_in_background(n: u32, ctx: &Context<u32>) -> Result<u32, BoxError> {
            (0..n).for_each(|i| {
                ctx.publish_progress(i);
            });
            Ok(n)
        }
        fn on_pre_execute(&mut self) {
            self.log.borrow_mut().push("pre".into());
        }
        fn on_progress_update(&mut self, p: u32) {
            self.log.borrow_mut().push(format!("progress {p}"));
        }
        fn on_post_execute(&mut self, r: u32) {
            self.log.borrow_mut().push(format!("post {r}"));
        }
    }
    let ui = Ui::new();
    let pool = pool();
    let log = log();
    let task = AsyncTask::from_steps(Count { log: log.clone() });
    task.execute_on(&pool, 2).unwrap();
    ui.run_until("finish", finished(&task));
    assert_eq!(*log.borrow(), ["pre", "progress 0", "progress 1", "post 2"]);
}

#[test]
fn f7_debug_shows_the_state() {
    let ui = Ui::new();
    let pool = pool();
    let task = AsyncTask::builder(|(), _: &Context| Ok(1)).build();
    assert!(format!("{task:?}").contains("Not completed"));
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", finished(&task));
    let shown = format!("{task:?}");
    assert!(
        shown.contains("Completed normally") && shown.contains("Finished"),
        "{shown}"
    );
}

/// The same stages driven by hand: no threads, every interleaving fixed.
#[cfg(feature = "test-util")]
mod manual {
    use super::*;
    use looper_asynctask::executor::ManualExecutor;

    #[test]
    fn a9_queued_then_cancelled_never_runs_manual() {
        let ui = Ui::new();
        let exec = ManualExecutor::new();
        let log = log();
        let task = logged(&log, |(), _| -> Result<(), _> { panic!("must never run") });
        task.execute_on(&exec, ()).unwrap();
        assert!(task.cancel(true));
        assert_eq!(
            exec.run_all(),
            1,
            "the cancelled item is dequeued but does nothing"
        );
        ui.drain();
        assert_eq!(*log.borrow(), ["pre", "cancelled None"]);
        assert_eq!(task.status(), Status::Finished);
    }

    #[test]
    fn a8_done_but_undelivered_then_cancelled_manual() {
        let ui = Ui::new();
        let exec = ManualExecutor::new();
        let log = log();
        let task = logged(&log, |(), ctx| {
            ctx.publish_progress(1);
            Ok(2)
        });
        task.execute_on(&exec, ()).unwrap();
        exec.run_all();
        assert!(!task.cancel(false), "the step already returned");
        ui.drain();
        assert_eq!(*log.borrow(), ["pre", "progress 1", "cancelled Some(2)"]);
    }
}

/// D2 / ARCHITECTURE rule 4: an unhandled failure is logged at error level
/// on the looper thread.
#[test]
fn d2_unhandled_failure_is_logged_as_an_error() {
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let ui = Ui::new();
        let pool = pool();
        let task =
            AsyncTask::builder(|(), _: &Context| -> Result<(), _> { Err("nobody listens".into()) })
                .build();
        task.execute_on(&pool, ()).unwrap();
        ui.run_until("finish", finished(&task));
    });
    let out = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.contains("ERROR")
            && out.contains("unhandled task failure")
            && out.contains("nobody listens"),
        "the failure was not reported: {out:?}"
    );
}
