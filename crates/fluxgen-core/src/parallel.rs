//! Independent work on many items (clusters, trees) spread over the machine's cores, results
//! in the items' order.

use std::num::NonZeroUsize;
use std::thread;

#[cfg(feature = "migration")]
mod stream;
#[cfg(feature = "migration")]
pub(crate) use stream::stream_in_order;

/// How many threads the machine runs at once (1 when it cannot tell).
fn cores() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Below this many items per extra thread, starting a thread costs more than it saves.
const ITEMS_PER_THREAD: usize = 16;

/// `f` over every item, on up to one thread per core, each thread taking a contiguous run of
/// items. The results keep the items' order; the first error in that order wins (later items
/// may still have run).
pub(crate) fn map<'a, T, R, E, F>(items: &'a [T], f: F) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(&'a T) -> Result<R, E> + Sync,
{
    map_with(items, || (), |(), item| f(item))
}

/// [`map`], where each thread first makes a state with `init` and `f` gets it with every item
/// of the thread's run (a cache, say).
pub(crate) fn map_with<'a, T, S, R, E, I, F>(items: &'a [T], init: I, f: F) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &'a T) -> Result<R, E> + Sync,
{
    map_on_threads(items, init, f, thread::Builder::new)
}

/// How many threads to spread `items` items over: one per core, fewer where each would get
/// less than [`ITEMS_PER_THREAD`].
fn threads_for(items: usize) -> usize {
    // Fewer items than two threads' worth: no need to ask how many cores there are.
    if items < 2 * ITEMS_PER_THREAD {
        1
    } else {
        cores().min(items / ITEMS_PER_THREAD).max(1)
    }
}

/// [`map_with`], its threads made by `builder` (a test asks for a stack no system gives). A
/// thread the system refuses (no memory, a process limit) is not an error: its run is done on
/// the calling thread instead, so the work ends with fewer threads, never with a panic.
fn map_on_threads<'a, T, S, R, E, I, F>(
    items: &'a [T],
    init: I,
    f: F,
    builder: impl Fn() -> thread::Builder,
) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &'a T) -> Result<R, E> + Sync,
{
    let threads = threads_for(items.len());
    let run_of = |chunk: &'a [T]| {
        let mut state = init();
        chunk
            .iter()
            .map(|item| f(&mut state, item))
            .collect::<Result<Vec<R>, E>>()
    };
    if threads == 1 {
        return run_of(items);
    }
    let run = items.len().div_ceil(threads);
    let run_of = &run_of;
    let runs: Vec<Result<Vec<R>, E>> = thread::scope(|scope| {
        let started: Vec<_> = items
            .chunks(run)
            .map(|chunk| builder().spawn_scoped(scope, move || run_of(chunk)).map_err(|_| chunk))
            .collect();
        started
            .into_iter()
            .map(|started| match started {
                Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // Refused: done here, after the threads that did start were given their runs.
                Err(chunk) => run_of(chunk),
            })
            .collect()
    });
    let mut results = Vec::with_capacity(items.len());
    for run in runs {
        results.extend(run?);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_the_system_refuses_leave_their_work_to_the_calling_thread() {
        let items: Vec<u32> = (0..1000).collect();
        // A stack larger than any address space: every spawn fails.
        let refused = || thread::Builder::new().stack_size(usize::MAX / 2);
        let doubled: Result<Vec<u32>, String> = map_on_threads(&items, || (), |(), i| Ok(i * 2), refused);
        assert_eq!(doubled.unwrap(), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let failed: Result<Vec<u32>, u32> =
            map_on_threads(&items, || (), |(), &i| if i == 999 { Err(i) } else { Ok(i) }, refused);
        assert_eq!(failed, Err(999));
    }

    #[test]
    fn keeps_the_order_and_the_first_error() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled: Result<Vec<u32>, String> = map(&items, |i| Ok(i * 2));
        assert_eq!(doubled.unwrap(), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let failed: Result<Vec<u32>, u32> = map(&items, |&i| if i % 300 == 299 { Err(i) } else { Ok(i) });
        assert_eq!(failed, Err(299));
        let none: Result<Vec<u32>, ()> = map(&[], |&i: &u32| Ok(i));
        assert_eq!(none, Ok(vec![]));
    }
}
