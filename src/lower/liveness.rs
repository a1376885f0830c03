//! When lowering lets go of the value of one of the entry file's resource
//! declarations: once every item that names it is lowered, nothing reads
//! it again, and its instances, with their outputs, need not be held until
//! lowering ends. In a large file each declaration is read by a few near
//! it (a subnet by its servers), so lowering holds a few declarations'
//! values at a time instead of all of them (at 50,000 resources, a tenth
//! of a build's peak memory).
//!
//! The readers of a declaration are the items its name is used in, as name
//! resolution found them (`Names`), by where each use starts. Lowering
//! reads a declaration's value only through a name resolved there, in the
//! frame of the entry file, while lowering an item whose text holds that
//! name. An item that is not lowered as one piece (an output, a param, a
//! `target` block...) keeps what it names to the end.

use crate::sema::names::{DeclKind, Names, Place};
use crate::syntax::ast::{Item, ItemKind};

/// Left as it is: named by an item that is never done, or not a resource.
const KEPT: u32 = u32::MAX;

pub(super) struct Readers {
    /// For each of the entry file's items: how many items that name it are
    /// not lowered yet (`KEPT`: never let go).
    left: Vec<u32>,
    /// The resource items each item names: `named[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    named: Vec<u32>,
}

impl Readers {
    /// The readers of each resource declaration of `items` (the entry
    /// file's, as `names` resolved them); `None` when the items' spans are
    /// not in order, so that a use could not be placed.
    pub(super) fn of(items: &[Item], names: &Names) -> Option<Readers> {
        if !items.windows(2).all(|w| w[0].span.end <= w[1].span.start) {
            return None;
        }
        let mut left: Vec<u32> = (items.iter())
            .map(|item| match item.kind {
                ItemKind::Resource(_) => 0,
                _ => KEPT,
            })
            .collect();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (start, id) in names.references() {
            let decl = names.decl(id);
            let (DeclKind::Resource, Place::File(declared)) = (decl.kind, decl.place) else {
                continue;
            };
            let declared = declared as usize;
            if declared >= items.len() {
                continue;
            }
            let after = items.partition_point(|item| item.span.start <= start);
            let within = after.checked_sub(1).filter(|&i| start < items[i].span.end);
            match within {
                Some(reader) if reader == declared => {}
                Some(reader)
                    if matches!(items[reader].kind, ItemKind::Resource(_) | ItemKind::Let(_)) =>
                {
                    pairs.push((reader as u32, declared as u32));
                }
                _ => left[declared] = KEPT,
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut starts = Vec::with_capacity(items.len() + 1);
        let mut named = Vec::with_capacity(pairs.len());
        let mut pair = pairs.iter().peekable();
        for reader in 0..items.len() as u32 {
            starts.push(named.len() as u32);
            while let Some(&(_, declared)) = pair.next_if(|(r, _)| *r == reader) {
                named.push(declared);
                if left[declared as usize] != KEPT {
                    left[declared as usize] += 1;
                }
            }
        }
        starts.push(named.len() as u32);
        Some(Readers {
            left,
            starts,
            named,
        })
    }

    /// Item `item` is lowered: the declarations whose values nothing will
    /// read any more, `item` itself among them when nothing names it.
    pub(super) fn lowered(&mut self, item: usize, mut done: impl FnMut(usize)) {
        if self.left.get(item) == Some(&0) {
            done(item);
        }
        let Some(range) = self.starts.get(item..item + 2) else {
            return;
        };
        for &declared in &self.named[range[0] as usize..range[1] as usize] {
            let left = &mut self.left[declared as usize];
            if *left == KEPT || *left == 0 {
                continue;
            }
            *left -= 1;
            if *left == 0 {
                done(declared as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Readers;
    use crate::source::FileId;

    /// The items let go as each of `order` (item indexes) is lowered, in
    /// turn, in the file `text`.
    fn let_go(text: &str, order: &[usize]) -> Vec<Vec<usize>> {
        let (file, diagnostics) = crate::syntax::parse(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let (names, _) = crate::sema::resolve::resolve(&file);
        let mut readers = Readers::of(&file.items, &names).expect("items in order");
        (order.iter())
            .map(|&item| {
                let mut done = Vec::new();
                readers.lowered(item, |d| done.push(d));
                done
            })
            .collect()
    }

    #[test]
    fn a_resource_is_let_go_once_every_item_naming_it_is_lowered() {
        let text = r#"
resource a: queue.Queue { name = "a" }
resource b: queue.Queue { name = a.name }
let both = [a, b]
resource c: queue.Queue { name = b.name }
"#;
        // `a` is named by `b` and `both`; `b` by `both` and `c`; `c` by none.
        let done = let_go(text, &[0, 1, 3, 2]);
        assert_eq!(done, vec![vec![], vec![], vec![3], vec![0, 1]]);
    }

    #[test]
    fn a_resource_named_by_an_output_or_a_param_is_kept() {
        let text = r#"
resource a: queue.Queue { name = "a" }
resource b: queue.Queue { name = "b" }
resource c: queue.Queue { name = "${a.name}-${b.name}" }
output o = a.name
"#;
        // `c` lowered lets `b` go; `a`, which the output names, stays.
        let done = let_go(text, &[0, 1, 2]);
        assert_eq!(done, vec![vec![], vec![], vec![2, 1]]);
    }

    #[test]
    fn a_resource_naming_itself_is_not_its_own_reader() {
        let text = r#"
resource a: queue.Queue for i in 0..2 { name = i == 0 ? "first" : "${a[0].name}-next" }
"#;
        assert_eq!(let_go(text, &[0]), vec![vec![0]]);
    }
}
