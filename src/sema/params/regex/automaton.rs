//! A pattern matched without the `regex` crate: its tree becomes a
//! Thompson automaton over characters, whose states are all followed at
//! once, one character at a time (Pike's simulation without captures).
//! Time is linear in the value times the automaton's size, as the crate's
//! is; building it costs next to nothing. The crate's compilation costs a
//! small build a few percent of its time, its code's page faults counted,
//! for the one or two values a program has checked against a pattern.
//! Patterns whose automaton would be large, and values long enough that
//! the crate's lazy DFA is the faster, are left to the crate.

use super::{Node, is_word};

/// The most states an automaton is built with.
const MAX_STATES: usize = 4096;
/// The most steps (characters × states) a match is simulated for.
const MAX_WORK: usize = 1 << 20;

#[derive(Clone, Debug)]
enum State {
    /// A node that is not made of others: a character, `.`, a class, or
    /// an assertion (`^`, `$`, `\b`, `\B`), as parsed.
    Leaf(Node),
    /// Goes on at both states.
    Split(usize, usize),
    Jump(usize),
    Match,
}

#[derive(Debug)]
pub(super) struct Automaton {
    states: Vec<State>,
}

impl Automaton {
    /// The automaton of `root`, or none when it would have more than
    /// `MAX_STATES` states.
    pub(super) fn new(root: &Node) -> Option<Automaton> {
        if size(root) > MAX_STATES {
            return None;
        }
        let mut states = Vec::new();
        build(root, &mut states);
        states.push(State::Match);
        Some(Automaton { states })
    }

    /// Whether `text` is short enough to simulate; a longer one goes to
    /// the `regex` crate.
    pub(super) fn fits(&self, text: &str) -> bool {
        text.len().saturating_mul(self.states.len()) <= MAX_WORK
    }

    /// Does the pattern match all of `text` (`whole`), or some part of it?
    pub(super) fn matches(&self, text: &str, whole: bool) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let mut current = Set::new(self.states.len());
        let mut next = Set::new(self.states.len());
        let mut stack = Vec::new();
        let mut at: usize = 0;
        loop {
            let here = Position {
                before: at.checked_sub(1).map(|i| chars[i]),
                after: chars.get(at).copied(),
            };
            if at == 0 || !whole {
                self.follow(0, here, &mut current, &mut stack);
            }
            if current.is_empty() {
                return false;
            }
            let mut matched = false;
            for index in 0..current.len() {
                let state = current.at(index);
                let Some(c) = here.after else {
                    matched |= matches!(self.states[state], State::Match);
                    continue;
                };
                let steps = match &self.states[state] {
                    State::Leaf(Node::Char(want)) => *want == c,
                    State::Leaf(Node::Any) => c != '\n',
                    State::Leaf(Node::Class(class)) => class.contains(c),
                    State::Match => {
                        matched = true;
                        false
                    }
                    _ => false,
                };
                if steps {
                    let there = Position {
                        before: Some(c),
                        after: chars.get(at + 1).copied(),
                    };
                    self.follow(state + 1, there, &mut next, &mut stack);
                }
            }
            if matched && (!whole || here.after.is_none()) {
                return true;
            }
            if here.after.is_none() {
                return false;
            }
            std::mem::swap(&mut current, &mut next);
            next.clear();
            at += 1;
        }
    }

    /// Adds `from` and every state reached from it without reading a
    /// character, at `here`.
    fn follow(&self, from: usize, here: Position, set: &mut Set, stack: &mut Vec<usize>) {
        stack.push(from);
        while let Some(state) = stack.pop() {
            if !set.insert(state) {
                continue;
            }
            let holds = match &self.states[state] {
                State::Leaf(Node::Start) => here.before.is_none(),
                State::Leaf(Node::End) => here.after.is_none(),
                State::Leaf(Node::WordBoundary(boundary)) => {
                    let word = |c: Option<char>| c.is_some_and(is_word);
                    (word(here.before) != word(here.after)) == *boundary
                }
                State::Split(first, second) => {
                    stack.push(*second);
                    stack.push(*first);
                    continue;
                }
                State::Jump(to) => {
                    stack.push(*to);
                    continue;
                }
                _ => continue,
            };
            if holds {
                stack.push(state + 1);
            }
        }
    }
}

/// The characters on each side of a position in the value.
#[derive(Clone, Copy)]
struct Position {
    before: Option<char>,
    after: Option<char>,
}

/// No fewer states than `build` makes of `node`, counted without building
/// them: a repetition counts two more for each copy, empty or not, so that
/// repetitions of nothing nested in large counts are never walked.
fn size(node: &Node) -> usize {
    match node {
        Node::Empty => 0,
        Node::Concat(nodes) => nodes.iter().fold(0, |sum, n| sum.saturating_add(size(n))),
        Node::Alt(nodes) => nodes
            .iter()
            .fold(2 * nodes.len(), |sum, n| sum.saturating_add(size(n))),
        Node::Repeat { node, min, max, .. } => {
            let copies = max.unwrap_or(*min).max(*min) as usize;
            size(node)
                .saturating_add(2)
                .saturating_mul(copies.saturating_add(1))
        }
        _ => 1,
    }
}

/// Appends the states of `node`.
fn build(node: &Node, states: &mut Vec<State>) {
    match node {
        Node::Empty => {}
        Node::Concat(nodes) => {
            for node in nodes {
                build(node, states);
            }
        }
        Node::Alt(branches) => {
            let mut jumps = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                let split = (i + 1 < branches.len()).then(|| {
                    states.push(State::Split(states.len() + 1, 0));
                    states.len() - 1
                });
                build(branch, states);
                if let Some(split) = split {
                    jumps.push(states.len());
                    states.push(State::Jump(0));
                    states[split] = State::Split(split + 1, states.len());
                }
            }
            let end = states.len();
            for jump in jumps {
                states[jump] = State::Jump(end);
            }
        }
        Node::Repeat { node, min, max, .. } => {
            for _ in 0..*min {
                build(node, states);
            }
            match max {
                None => {
                    let split = states.len();
                    states.push(State::Split(split + 1, 0));
                    build(node, states);
                    states.push(State::Jump(split));
                    states[split] = State::Split(split + 1, states.len());
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(states.len());
                        states.push(State::Split(states.len() + 1, 0));
                        build(node, states);
                    }
                    let end = states.len();
                    for split in splits {
                        states[split] = State::Split(split + 1, end);
                    }
                }
            }
        }
        // A character, `.`, a class or an assertion.
        leaf => states.push(State::Leaf(leaf.clone())),
    }
}

/// A set of states in the order they were added, cleared in constant
/// time (a sparse set).
struct Set {
    dense: Vec<usize>,
    sparse: Vec<usize>,
}

impl Set {
    fn new(states: usize) -> Set {
        Set {
            dense: Vec::with_capacity(states),
            sparse: vec![0; states],
        }
    }

    fn contains(&self, state: usize) -> bool {
        let i = self.sparse[state];
        i < self.dense.len() && self.dense[i] == state
    }

    /// Adds `state`; false if it was there.
    fn insert(&mut self, state: usize) -> bool {
        if self.contains(state) {
            return false;
        }
        self.sparse[state] = self.dense.len();
        self.dense.push(state);
        true
    }

    fn len(&self) -> usize {
        self.dense.len()
    }

    fn at(&self, index: usize) -> usize {
        self.dense[index]
    }

    fn is_empty(&self) -> bool {
        self.dense.is_empty()
    }

    fn clear(&mut self) {
        self.dense.clear();
    }
}
