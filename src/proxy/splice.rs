//! Zero-copy forwarding between two plain TCP sockets (Linux): `splice(2)` from the source
//! socket into a pipe, then from the pipe into the destination socket, so the bytes never
//! enter user space. A user-space relay copies each byte twice more than direct TCP does
//! (four copies on loopback against two); this path adds none. (The second connection's own
//! kernel work remains, and on a small VM it costs about as much: see BENCHMARKS.md.)
//!
//! The pipe plays the part of `pipe::copy`'s buffer, and the metering is the same: the bytes
//! in the pipe leave it only in grants of the token bucket, asked for before each splice
//! out, and each splice out moves at most what is left of its grant; what actually moved is
//! counted. `pipe::copy` calls this only for bursts (small writes are cheaper copied). Pipes
//! come from a small process-wide pool and are held only while data flows:
//! an idle tunnel holds none (no descriptors, no kernel pages). A pipe that still holds
//! bytes when its transfer is abandoned (kick, error) is closed, never pooled.

use super::meter::Meter;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, SpliceFFlags, fcntl, splice};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::Interest;
use tokio::net::TcpStream;

/// A new pipe's capacity (16 pages), and what one splice into it asks for.
const PIPE_BYTES: usize = 64 * 1024;
/// A grown pipe's capacity (`F_SETPIPE_SZ`): a quarter of the syscalls per byte moved
/// (BENCHMARKS.md: 64 KiB pipes 0.89 × the bare relay at 64 tunnels, 256 KiB 1.02 ×).
const BIG_PIPE_BYTES: usize = 256 * 1024;
/// Grown pipes alive at once (pooled or lent), 32 MiB of pipe buffers: the kernel charges
/// pipe capacity to the user (`fs.pipe-user-pages-soft`, 64 MiB by default) and past that
/// makes every new pipe of the user two pages small. Beyond this many, pipes keep 64 KiB.
const BIG_PIPES_MAX: usize = 128;
/// Idle pipes kept for reuse; beyond this they are closed.
const POOL_MAX: usize = 128;

static POOL: Mutex<Vec<Pipe>> = Mutex::new(Vec::new());
static BIG_PIPES: AtomicUsize = AtomicUsize::new(0);

struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    /// Bytes it holds at most.
    capacity: usize,
}

impl Pipe {
    fn new() -> io::Result<Pipe> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
        let mut pipe = Pipe { read, write, capacity: PIPE_BYTES };
        if BIG_PIPES.fetch_add(1, Ordering::Relaxed) < BIG_PIPES_MAX
            && fcntl(&pipe.write, FcntlArg::F_SETPIPE_SZ(BIG_PIPE_BYTES as i32)).is_ok()
        {
            pipe.capacity = BIG_PIPE_BYTES;
        } else {
            BIG_PIPES.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(pipe)
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        if self.capacity > PIPE_BYTES {
            BIG_PIPES.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A pipe on loan from the pool, and how many bytes sit in it.
struct Lease {
    pipe: Option<Pipe>,
    held: usize,
}

impl Lease {
    fn take() -> io::Result<Lease> {
        let pooled = POOL.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let pipe = match pooled {
            Some(p) => p,
            None => Pipe::new()?,
        };
        Ok(Lease { pipe: Some(pipe), held: 0 })
    }

    fn pipe(&self) -> &Pipe {
        self.pipe.as_ref().expect("a lease holds its pipe until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.held == 0
            && let Some(pipe) = self.pipe.take()
        {
            let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < POOL_MAX {
                pool.push(pipe);
            }
        }
    }
}

/// How forwarding stopped.
#[derive(Debug)]
pub enum Outcome {
    /// `src` reached end of stream; this many bytes were moved in all.
    Eof(u64),
    /// `src` has nothing more for now; this many bytes were moved and none are left in the
    /// pipe: wait for `src` to be readable again.
    Dry(u64),
    /// These sockets or this kernel cannot splice (or no pipe could be had); this many
    /// bytes were moved first and none are left in flight: go on with the plain copy.
    Unsupported(u64),
}

/// Moves the bytes `src` has now (and any that arrive while they move) to `dst` through
/// `meter`, until `src` ends or runs dry. Does not half-close `dst`: the caller does, as
/// after the plain copy. The pipe is held only for the burst.
pub async fn forward(src: &TcpStream, dst: &TcpStream, meter: &Meter<'_>) -> io::Result<Outcome> {
    let mut total = 0u64;
    let Ok(mut lease) = Lease::take() else { return Ok(Outcome::Unsupported(total)) };
    loop {
        let moved = src.try_io(Interest::READABLE, || {
            let pipe = lease.pipe();
            splice(src, None, &pipe.write, None, pipe.capacity, flags()).map_err(io::Error::from)
        });
        let n = match moved {
            Ok(0) => return Ok(Outcome::Eof(total)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Outcome::Dry(total)),
            Err(e) if unsupported(&e) => return Ok(Outcome::Unsupported(total)),
            Err(e) => return Err(e),
        };
        lease.held = n;
        drain(&mut lease, dst, meter).await?;
        total += n as u64;
    }
}

/// Empties the pipe into `dst` in grants of the bucket, counting every byte moved.
async fn drain(lease: &mut Lease, dst: &TcpStream, meter: &Meter<'_>) -> io::Result<()> {
    while lease.held > 0 {
        let mut grant = meter.take(lease.held).await;
        while grant > 0 {
            let n = dst
                .async_io(Interest::WRITABLE, || {
                    splice(&lease.pipe().read, None, dst, None, grant, flags()).map_err(io::Error::from)
                })
                .await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            grant -= n;
            lease.held -= n;
            meter.count(n);
        }
    }
    Ok(())
}

/// Non-blocking on the pipe too (the sockets already are); pages are moved, not copied.
fn flags() -> SpliceFFlags {
    SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK
}

/// Errors that mean "no splice here" rather than "this connection failed".
fn unsupported(e: &io::Error) -> bool {
    matches!(e.raw_os_error().map(Errno::from_raw), Some(Errno::EINVAL | Errno::ENOSYS | Errno::EOPNOTSUPP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_pipe_is_grown_and_asks_for_no_more_than_the_kernel_gave_it() {
        let pipe = Pipe::new().unwrap();
        let real = fcntl(&pipe.write, FcntlArg::F_GETPIPE_SZ).unwrap() as usize;
        assert_eq!(pipe.capacity, real, "splices ask for what the pipe holds");
        assert_eq!(pipe.capacity, BIG_PIPE_BYTES, "well under the cap, a new pipe is grown");
    }
}
