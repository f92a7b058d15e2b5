//! Independent work on many items (clusters, trees) spread over the machine's cores, results
//! in the items' order.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

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
        let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        cores.min(items / ITEMS_PER_THREAD).max(1)
    }
}

/// Items a thread of [`for_each_in_order`] takes at a time: few enough that the threads end
/// together, enough that handing results over (a wake-up of the calling thread each) costs
/// little beside making them.
const ITEMS_PER_TAKE: usize = 16;

/// `f` over every item on up to one thread per core, and `consume` given each result on the
/// calling thread, in the items' order, as soon as it and every result before it are in. Each
/// thread takes the next few items no thread has taken, so items that cost more than others
/// hold up no long run of items behind them, and results are not all held at once: only those
/// that came in ahead of some still being made. A thread the system refuses is not an error:
/// the threads that started do its share, or the calling thread does all of it when none did.
pub(crate) fn for_each_in_order<'a, T, R, F, C>(items: &'a [T], f: F, mut consume: C)
where
    T: Sync,
    R: Send,
    F: Fn(&'a T) -> R + Sync,
    C: FnMut(R),
{
    let threads = threads_for(items.len());
    if threads == 1 {
        items.iter().for_each(|item| consume(f(item)));
        return;
    }
    let next = AtomicUsize::new(0);
    let next = &next;
    let f = &f;
    let work = move |sender: mpsc::Sender<(usize, Vec<R>)>| loop {
        let start = next.fetch_add(ITEMS_PER_TAKE, Ordering::Relaxed);
        let Some(taken) = items.get(start..items.len().min(start + ITEMS_PER_TAKE)) else {
            return;
        };
        if taken.is_empty() || sender.send((start, taken.iter().map(f).collect())).is_err() {
            return;
        }
    };
    thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        let started = (0..threads)
            .filter(|_| {
                let sender = sender.clone();
                thread::Builder::new().spawn_scoped(scope, move || work(sender)).is_ok()
            })
            .count();
        if started == 0 {
            work(sender);
        } else {
            drop(sender);
        }
        // Runs of results that came in ahead of their turn, by their first item.
        let mut early = BTreeMap::new();
        let mut turn = 0;
        for (start, results) in receiver {
            if start != turn {
                early.insert(start, results);
                continue;
            }
            let mut results: Vec<R> = results;
            loop {
                turn += results.len();
                results.into_iter().for_each(&mut consume);
                match early.remove(&turn) {
                    Some(next) => results = next,
                    None => break,
                }
            }
        }
    });
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

    #[test]
    fn results_are_consumed_in_order() {
        for count in [0, 5, 100, 1000, 1001] {
            let items: Vec<u32> = (0..count).collect();
            let mut seen = Vec::new();
            for_each_in_order(
                &items,
                |&i| {
                    // Later items finish first now and then.
                    if i % 37 == 0 {
                        thread::sleep(std::time::Duration::from_millis(1));
                    }
                    i * 2
                },
                |doubled| seen.push(doubled),
            );
            assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
