//! Opt-in busy polling of a tunnel's sockets (`busy_poll_us`, default off). After a small
//! message crosses a tunnel, both of its directions poll their sockets for that long
//! (a non-blocking `recv`, yielding to other tasks between tries) before they go back to
//! sleep in epoll. Why: on a VM, a vCPU that went idle costs tens of µs to wake (the
//! hypervisor delivers the wake-up), and an echo through a relay pays two such wake-ups more
//! than direct TCP; a worker that is still polling when the answer comes pays none. The price
//! is CPU: a worker spins while a window is open, at most `busy_poll_us` after each small
//! message. Bulk transfers never poll (they go through `splice`).

use std::io::{self, Read};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The window this machine gets: none on a single CPU, where the spinning worker would hold
/// the very CPU that the answer has to be computed on (logged as `BUSY_POLL_OFF`).
pub fn window_here(configured: Duration) -> Duration {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if configured.is_zero() || cpus > 1 {
        return configured;
    }
    tracing::warn!(event = "BUSY_POLL_OFF", cpus, "busy_poll_us needs a second CPU; polling is off");
    Duration::ZERO
}

/// One tunnel's polling window, shared by its two directions.
pub struct BusyPoll {
    window_ns: u64,
    /// When a small message last crossed the tunnel (ns on [`clock`]; 0: never).
    last_ns: AtomicU64,
}

impl BusyPoll {
    pub fn new(window: Duration) -> Self {
        BusyPoll { window_ns: window.as_nanos() as u64, last_ns: AtomicU64::new(0) }
    }

    /// A small message just crossed: the window opens again.
    pub fn touch(&self) {
        if self.window_ns > 0 {
            self.last_ns.store(clock(), Ordering::Relaxed);
        }
    }

    fn is_open(&self) -> bool {
        let last = self.last_ns.load(Ordering::Relaxed);
        last != 0 && clock() - last < self.window_ns
    }

    /// Waits until `tcp` has data, then reads at most `size` bytes of it into a fresh buffer
    /// (0 bytes: the end of the stream). While the window is open it polls the socket itself
    /// (past tokio's readiness, which only epoll updates) and has the task polled again after
    /// the runtime's other work; otherwise it waits for tokio's readiness holding no buffer,
    /// so an idle tunnel keeps none. The window is checked at each poll, so a wait that began
    /// before the other direction opened it turns into polling then.
    pub async fn read(&self, tcp: &TcpStream, size: usize) -> io::Result<(Vec<u8>, usize)> {
        let mut buf: Option<Vec<u8>> = None;
        std::future::poll_fn(|cx| {
            loop {
                if self.is_open() {
                    let b = buf.get_or_insert_with(|| vec![0u8; size]);
                    match (&*socket2::SockRef::from(tcp)).read(b) {
                        Ok(n) => return Poll::Ready(Ok((buf.take().unwrap_or_default(), n))),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            // As `yield_now`: polled again after the runtime's other ready
                            // tasks and its I/O driver, so a spinning tunnel starves nothing.
                            let _ = std::pin::pin!(tokio::task::yield_now()).poll(cx);
                            return Poll::Pending;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                buf = None;
                std::task::ready!(tcp.poll_read_ready(cx))?;
                let mut b = vec![0u8; size];
                match tcp.try_read(&mut b) {
                    // Stale readiness (polling took the bytes): tokio cleared it; wait again.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    read => return Poll::Ready(read.map(|n| (b, n))),
                }
            }
        })
        .await
    }
}

/// Monotonic ns, never 0 (so 0 can mean "never").
fn clock() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::{Context, Wake, Waker};

    /// (the writing end, blocking std; the reading end, registered with tokio).
    async fn pair() -> (std::net::TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tx = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (tx, listener.accept().await.unwrap().0)
    }

    /// A waker that counts its wakes: a read that wakes itself is spinning.
    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn counting() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    // The tests poll `read` by hand inside a current-thread runtime: between two polls with
    // no `.await`, tokio's driver does not run, so tokio cannot know that bytes arrived;
    // only a read that polls the socket itself can see them.

    #[tokio::test]
    async fn with_no_window_open_it_waits_for_readiness_and_never_spins() {
        for busy in [BusyPoll::new(Duration::ZERO), BusyPoll::new(Duration::from_millis(1))] {
            busy.touch();
            std::thread::sleep(Duration::from_millis(2)); // any window has closed
            let (mut tx, rx) = pair().await;
            let (wakes, waker) = counting();
            let mut read = std::pin::pin!(busy.read(&rx, 64));
            assert!(read.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
            tokio::task::yield_now().await; // runs wakes the runtime deferred
            assert_eq!(wakes.0.load(Ordering::Relaxed), 0, "nothing came, yet it woke itself: it spins");
            tx.write_all(b"late").unwrap();
            assert!(
                read.as_mut().poll(&mut Context::from_waker(&waker)).is_pending(),
                "it polled the socket"
            );
            let (buf, n) = read.await.unwrap();
            assert_eq!(&buf[..n], b"late", "tokio's readiness delivered it");
        }
    }

    #[tokio::test]
    async fn a_wait_that_began_closed_reads_by_polling_once_the_window_opens() {
        let (mut tx, rx) = pair().await;
        let busy = BusyPoll::new(Duration::from_secs(60));
        let (wakes, waker) = counting();
        let mut read = std::pin::pin!(busy.read(&rx, 64));
        assert!(read.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        busy.touch(); // the other direction forwarded a small message
        assert!(read.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        tokio::task::yield_now().await; // runs wakes the runtime deferred
        assert_eq!(wakes.0.load(Ordering::Relaxed), 1, "open and nothing there: polled again soon");
        tx.write_all(b"reply").unwrap();
        match read.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(Ok((buf, n))) => assert_eq!(&buf[..n], b"reply"),
            other => panic!("the bytes were in the socket, the read gave {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_window_that_closes_turns_polling_back_into_waiting() {
        let (mut tx, rx) = pair().await;
        let busy = BusyPoll::new(Duration::from_millis(1));
        busy.touch();
        let (wakes, waker) = counting();
        let mut read = std::pin::pin!(busy.read(&rx, 64));
        assert!(read.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        tokio::task::yield_now().await; // runs wakes the runtime deferred
        assert_eq!(wakes.0.load(Ordering::Relaxed), 1, "within the window it polls");
        std::thread::sleep(Duration::from_millis(2));
        assert!(read.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        tokio::task::yield_now().await;
        assert_eq!(wakes.0.load(Ordering::Relaxed), 1, "after the window it still spins");
        tx.write_all(b"x").unwrap();
        drop(tx);
        let (buf, n) = read.await.unwrap();
        assert_eq!(&buf[..n], b"x");
        busy.touch();
        assert_eq!(busy.read(&rx, 64).await.unwrap().1, 0, "the end of the stream, by polling");
    }
}
