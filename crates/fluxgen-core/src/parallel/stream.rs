//! Items made one by one on the calling thread (files as a walk finds them), worked on by the
//! machine's cores as they come, the results consumed in the items' order as soon as their turn
//! comes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, mpsc};
use std::thread;

/// Items a thread of [`stream_in_order`] takes at a time: few enough that the threads end
/// together, enough that handing results over (a wake-up of the calling thread each) costs
/// little beside making them.
const ITEMS_PER_TAKE: usize = 16;

/// Items given to the threads of [`stream_in_order`] and not taken yet.
struct Queue<T> {
    /// Each with its place in the order they were given.
    items: VecDeque<(usize, T)>,
    /// Whether every item has been given.
    done: bool,
}

/// `f` over items that `produce` makes one by one on the calling thread and hands to the
/// function it is given, in the order their results are to be consumed, on up to one thread
/// per core: once a take's worth of items ([`ITEMS_PER_TAKE`]) has been given, the threads
/// start, and then start on each item as soon as it is given, each taking the next few items
/// no thread has taken (so items that cost more than others hold up no long run of items
/// behind them). `consume` gets the results on the calling thread in the items' order, each as
/// soon as it and every result before it are in: while `produce` is still giving (at each
/// item given) and after it. So results wait only while one before them is being made, not
/// for the whole run (on the 10,000-file repository, the file facts waiting for the end of the
/// walk were two thirds of `doctor`'s peak heap).
///
/// Fewer items than a take are made on the calling thread once `produce` ends: starting the
/// threads (and asking the system how many cores there are) costs more than they do, and
/// `emit` to stdout walks a small repository in every run. A thread the system refuses is not
/// an error: the threads that started do its share, or the calling thread makes and consumes
/// each result itself when none did (or the machine has one core). What `produce` returns is
/// returned once every result has been consumed.
pub(crate) fn stream_in_order<T, R, W, P, F, C>(produce: P, f: F, mut consume: C) -> W
where
    T: Send,
    R: Send,
    P: FnOnce(&mut dyn FnMut(T)) -> W,
    F: Fn(T) -> R + Sync,
    C: FnMut(R),
{
    let queue = Mutex::new(Queue {
        items: VecDeque::new(),
        done: false,
    });
    let given = Condvar::new();
    let (queue, given, f) = (&queue, &given, &f);
    let work = move |sender: mpsc::Sender<Vec<(usize, R)>>| loop {
        let taken: Vec<(usize, T)> = {
            let Ok(mut state) = queue.lock() else { return };
            while state.items.is_empty() && !state.done {
                state = match given.wait(state) {
                    Ok(state) => state,
                    Err(_) => return,
                };
            }
            let count = state.items.len().min(ITEMS_PER_TAKE);
            state.items.drain(..count).collect()
        };
        if taken.is_empty() {
            return;
        }
        let results = taken.into_iter().map(|(index, item)| (index, f(item))).collect();
        if sender.send(results).is_err() {
            return;
        }
    };
    // The items given and not taken by a thread, made here in their order.
    let make_here = |consume: &mut C| {
        let items = queue
            .lock()
            .map(|mut state| std::mem::take(&mut state.items))
            .unwrap_or_default();
        for (_, item) in items {
            consume(f(item));
        }
    };
    thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        // How many threads started: none asked for yet, until a take's worth of items is given.
        let mut threads: Option<usize> = None;
        let mut turns = Turns {
            next: 0,
            early: HashMap::new(),
        };
        let mut count = 0;
        let produced = produce(&mut |item| {
            if threads == Some(0) {
                consume(f(item));
                return;
            }
            if let Ok(mut state) = queue.lock() {
                let was_empty = state.items.is_empty();
                state.items.push_back((count, item));
                if was_empty {
                    given.notify_all();
                }
            }
            count += 1;
            if threads.is_none() && count >= ITEMS_PER_TAKE {
                let cores = super::cores();
                let started = if cores > 1 {
                    (0..cores)
                        .filter(|_| {
                            let sender = sender.clone();
                            thread::Builder::new().spawn_scoped(scope, move || work(sender)).is_ok()
                        })
                        .count()
                } else {
                    0
                };
                threads = Some(started);
                if started == 0 {
                    make_here(&mut consume);
                    return;
                }
            }
            // What the threads have handed over so far, without waiting for more.
            while let Ok(results) = receiver.try_recv() {
                turns.take(results, &mut consume);
            }
        });
        if let Ok(mut state) = queue.lock() {
            state.done = true;
        }
        given.notify_all();
        drop(sender);
        match threads {
            // Fewer items than a take.
            None => make_here(&mut consume),
            // Every result made here as its item was given.
            Some(0) => {}
            Some(_) => {
                while turns.next < count {
                    match receiver.recv() {
                        Ok(results) => turns.take(results, &mut consume),
                        // Every thread has ended (one panicked: the scope says so).
                        Err(_) => break,
                    }
                }
            }
        }
        produced
    })
}

/// The results of [`stream_in_order`] that came in ahead of their turn, and whose turn is next.
struct Turns<R> {
    /// The place of the next result to consume.
    next: usize,
    /// Results waiting for the ones before them, by place.
    early: HashMap<usize, R>,
}

impl<R> Turns<R> {
    /// Takes a thread's results: consumes each whose turn it is, and those it lets through.
    fn take(&mut self, results: Vec<(usize, R)>, consume: &mut impl FnMut(R)) {
        for (index, result) in results {
            if index == self.next {
                consume(result);
                self.next += 1;
            } else {
                self.early.insert(index, result);
            }
        }
        while let Some(result) = self.early.remove(&self.next) {
            consume(result);
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_consumed_in_the_order_their_items_were_given() {
        for count in [0, 5, 100, 1000, 1001] {
            let mut seen = Vec::new();
            stream_in_order(
                |give| {
                    for i in 0..count {
                        give(i);
                    }
                },
                |i: u32| {
                    // Later items finish first now and then.
                    if i.is_multiple_of(37) {
                        thread::sleep(std::time::Duration::from_millis(1));
                    }
                    i * 2
                },
                |doubled| seen.push(doubled),
            );
            assert_eq!(seen, (0..count).map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn fewer_items_than_a_take_are_made_on_the_calling_thread() {
        let caller = thread::current().id();
        let mut made_by = Vec::new();
        stream_in_order(
            |give| {
                for i in 0..ITEMS_PER_TAKE - 1 {
                    give(i);
                }
            },
            |i| (i, thread::current().id()),
            |made| made_by.push(made),
        );
        let expected: Vec<_> = (0..ITEMS_PER_TAKE - 1).map(|i| (i, caller)).collect();
        assert_eq!(made_by, expected);
    }

    #[test]
    fn results_are_consumed_while_items_are_still_given() {
        let consumed = std::cell::Cell::new(0_u32);
        let mut consumed_before_the_last_item = 0;
        stream_in_order(
            |give| {
                for i in 0..200 {
                    if i == 199 {
                        // The threads have had time to make the results before it.
                        thread::sleep(std::time::Duration::from_millis(50));
                    }
                    give(i);
                    if i == 199 {
                        consumed_before_the_last_item = consumed.get();
                    }
                }
            },
            |i: u32| i,
            |_| consumed.set(consumed.get() + 1),
        );
        assert_eq!(consumed.get(), 200);
        assert!(
            consumed_before_the_last_item > 0,
            "no result was consumed before every item had been given"
        );
    }
}
