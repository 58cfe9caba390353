//! A "search screen" on a simulated UI thread, across the three crates: a
//! `Handler` debounces typing with delayed messages, a typed channel brings
//! network status from another thread, and an `AsyncTask` runs the search.
//! Everything is driven by the test on a manual clock (issue 5, X4): no
//! sleeps, no real time, and every interleaving is chosen by the test.

use looper::{Clock, LocalLooper, LooperBuilder, ManualClock};
use looper_asynctask::executor::ManualExecutor;
use looper_asynctask::testing::wait_for_idle;
use looper_asynctask::{AsyncTask, Context, Executor, TaskHandle, ThreadPool};
use looper_handler::{channel, Handler, Sender};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SEARCH: i32 = 1;
const DEBOUNCE: Duration = Duration::from_millis(300);
const STUCK: Duration = Duration::from_secs(20);

/// What the screen shows, and when each line appeared (virtual time).
#[derive(Default)]
struct View {
    query: String,
    banner: String,
    lines: Vec<(Duration, String)>,
    running: Option<TaskHandle<Vec<String>>>,
}

struct Screen {
    view: Rc<RefCell<View>>,
    handler: Handler,
    network: Sender<bool>,
}

impl Screen {
    /// Builds the screen on the UI thread; searches run on `exec`.
    fn open(local: &LocalLooper, exec: Arc<dyn Executor>) -> Screen {
        let start = local.looper().now();
        let view = Rc::new(RefCell::new(View::default()));
        let looper = local.looper();
        let stamp = move || looper.now() - start;

        let v = view.clone();
        let at = stamp.clone();
        let handler = Handler::builder(local)
            .handle_message(move |msg| {
                if msg.what != SEARCH {
                    return;
                }
                let query = v.borrow().query.clone();
                if let Some(old) = v.borrow_mut().running.take() {
                    old.cancel(true);
                }
                v.borrow_mut()
                    .lines
                    .push((at(), format!("searching {query:?}")));
                let (progress, done) = (v.clone(), v.clone());
                let (at_p, at_d) = (at.clone(), at.clone());
                let task = AsyncTask::builder(|q: String, ctx: &Context<usize>| {
                    let hits: Vec<String> = ["rust", "rusty", "trust"]
                        .iter()
                        .filter(|w| w.contains(q.as_str()))
                        .map(|w| w.to_string())
                        .collect();
                    for i in 1..=hits.len() {
                        ctx.publish_progress(i);
                    }
                    Ok(hits)
                })
                .on_progress_update(move |n| {
                    progress
                        .borrow_mut()
                        .lines
                        .push((at_p(), format!("{n} found")));
                })
                .on_post_execute(move |hits| {
                    done.borrow_mut().lines.push((at_d(), hits.join(",")));
                })
                .build();
                task.execute_on(&*exec, query).unwrap();
                v.borrow_mut().running = Some(task.handle());
            })
            .build();

        let v = view.clone();
        let network = channel::<bool>(local).attach(move |online| {
            v.borrow_mut().banner = if online {
                String::new()
            } else {
                "offline".into()
            };
        });
        Screen {
            view,
            handler,
            network,
        }
    }

    /// A key press: restart the debounce.
    fn type_text(&self, text: &str) {
        self.view.borrow_mut().query = text.to_string();
        self.handler.remove_messages(SEARCH);
        self.handler
            .send_message_delayed(self.handler.obtain_message(SEARCH), DEBOUNCE)
            .unwrap();
    }

    fn lines(&self) -> Vec<(u64, String)> {
        let view = self.view.borrow();
        view.lines
            .iter()
            .map(|(t, s)| (t.as_millis() as u64, s.clone()))
            .collect()
    }
}

fn ui_thread() -> (LocalLooper, ManualClock, Instant) {
    let clock = ManualClock::new();
    let start = clock.now();
    let local = LooperBuilder::new()
        .clock(clock.clone())
        .name("ui")
        .prepare()
        .expect("one looper per test thread");
    (local, clock, start)
}

#[test]
fn screen_debounces_typing_and_steps_its_search_deterministically() {
    let (local, clock, start) = ui_thread();
    let exec = Arc::new(ManualExecutor::new());
    let screen = Screen::open(&local, exec.clone());

    screen.type_text("r");
    assert_eq!(local.advance_by(Duration::from_millis(100)), Ok(0));
    screen.type_text("ru");
    assert_eq!(local.advance_by(Duration::from_millis(150)), Ok(0));
    screen.type_text("rus");
    assert_eq!(
        local.next_scheduled_time(),
        Some(start + Duration::from_millis(550)),
        "each key press restarts the 300 ms debounce"
    );

    // Another thread reports the network state through the typed channel.
    let tx = screen.network.clone();
    std::thread::spawn(move || tx.send(false).unwrap())
        .join()
        .unwrap();
    assert_eq!(local.run_due(), Ok(1), "the channel value is due at once");
    assert_eq!(screen.view.borrow().banner, "offline");

    assert_eq!(
        local.advance_to_next(),
        Ok(Some(start + Duration::from_millis(550)))
    );
    assert_eq!(screen.lines(), [(550, "searching \"rus\"".to_string())]);
    assert_eq!(exec.pending(), 1, "the search waits for the test to run it");

    clock.advance(Duration::from_millis(40)); // the search "takes" 40 ms
    assert!(exec.run_next(), "the background step ran");
    assert_eq!(
        local.pending_count(),
        4,
        "three progress updates and the result"
    );
    assert!(local.run_one());
    assert_eq!(screen.lines().last().unwrap().1, "1 found");
    assert_eq!(local.run_due(), Ok(3));
    assert_eq!(
        screen.lines(),
        [
            (550, "searching \"rus\"".to_string()),
            (590, "1 found".to_string()),
            (590, "2 found".to_string()),
            (590, "3 found".to_string()),
            (590, "rust,rusty,trust".to_string()),
        ],
        "one search, its progress and its result, at their virtual times"
    );
    assert_eq!(local.run_until_idle(), Ok(0), "nothing else is scheduled");
}

#[test]
fn screen_search_on_a_real_pool_is_awaited_by_idling() {
    let (local, _clock, _start) = ui_thread();
    let pool = Arc::new(
        ThreadPool::builder()
            .threads(2)
            .name("search")
            .build()
            .unwrap(),
    );
    let screen = Screen::open(&local, pool);

    screen.type_text("rusty");
    assert_eq!(local.advance_by(DEBOUNCE), Ok(1), "the debounce fired");
    // The search runs on a pool thread; idling waits for it and then runs
    // its progress and on_post_execute here, without moving virtual time.
    wait_for_idle(&local, STUCK).expect("the search completes");
    assert_eq!(
        screen.lines(),
        [
            (300, "searching \"rusty\"".to_string()),
            (300, "1 found".to_string()),
            (300, "rusty".to_string()),
        ],
        "the whole search ran inside wait_for_idle"
    );
}
