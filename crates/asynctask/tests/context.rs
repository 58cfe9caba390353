//! The background step's context: interruptible waits (X1, PERFORMANCE
//! target 6), cancel hooks for blocking calls, C12 acknowledgement.

use looper_asynctask::{spawn, GetError, RecvError, RecvTimeoutError, ThreadPool};
use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

fn pool() -> ThreadPool {
    ThreadPool::builder()
        .threads(2)
        .name("ctx-test")
        .build()
        .unwrap()
}

#[test]
fn x1_interruptible_crossbeam_recv_returns_on_cancel_true() {
    let pool = pool();
    let (_keep, rx) = crossbeam_channel::unbounded::<u32>();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let task = spawn(&pool, move |ctx| {
        started_tx.send(()).unwrap();
        Ok(ctx.recv(&rx))
    })
    .unwrap();
    started_rx.recv().unwrap();
    task.cancel(true);
    let done = crossbeam_channel::bounded(1);
    let tx = done.0.clone();
    task.on_done(move || tx.send(()).unwrap());
    done.1.recv().unwrap();
    pool.shutdown();
    assert!(matches!(task.get(), Err(GetError::Cancelled)));
}

#[test]
fn x1_recv_delivers_values_and_reports_interrupt_as_an_error_value() {
    let pool = pool();
    let (tx, rx) = crossbeam_channel::unbounded::<u32>();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let (result_tx, result_rx) = crossbeam_channel::bounded(1);
    let task = spawn(&pool, move |ctx| {
        let first = ctx.recv(&rx);
        let timed_out = ctx.recv_timeout(&rx, Duration::from_millis(1));
        started_tx.send(()).unwrap();
        let interrupted = ctx.recv(&rx);
        let after = ctx.recv_timeout(&rx, Duration::from_secs(3600));
        result_tx
            .send((first, timed_out, interrupted, after))
            .unwrap();
        Ok(())
    })
    .unwrap();
    tx.send(7).unwrap();
    started_rx.recv().unwrap();
    task.cancel(true);
    let (first, timed_out, interrupted, after) = result_rx.recv().unwrap();
    assert_eq!(first, Ok(7));
    assert_eq!(timed_out, Err(RecvTimeoutError::Timeout));
    assert!(matches!(interrupted, Err(RecvError::Interrupted(_))));
    assert!(
        matches!(after, Err(RecvTimeoutError::Interrupted(_))),
        "later waits return at once"
    );
    pool.shutdown();
}

#[test]
fn x1_interruptible_flume_recv_returns_on_cancel_true() {
    let pool = pool();
    let (tx, rx) = flume::unbounded::<u32>();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let (result_tx, result_rx) = crossbeam_channel::bounded(1);
    let task = spawn(&pool, move |ctx| {
        let first = ctx.recv_flume(&rx);
        let timed_out = ctx.recv_flume_timeout(&rx, Duration::from_millis(1));
        started_tx.send(()).unwrap();
        let interrupted = ctx.recv_flume(&rx);
        result_tx.send((first, timed_out, interrupted)).unwrap();
        Ok(())
    })
    .unwrap();
    tx.send(1).unwrap();
    started_rx.recv().unwrap();
    task.cancel(true);
    let (first, timed_out, interrupted) = result_rx.recv().unwrap();
    assert_eq!(first, Ok(1));
    assert_eq!(timed_out, Err(RecvTimeoutError::Timeout));
    assert!(matches!(interrupted, Err(RecvError::Interrupted(_))));
    drop(tx);
    pool.shutdown();
}

#[test]
fn x1_disconnected_channel_is_not_an_interrupt() {
    let pool = pool();
    let (tx, rx) = crossbeam_channel::unbounded::<u32>();
    drop(tx);
    let task = spawn(&pool, move |ctx| Ok(ctx.recv(&rx))).unwrap();
    assert_eq!(task.get().unwrap(), Err(RecvError::Disconnected));
    pool.shutdown();
}

#[test]
fn x1_on_cancel_hook_stops_a_blocking_accept() {
    let pool = pool();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let task = spawn(&pool, move |ctx| {
        // accept() cannot be interrupted: a hook wakes it by connecting.
        ctx.on_cancel(move || {
            let _ = TcpStream::connect(addr);
        });
        started_tx.send(()).unwrap();
        let accepted = listener.accept();
        ctx.check_cancelled()?; // woken by our own hook: acknowledge
        let (mut stream, _) = accepted?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf)?;
        Ok(buf)
    })
    .unwrap();
    started_rx.recv().unwrap();
    assert!(task.cancel(true));
    let (tx, rx) = crossbeam_channel::bounded(1);
    task.on_done(move || tx.send(()).unwrap());
    rx.recv().unwrap();
    pool.shutdown(); // joins: the accepting thread was really released
    assert!(matches!(task.get(), Err(GetError::Cancelled)));
}

#[test]
fn x1_on_cancel_hook_shuts_down_a_blocking_read() {
    let pool = pool();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let task = spawn(&pool, move |ctx| {
        let closer = server.try_clone()?;
        ctx.on_cancel(move || {
            let _ = closer.shutdown(Shutdown::Both);
        });
        started_tx.send(()).unwrap();
        let mut buf = [0u8; 16];
        let n = (&server).read(&mut buf)?;
        Ok(n)
    })
    .unwrap();
    started_rx.recv().unwrap();
    task.cancel(true);
    pool.shutdown();
    drop(client);
    assert!(matches!(task.get(), Err(GetError::Cancelled)));
}

#[test]
fn on_cancel_after_interrupt_runs_at_once() {
    let pool = pool();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(1);
    let (ran_tx, ran_rx) = crossbeam_channel::bounded(1);
    let task = spawn(&pool, move |ctx| {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        let (tx, rx) = crossbeam_channel::bounded(1);
        ctx.on_cancel(move || tx.send(()).unwrap());
        ran_tx.send(rx.try_recv().is_ok()).unwrap();
        Ok(())
    })
    .unwrap();
    started_rx.recv().unwrap();
    task.cancel(true);
    go_tx.send(()).unwrap();
    assert!(
        ran_rx.recv().unwrap(),
        "a hook added after the interrupt runs inline (C3)"
    );
    pool.shutdown();
}
