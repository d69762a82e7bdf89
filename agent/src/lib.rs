//! The interviewer agent: the LiveKit room transport, and (later) the worker and the shell
//! around the conversation engine.

pub mod join;
pub mod metrics;
pub mod session;
pub mod transport;
pub mod worker;

/// The multi-threaded tokio runtime the agent's commands run on: two worker threads per core
/// (`TOKIO_WORKER_THREADS` overrides). Each interview also runs its dsp pipeline on a thread of
/// its own; with one runtime thread per core, a runtime thread preempted by those delays every
/// task queued on it, and candidate frames go late long before the cores are busy (the
/// worker_load benchmark sustained 48 interviews on 2 cores with 2 threads, 52 with 4).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let threads = std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            2 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
}
